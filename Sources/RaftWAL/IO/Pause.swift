#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `nanosleep(2)`, resumed after a signal until `nanos` have passed. Only
/// the read-only live-directory re-check waits (``SegmentReader/wasWrittenDuringRead(at:)``):
/// the engine never sleeps on its write path.
func pause(nanos: UInt64) {
    var request = timespec(tv_sec: Int(nanos / 1_000_000_000), tv_nsec: Int(nanos % 1_000_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}
