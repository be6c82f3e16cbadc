import Foundation
import RaftInterop
import RaftWAL

/// Writing: the result tree built in the staging directory, then presented.
extension ForeignRecover {
    func execute(_ plan: inout Plan, root: String, loc: SourceLocation, staging: Staging) throws(RecoverError) -> RecoverReport {
        let fs = options.fileSystem
        let walRel = relativeWAL(loc)
        let snapRel = relativeSnap(loc)
        let backup = staging.inPlace ? staging.backupPath() : nil
        plan.report.backup = backup
        if let backup { plan.report.backupFiles.append(backup) }
        var written: [String] = []
        do throws(WALError) {
            try staging.prepareTree()
            // Everything but the WAL and snapshot files, byte for byte (certificates, keys, state.json, etcd's db, ...).
            for rel in try treeFiles(fs, root) {
                if rel == Staging.reportName { continue }
                if isSpecialFile(joinPath(root, rel)) {
                    plan.report.notes.append("\(rel) is not a regular file (a symbolic link, FIFO or device): not carried")
                    continue
                }
                if rel.hasPrefix(walRel + "/") {
                    // The old WAL files: kept as .broken by repair (every byte it cut), left to the source/backup otherwise.
                    if command == .repair && rel.hasSuffix(".wal") {
                        try staging.copyFile(from: joinPath(root, rel), to: rel + ".broken")
                        plan.report.backupFiles.append(joinPath(staging.finalPath, rel + ".broken"))
                    } else if !rel.hasSuffix(".wal") {
                        // 0.tmp (a preallocated next segment), old .broken copies: the daemon's, not the log's.
                        plan.report.notes.append("\(rel) not carried (not a WAL file of the log)")
                    }
                    continue
                }
                if let snapRel, rel.hasPrefix(snapRel + "/") {
                    let name = String(rel.dropFirst(snapRel.count + 1))
                    if plan.snapBroken.contains(name) {
                        try staging.copyFile(from: joinPath(root, rel), to: rel + ".broken")
                        plan.report.backupFiles.append(joinPath(staging.finalPath, rel + ".broken"))
                        continue
                    }
                    if name.hasSuffix(".snap") && !plan.snapCopies.contains(name) { continue }
                }
                try staging.copyFile(from: joinPath(root, rel), to: rel)
            }
            try staging.makeDirectory(walRel)
            try staging.writeFile(walRel + "/" + plan.walName, plan.wal)
            written.append(walRel + "/" + plan.walName + " (\(plan.wal.count) bytes)")
            // Read back through the file system: what is on disk is what was checked.
            let h = try fs.open(joinPath(staging.stagingPath, walRel + "/" + plan.walName), access: .readOnly, create: false)
            let back = try h.read(at: 0, count: plan.wal.count + 1)
            h.close()
            guard back == plan.wal else {
                throw WALError.corrupted(file: walRel + "/" + plan.walName, offset: nil, indexes: nil, reason: "read back differs from what was written")
            }
            plan.report.written = written
            plan.report.resultWALDigest = try walDigest(fs, joinPath(staging.stagingPath, walRel))
            try staging.writeReport(plan.report)
            try staging.present(backup: backup)
        } catch {
            throw .writeFailed(error)
        }
        return plan.report
    }
}
