import Testing
import RaftWAL
import RaftWALTesting
import RaftWALTorture

/// A crash ends the process: the `RaftLog` of the crashed session still
/// exists in the fuzzer, and its close (or deinit) must not reach the disk
/// the next session opened (`SimProcess`).
@Suite("Sim: a session a crash ended writes nothing")
struct SimDeadSessionTests {
    /// Every path with the size and a hash (FNV-1a) of its visible and
    /// durable bytes: any write, creation, rename or removal changes it.
    static func disk(_ fs: SimFileSystem) -> [String: String] {
        func digest(_ bytes: [UInt8]?) -> String {
            guard let bytes else { return "none" }
            let hash = bytes.reduce(0xcbf2_9ce4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
            return "\(bytes.count) bytes #\(String(hash, radix: 16))"
        }
        return Dictionary(uniqueKeysWithValues: fs.paths().map {
            ($0, "visible \(digest(fs.contents(of: $0))), durable \(digest(fs.durableContents(of: $0)))")
        })
    }

    static func entries(_ range: ClosedRange<UInt64>) -> [Entry] {
        range.map { Entry(index: $0, term: 1, data: Array(repeating: UInt8(truncatingIfNeeded: $0), count: 100)) }
    }

    /// The torture episode's sessions: the log from before the crash is
    /// released after the reopen (as `crashPoint` does), and the directory
    /// is byte-for-byte unchanged: no tail hint, no removed spare.
    @Test(arguments: 0..<4 as Range<UInt64>)
    func theCrashedSessionsCloseLeavesTheReopenedDirectoryUnchanged(number: UInt64) throws {
        let episode = SimEpisode(config: SimTortureConfig(seed: 5, iterations: 1), number: number)
        var dead: RaftLog? = try episode.openLog()
        try dead!.append(Self.entries(1...20))
        episode.fs.crash()
        let reopened = try episode.openLog()
        let tail = episode.directory + "/TAIL"
        #expect(episode.fs.contents(of: tail) == nil, "the writable open removed any hint")
        let before = Self.disk(episode.fs)
        dead = nil
        #expect(Self.disk(episode.fs) == before)
        #expect(episode.fs.contents(of: tail) == nil, "a tail hint written by the crashed session")
        // The live session still works and still leaves its hint.
        try reopened.append(Self.entries((reopened.lastIndex + 1)...(reopened.lastIndex + 3)))
        reopened.close()
        #expect(episode.fs.contents(of: tail) != nil)
    }

    /// The view itself: after a crash every call of an older process fails
    /// with EIO and counts no operation; a new process works.
    @Test func aProcessACrashEndedGetsEIOAndCountsNoOperation() throws {
        let fs = SimFileSystem(seed: 1)
        let old = fs.process()
        try old.createDirectory("/d")
        try old.syncDirectory("/")
        #expect(old.isAlive)
        fs.crash()
        #expect(!old.isAlive)
        let operations = fs.operationCount
        #expect(throws: WALError.io(errno: 5, operation: "process ended by a crash", path: "/d/x")) {
            _ = try old.open("/d/x", access: .readWrite, create: true)
        }
        #expect(throws: WALError.io(errno: 5, operation: "process ended by a crash", path: "/d")) { try old.syncDirectory("/d") }
        #expect(throws: WALError.io(errno: 5, operation: "process ended by a crash", path: "/d")) { _ = try old.listDirectory("/d") }
        #expect(!old.fileExists("/d") && !old.isDirectory("/d") && old.fileKind("/d") == nil)
        #expect(fs.operationCount == operations)
        #expect(fs.paths().isEmpty)
        let new = fs.process()
        _ = try new.open("/d/x", access: .readWrite, create: true)
        #expect(fs.paths() == ["/d/x"])
    }
}
