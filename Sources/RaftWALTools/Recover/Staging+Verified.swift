import RaftWAL

/// Damage `raft-inspect verify` finds in `directory` (every record decoded,
/// every conf change parsed); empty when it cannot run.
func verifiedDamage(_ directory: String, fileSystem: any FileSystem) -> [Finding] {
    var o = Analyzer.Options()
    o.decodeBodies = true
    guard let analysis = try? Analyzer(directory: directory, options: o, fileSystem: fileSystem).run() else { return [] }
    return analysis.damage
}

extension Staging {
    /// Presents the staged result (report written, backup named) only when
    /// `raft-inspect verify` finds no damage in it: nothing is presented as
    /// kept that verify would call damaged. Returns that damage otherwise.
    func presentIfVerified(_ report: inout RecoverReport, backup: String?) throws(WALError) -> [Finding] {
        let damage = verifiedDamage(stagingPath, fileSystem: fs)
        guard damage.isEmpty else { return damage }
        if let backup { report.backupFiles.append(backup) }
        try writeReport(report)
        try present(backup: backup)
        return []
    }
}
