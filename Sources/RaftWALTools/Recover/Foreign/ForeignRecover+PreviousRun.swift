import Foundation
import RaftInterop
import RaftWAL

extension ForeignRecover {
    /// An earlier run's result, recognized by its report (see ``Staging``).
    func previousRun(_ staging: Staging, root: String, loc: SourceLocation) throws(RecoverError) -> RecoverReport? {
        let fs = options.fileSystem
        switch options.target {
        case .inPlace:
            if fs.fileKind(root) == .symbolicLink {
                throw .usage("--in-place renames \(root) to keep the backup, and \(root) is a symbolic link: name the directory it points to")
            }
            if !options.dryRun, var report = try staging.finishInterrupted() {
                report.outcome = .alreadyDone
                report.notes.append("completed an interrupted run: \(staging.stagingPath) renamed to \(root)")
                return report
            }
            // The directory is this command's unchanged result: re-running changes nothing.
            if var report = staging.completedReport(in: root), report.command == command.rawValue, let digest = report.resultWALDigest,
               (try? walDigest(fs, root + "/" + relativeWAL(loc))) == digest {
                report.outcome = .alreadyDone
                report.dryRun = options.dryRun
                return report
            }
            return nil
        case .directory(let out):
            let out = normalizedDirectory(out)
            if out == root || out == source { throw .usage("--output must differ from the source directory (use --in-place to replace it)") }
            if out.hasPrefix(root + "/") { throw .usage("--output must not be inside the source directory") }
            // lstat: a dangling symlink is there too (and never written through).
            guard fs.fileKind(out) != nil else { return nil }
            if var report = staging.completedReport(in: out), report.command == command.rawValue, report.source == root,
               let digest = report.sourceWALDigest, (try? walDigest(fs, root + "/" + relativeWAL(loc))) == digest {
                report.outcome = .alreadyDone
                report.dryRun = options.dryRun
                return report
            }
            throw .environment(.invalidArgument("the output \(out) already exists"))
        }
    }
}

/// CRC-32C (hex) over the names and bytes of the `.wal` files in `dir`, in name order.
func walDigest(_ fs: any FileSystem, _ dir: String) throws(WALError) -> String {
    var crc: UInt32 = 0
    for name in try fs.listDirectory(dir).sorted() where name.hasSuffix(".wal") {
        let h = try fs.open(joinPath(dir, name), access: .readOnly, create: false)
        defer { h.close() }
        crc = Array(name.utf8).withUnsafeBytes { CRC32C.extend(crc, $0) }
        let size = try h.size()
        var offset: UInt64 = 0
        while offset < size {
            let chunk = try h.read(at: offset, count: Int(min(size - offset, 1 << 20)))
            if chunk.isEmpty { break }
            crc = chunk.withUnsafeBytes { CRC32C.extend(crc, $0) }
            offset += UInt64(chunk.count)
        }
    }
    return String(format: "%08x", crc)
}

/// Names in a real directory (the reader's world), sorted.
func realDirectoryNames(_ dir: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
}

/// True when `path` is a symbolic link, FIFO, socket or device: such a file
/// in the source tree is never opened (a FIFO would block) and not carried.
func isSpecialFile(_ path: String) -> Bool {
    guard let type = (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType else { return false }
    return type != .typeRegular && type != .typeDirectory
}
