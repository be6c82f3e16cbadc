import Testing
import RaftWAL
import RaftWALTesting

/// Crashes on the simulated page cache (`SimFileSystem`): what an append
/// acknowledged survives, and what a conflicting append replaced never returns.
@Suite("Crashes on a simulated disk")
struct CrashTests {
    static func options(_ fs: SimFileSystem) -> LogOptions {
        var o = LogOptions()
        o.fileSystem = fs
        o.segmentSizeBytes = 16 << 10
        o.compactionKeepEntries = 0
        return o
    }

    static let old = makeEntries(1...40, term: 1, size: 300)
    static let replacement = makeEntries(21...30, term: 2, size: 300)

    /// The conflicting append returned: after any crash, entries 21-30 are
    /// the term-2 ones and 31-40 of term 1 never come back.
    @Test(arguments: 0..<40 as Range<UInt64>)
    func replacedEntriesNeverReappearAfterACrash(seed: UInt64) throws {
        let fs = SimFileSystem(seed: seed)
        let log = try RaftLog.open(directory: "/data", options: Self.options(fs))
        for chunk in stride(from: 0, to: 40, by: 5) { try log.append(Array(Self.old[chunk..<(chunk + 5)])) }
        try log.append(Self.replacement, hardState: HardState(term: 2, vote: 1, commit: 20))
        fs.crash()
        let after = try RaftLog.open(directory: "/data", options: Self.options(fs))
        #expect(after.lastIndex == 30)
        #expect(try after.entries(1, 31) == Array(Self.old[0..<20]) + Self.replacement)
        #expect(after.hardState == HardState(term: 2, vote: 1, commit: 20))
    }

    /// The process dies at every possible operation of the conflicting append:
    /// the log comes back either as before it or as after it, never a mixture,
    /// and opening never fails.
    @Test func aConflictingAppendIsAtomicAtEveryKillPoint() throws {
        let base = SimFileSystem(seed: 7)
        do {
            let log = try RaftLog.open(directory: "/data", options: Self.options(base))
            for chunk in stride(from: 0, to: 40, by: 5) { try log.append(Array(Self.old[chunk..<(chunk + 5)])) }
            log.close()
        }
        let before = Self.old
        let afterward = Array(Self.old[0..<20]) + Self.replacement
        var outcomes: Set<UInt64> = []
        for killAt in 0..<12 {
            let fs = base.copy()
            let log = try RaftLog.open(directory: "/data", options: Self.options(fs))
            fs.kill(afterOperations: killAt)
            let acknowledged = (try? log.append(Self.replacement)) != nil
            fs.crash()
            let reopened = try RaftLog.open(directory: "/data", options: Self.options(fs))
            let got = try reopened.entries(1, reopened.lastIndex + 1)
            if acknowledged { #expect(got == afterward, "kill at \(killAt)") }
            #expect(got == before || got == afterward, "kill at \(killAt): a mixture of old and new entries")
            outcomes.insert(reopened.lastIndex)
            reopened.close()
        }
        #expect(outcomes == [30, 40], "both outcomes are reachable")
    }
}
