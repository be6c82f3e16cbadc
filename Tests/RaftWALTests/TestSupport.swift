import Foundation
import Testing
import RaftWAL

/// A fresh temporary directory, removed when the test's scope ends.
final class TempDir: @unchecked Sendable {
    let path: String
    init(_ label: String = "raftwal") {
        path = NSTemporaryDirectory() + "\(label)-\(UUID().uuidString)"
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
    func names() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }
}

func testOptions(segmentSize: UInt64 = 64 << 20, sync: SyncPolicy = .none) -> LogOptions {
    var o = LogOptions()
    o.segmentSizeBytes = segmentSize
    o.sync = sync
    o.compactionKeepEntries = 0
    return o
}

/// Deterministic entries `range` in `term`, payload derived from index and term.
func makeEntries(_ range: ClosedRange<UInt64>, term: UInt64, size: Int = 40) -> [Entry] {
    range.map { i in
        var bytes = [UInt8](repeating: 0, count: size)
        for k in 0..<size { bytes[k] = UInt8(truncatingIfNeeded: i &* 31 &+ term &* 7 &+ UInt64(k)) }
        return Entry(index: i, term: term, data: bytes)
    }
}

/// The kinds of ``WALError`` a test expects, so that "any error" never passes
/// for a specific one (an I/O error is not an invalid append).
enum ExpectedError {
    case invalidArgument(containing: String)
    case io(errno: Int32)
    case corrupted(containing: String)
    case foreignConfChange

    func matches(_ error: any Error) -> Bool {
        guard let error = error as? WALError else { return false }
        switch (self, error) {
        case let (.invalidArgument(text), .invalidArgument(why)): return why.contains(text)
        case let (.io(code), .io(errno, _, _)): return errno == code
        case let (.corrupted(text), .corrupted(_, _, _, reason, _)): return reason.contains(text)
        case (.foreignConfChange, .foreignConfChange): return true
        default: return false
        }
    }
}

/// Expects `body` to throw exactly the kind of error `expected` names.
func expectError(_ expected: ExpectedError, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    #expect(sourceLocation: sourceLocation, performing: body, throws: { expected.matches($0) })
}
