#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `strerror` plus the symbolic name for the errnos a storage engine meets
/// (for ``WALError/io(errno:operation:path:)``'s description): the C library
/// stays in the I/O layer.
func errnoName(_ code: Int32) -> String {
    let names: [Int32: String] = [
        EIO: "EIO", ENOSPC: "ENOSPC", EDQUOT: "EDQUOT", ENOENT: "ENOENT", EACCES: "EACCES",
        EPERM: "EPERM", EEXIST: "EEXIST", EROFS: "EROFS", EBADF: "EBADF", EINVAL: "EINVAL",
        EWOULDBLOCK: "EWOULDBLOCK", ENOTDIR: "ENOTDIR", EISDIR: "EISDIR", EMFILE: "EMFILE",
    ]
    let message = String(cString: strerror(code))
    if let name = names[code] { return "\(name) (\(message))" }
    return "errno \(code) (\(message))"
}
