import Foundation

/// Reads whole files read-only, without locks: only regular files (a FIFO
/// or device named like a WAL file is never opened), and never through a
/// symbolic link the tool did not expect.
enum FileBytes {
    /// The file's bytes. Memory-mapped, so a 64 MB preallocated WAL segment
    /// costs only the pages read.
    static func read(_ path: String, label: String) throws(InteropError) -> Data {
        guard isRegularFile(path) else {
            throw .unreadable(file: label, why: "not a regular file")
        }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw .unreadable(file: label, why: (error as NSError).localizedDescription)
        }
    }

    /// The file's bytes, or nil when the file is gone: a running daemon
    /// removes old WAL and snapshot files after they were listed, and a
    /// read-only inspection of a live directory must not fail on that.
    ///
    /// `mapped: false` copies the bytes instead of mapping them: for the last
    /// WAL file, which etcd and swarmkit truncate while they open it (write
    /// mode zeroes from the last valid record: truncate, then preallocate
    /// again; `Repair` truncates a torn tail); a mapping read past the new
    /// end meanwhile would fault (SIGBUS) instead of seeing the shorter file.
    static func readIfPresent(_ path: String, label: String, mapped: Bool = true) throws(InteropError) -> Data? {
        switch presence(path) {
        case .absent: return nil
        case .other: throw .unreadable(file: label, why: "not a regular file")
        case .regular:
            do {
                return try Data(contentsOf: URL(fileURLWithPath: path), options: mapped ? .alwaysMapped : [])
            } catch {
                // Removed between the check and the open.
                if presence(path) == .absent { return nil }
                throw .unreadable(file: label, why: (error as NSError).localizedDescription)
            }
        }
    }

    /// What is at `path`, without following a symbolic link.
    enum Presence: Equatable { case regular, absent, other }

    static func presence(_ path: String) -> Presence {
        var st = stat()
        guard lstat(path, &st) == 0 else { return errno == ENOENT ? .absent : .other }
        return (st.st_mode & S_IFMT) == S_IFREG ? .regular : .other
    }

    static func isRegularFile(_ path: String) -> Bool {
        guard let attrs = try? FileManager.default.attributesOfItem(atPath: path) else { return false }
        return (attrs[.type] as? FileAttributeType) == .typeRegular
    }

    static func isDirectory(_ path: String) -> Bool {
        var dir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &dir) && dir.boolValue
    }

    /// Names in `dir`, sorted; empty when it cannot be listed.
    static func list(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    }

    static func size(_ path: String) -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.uint64Value ?? 0
    }
}

/// `%016x-%016x.<ext>`: the two numbers of an etcd WAL or snap file name.
func parseHexPairName(_ name: String, ext: String) -> (UInt64, UInt64)? {
    guard name.hasSuffix("." + ext) else { return nil }
    let stem = name.dropLast(ext.count + 1)
    let parts = stem.split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 2, parts[0].count == 16, parts[1].count == 16,
          let a = UInt64(parts[0], radix: 16), let b = UInt64(parts[1], radix: 16) else { return nil }
    return (a, b)
}
