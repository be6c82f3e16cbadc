import RaftWAL

/// Damage `raft-inspect verify` finds in `directory` (every record decoded,
/// every conf change parsed).
///
/// - Throws: ``WALError/corrupted(file:offset:indexes:reason:label:)`` naming
///   the directory when verify cannot survey it at all: an unverified result
///   is never taken for a clean one.
func verifiedDamage(_ directory: String, fileSystem: any FileSystem) throws(WALError) -> [Finding] {
    var o = Analyzer.Options()
    o.decodeBodies = true
    do {
        return try Analyzer(directory: directory, options: o, fileSystem: fileSystem).run().damage
    } catch {
        throw .corrupted(file: directory, offset: nil, indexes: nil,
                         reason: "raft-inspect verify cannot survey it (\(error.message)), so nothing in it is taken as verified")
    }
}

extension Staging {
    /// Presents the staged result (report written, backup named) only when
    /// `raft-inspect verify` finds no damage in it: nothing is presented as
    /// kept that verify would call damaged. Returns that damage otherwise.
    func presentIfVerified(_ report: inout RecoverReport, backup: String?) throws(WALError) -> [Finding] {
        let damage = try verifiedDamage(stagingPath, fileSystem: fs)
        guard damage.isEmpty else { return damage }
        if let backup { report.backupFiles.append(backup) }
        try writeReport(report)
        try present(backup: backup)
        return []
    }
}
