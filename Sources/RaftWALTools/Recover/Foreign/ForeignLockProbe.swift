#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether a running daemon holds a Docker Swarm or etcd directory.
///
/// etcd's WAL (and so dockerd's swarm manager) locks every WAL file it has
/// open for writing with a Linux open-file-description lock (`F_OFD_SETLK`,
/// `flock` where OFD locks are missing). This probe asks the kernel about
/// both without taking anything: `F_OFD_GETLK` (reports a conflicting write
/// lock, changes nothing) and `flock(LOCK_EX | LOCK_NB)` released at once.
/// It also looks for a running `dockerd` whose `--data-root` holds the
/// directory (a daemon that has not opened the WAL yet, or is starting).
enum ForeignLockProbe {
    /// Linux `F_OFD_GETLK` (not exported by every Glibc module map).
    private static let ofdGetLock: Int32 = 36

    /// Why the directory is busy, naming the holder and how to stop it; nil when nothing holds it.
    static func holder(walFiles: [String], root: String, kind: String) -> String? {
        for path in walFiles {
            if let why = lockedBySomeone(path) {
                let stop = kind == "swarm"
                    ? "stop the Docker daemon first (`systemctl stop docker`, or stop that dockerd process)"
                    : "stop the etcd member first (`systemctl stop etcd`, or stop that etcd process)"
                return "\(path) is locked by a running process (\(why)): \(stop)"
            }
        }
        if kind == "swarm", let d = runningDockerd(holding: root) {
            return "dockerd (pid \(d.pid)) runs with --data-root \(d.dataRoot), which holds \(root): stop the Docker daemon first (`systemctl stop docker`, or `kill \(d.pid)` and wait for it to exit)"
        }
        return nil
    }

    /// "OFD write lock held by pid N" / "flock held"; nil when neither is held.
    static func lockedBySomeone(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = 0
        lock.l_len = 0
        lock.l_pid = 0
        #if os(Linux)
        if fcntl(fd, ofdGetLock, &lock) == 0 && lock.l_type != Int16(F_UNLCK) {
            return "an OFD lock" + (lock.l_pid > 0 ? " by pid \(lock.l_pid)" : "")
        }
        #else
        // No OFD locks outside Linux: a POSIX record lock is what a Go
        // program's `F_SETLK` fallback takes there.
        if fcntl(fd, F_GETLK, &lock) == 0 && lock.l_type != Int16(F_UNLCK) {
            return "a record lock" + (lock.l_pid > 0 ? " by pid \(lock.l_pid)" : "")
        }
        #endif
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            return errno == EWOULDBLOCK ? "an flock" : nil
        }
        _ = flock(fd, LOCK_UN)
        return nil
    }

    /// A running dockerd whose data root contains `root`.
    static func runningDockerd(holding root: String) -> (pid: Int32, dataRoot: String)? {
        let resolved = resolvedPath(root)
        guard let dir = opendir("/proc") else { return nil }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let pid = Int32(name), readSmall("/proc/\(name)/comm")?.hasPrefix("dockerd") == true,
                  let cmdline = readSmall("/proc/\(name)/cmdline") else { continue }
            let args = cmdline.split(separator: "\0", omittingEmptySubsequences: false).map(String.init)
            var dataRoot = "/var/lib/docker"
            for (k, a) in args.enumerated() {
                if (a == "--data-root" || a == "-g" || a == "--graph"), k + 1 < args.count { dataRoot = args[k + 1] }
                if a.hasPrefix("--data-root=") { dataRoot = String(a.dropFirst("--data-root=".count)) }
            }
            if isWithin(resolved, resolvedPath(dataRoot)) { return (pid, dataRoot) }
        }
        return nil
    }

    private static func readSmall(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = read(fd, &buffer, buffer.count)
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
    }
}
