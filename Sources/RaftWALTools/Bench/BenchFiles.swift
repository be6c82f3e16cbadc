#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RaftWAL

/// The file-system measurements and page-cache control the benchmark needs
/// beyond the engine's API: on-disk size, warming and evicting the page
/// cache, reading `/proc`. Read-only except ``removeTree(_:)`` and
/// ``evict(directory:)`` (which only changes the cache, never the files).
package enum BenchFiles {
    /// Up to `maxBytes` from the start of `path`.
    static func readPrefix(_ path: String, maxBytes: Int) throws(BenchError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .usage("cannot open \(path): \(errnoText())") }
        defer { _ = close(fd) }
        var out = [UInt8](repeating: 0, count: maxBytes)
        var done = 0
        while done < maxBytes {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, maxBytes - done, off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw .environment("cannot read \(path): \(errnoText())") }
            if n == 0 { break }
            done += n
        }
        out.removeLast(maxBytes - done)
        return out
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }

    /// Regular files directly in `directory` (names).
    static func regularFiles(_ directory: String) -> [String] {
        guard let d = opendir(directory) else { return [] }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name == "." || name == ".." { continue }
            var st = stat()
            if stat(directory + "/" + name, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG { names.append(name) }
        }
        return names.sorted()
    }

    /// Sizes of the files in a log directory, measured as the etcd baseline
    /// does: apparent size, allocated blocks, and "used" bytes (each file up
    /// to its last non-zero byte, rounded up to 8: a preallocated tail of
    /// zeros is not used).
    package struct DiskUsage: Sendable, Equatable {
        package var files = 0
        package var segments = 0
        package var apparentBytes: Int64 = 0
        package var allocatedBytes: Int64 = 0
        package var usedBytes: Int64 = 0
    }

    package static func diskUsage(_ directory: String) throws(BenchError) -> DiskUsage {
        var usage = DiskUsage()
        for name in regularFiles(directory) {
            let path = directory + "/" + name
            var st = stat()
            guard stat(path, &st) == 0 else { throw .environment("cannot stat \(path): \(errnoText())") }
            usage.files += 1
            if name.hasSuffix(".seg") { usage.segments += 1 }
            usage.apparentBytes += Int64(st.st_size)
            usage.allocatedBytes += Int64(st.st_blocks) * 512
            usage.usedBytes += try usedPrefix(path, size: Int64(st.st_size))
        }
        return usage
    }

    static func fileSize(_ path: String) throws(BenchError) -> Int64 {
        var st = stat()
        guard stat(path, &st) == 0 else { throw .environment("cannot stat \(path): \(errnoText())") }
        return Int64(st.st_size)
    }

    /// Offset just past the last non-zero byte, rounded up to 8.
    static func usedPrefix(_ path: String, size: Int64) throws(BenchError) -> Int64 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .environment("cannot open \(path): \(errnoText())") }
        defer { _ = close(fd) }
        let chunk: Int64 = 1 << 20
        var buffer = [UInt8](repeating: 0, count: Int(chunk))
        var end = size
        while end > 0 {
            let start = max(0, end - chunk)
            let want = Int(end - start)
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, want, off_t(start)) }
            guard n == want else { throw .environment("short read of \(path) at \(start)") }
            let last: Int? = buffer.withUnsafeBytes { raw in
                var i = want - 1
                while i >= 0 { if raw[i] != 0 { return i }; i -= 1 }
                return nil
            }
            if let last { return (start + Int64(last) + 1 + 7) & ~7 }
            end = start
        }
        return 0
    }

    /// Reads every file of `directory` once, so the next reads hit the page cache.
    package static func warm(directory: String) {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        for name in regularFiles(directory) {
            let fd = open(directory + "/" + name, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            var offset: off_t = 0
            while true {
                let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, offset) }
                if n <= 0 { break }
                offset += off_t(n)
            }
            _ = close(fd)
        }
    }

    /// Drops `directory`'s files from the page cache with
    /// `posix_fadvise(POSIX_FADV_DONTNEED)` (after an `fdatasync`, since
    /// only clean pages are dropped). Needs no privileges. Returns false when
    /// a file could not be evicted.
    @discardableResult
    package static func evict(directory: String) -> Bool {
        var ok = true
        for name in regularFiles(directory) {
            let fd = open(directory + "/" + name, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { ok = false; continue }
            #if os(Linux)
            _ = fdatasync(fd)
            if posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED)) != 0 { ok = false }
            #else
            ok = false  // no posix_fadvise on Darwin: the cache stays warm
            #endif
            _ = close(fd)
        }
        return ok
    }

    /// Removes `directory` and the regular files directly in it (a log
    /// directory has no subdirectories). For the benchmark's own scratch logs.
    package static func removeTree(_ directory: String) {
        for name in regularFiles(directory) { _ = unlink(directory + "/" + name) }
        _ = rmdir(directory)
    }

    /// True when `directory` does not exist or is empty.
    package static func isMissingOrEmpty(_ directory: String) -> Bool {
        guard let d = opendir(directory) else { return errno == ENOENT }
        defer { closedir(d) }
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { return false }
        }
        return true
    }
}

/// Process measurements from `/proc` (Linux).
package enum ProcessStats {
    /// The first three fields of `/proc/loadavg` (other load skews results).
    package static func loadAverage() -> String {
        guard let bytes = try? BenchFiles.readPrefix("/proc/loadavg", maxBytes: 256) else { return "" }
        return String(decoding: bytes, as: UTF8.self).split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// A `kB` field of `/proc/self/status` (`VmRSS`, `VmHWM`), in bytes.
    static func statusBytes(_ field: String) -> Int64? {
        guard let bytes = try? BenchFiles.readPrefix("/proc/self/status", maxBytes: 8192) else { return nil }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix(field + ":") {
            let digits = line.dropFirst(field.count + 1).filter { $0.isNumber }
            return Int64(digits).map { $0 * 1024 }
        }
        return nil
    }

    /// User and system CPU time of the whole process so far, in seconds.
    package static func cpuSeconds() -> (user: Double, system: Double) {
        var usage = rusage()
        #if canImport(Glibc)
        let who = RUSAGE_SELF.rawValue
        #else
        let who = RUSAGE_SELF
        #endif
        guard getrusage(who, &usage) == 0 else { return (0, 0) }
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return (seconds(usage.ru_utime), seconds(usage.ru_stime))
    }

    /// Resident set size now.
    package static func residentBytes() -> Int64 { statusBytes("VmRSS") ?? 0 }

    /// Peak resident set size since the process started or since the last
    /// ``resetPeakResident()``.
    package static func peakResidentBytes() -> Int64 { statusBytes("VmHWM") ?? 0 }

    /// Resets the peak to the current RSS (writes `5` to
    /// `/proc/self/clear_refs`, Linux 4.0+). Returns false when not possible.
    @discardableResult
    package static func resetPeakResident() -> Bool {
        let fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { _ = close(fd) }
        return write(fd, "5", 1) == 1
    }
}
