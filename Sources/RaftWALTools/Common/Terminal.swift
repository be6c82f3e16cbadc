#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RaftWAL

/// The few terminal facts the tools need, wrapped once.
package enum Terminal {
    /// `isatty(fd)`.
    package static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// A terminal that is not `TERM=dumb`, with `NO_COLOR` unset (https://no-color.org).
    package static func isColorTerminal(_ fd: Int32) -> Bool {
        guard isTerminal(fd), getenv("NO_COLOR") == nil else { return false }
        if let term = getenv("TERM"), String(cString: term) == "dumb" { return false }
        return true
    }

    /// Writes all of `text` to `fd`, retrying short writes and EINTR. A
    /// closed pipe (EPIPE) ends the output silently, as `head` expects.
    package static func write(_ text: String, to fd: Int32) {
        write(bytes: Array(text.utf8), to: fd)
    }

    /// Writes all of `bytes` to `fd` (see ``write(_:to:)``).
    package static func write(bytes: [UInt8], to fd: Int32) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { systemWrite(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            done += n
        }
    }

    private static func systemWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
        #if canImport(Glibc)
        return Glibc.write(fd, p, n)
        #else
        return Darwin.write(fd, p, n)
        #endif
    }

    /// Monotonic nanoseconds, for progress throttling only.
    package static func nowNanos() -> UInt64 { MonotonicClock.nanos() }
}
