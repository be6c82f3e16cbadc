import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RaftWAL
import RaftWALTesting

/// The simulated disk must model the page cache faithfully: the crash
/// fuzzer's verdicts are only as good as this model.
@Suite struct TortureSimFileSystemTests {
    /// Creates `/d/f` holding `bytes`, synced and named durably.
    func durableFile(_ fs: SimFileSystem, _ bytes: [UInt8]) throws {
        try fs.createDirectory("/d")
        try fs.syncDirectory("/")
        let h = try fs.open("/d/f", access: .readWrite, create: true)
        try h.write(bytes, at: 0)
        try h.sync(dataOnly: false)
        try fs.syncDirectory("/d")
        h.close()
    }

    @Test func syncedWriteSurvivesEveryCrash() throws {
        for seed in 0..<50 as Range<UInt64> {
            let fs = SimFileSystem(seed: seed)
            try durableFile(fs, [1, 2, 3, 4])
            let h = try fs.open("/d/f", access: .readWrite, create: false)
            try h.write([9, 9], at: 4)
            fs.crash()
            let after = try #require(fs.contents(of: "/d/f"))
            #expect(Array(after.prefix(4)) == [1, 2, 3, 4], "seed \(seed)")
        }
    }

    @Test func unsyncedWriteIsSometimesKeptSometimesDroppedSometimesTorn() throws {
        var kept = 0, dropped = 0, torn = 0
        let payload = [UInt8](repeating: 0xAB, count: 2048)
        for seed in 0..<200 as Range<UInt64> {
            let fs = SimFileSystem(seed: seed)
            try durableFile(fs, [UInt8](repeating: 0, count: 4096))
            let h = try fs.open("/d/f", access: .readWrite, create: false)
            try h.write(payload, at: 100)
            #expect(fs.contents(of: "/d/f")![100..<2148].allSatisfy { $0 == 0xAB }, "the page cache shows the write at once")
            fs.crash()
            let region = fs.contents(of: "/d/f")![100..<2148]
            let n = region.filter { $0 == 0xAB }.count
            if n == payload.count { kept += 1 } else if n == 0 { dropped += 1 } else { torn += 1 }
        }
        #expect(kept > 0 && dropped > 0 && torn > 0, "kept \(kept), dropped \(dropped), torn \(torn)")
    }

    @Test func createdNameIsVolatileUntilTheDirectoryIsSynced() throws {
        let fs = SimFileSystem(seed: 1)
        try fs.createDirectory("/d")
        try fs.syncDirectory("/")
        let h = try fs.open("/d/new", access: .readWrite, create: true)
        try h.write([7], at: 0)
        try h.sync(dataOnly: false)
        #expect(fs.fileExists("/d/new"))
        #expect(fs.durableContents(of: "/d/new") == nil, "the file is synced but its name is not")
        try fs.syncDirectory("/d")
        #expect(fs.durableContents(of: "/d/new") == [7])
    }

    @Test func renameAndRemoveAreVolatileUntilTheDirectoryIsSynced() throws {
        let fs = SimFileSystem(seed: 2)
        try durableFile(fs, [5])
        try fs.rename("/d/f", to: "/d/g")
        #expect(fs.paths() == ["/d/g"])
        #expect(fs.durableContents(of: "/d/f") == [5] && fs.durableContents(of: "/d/g") == nil)
        try fs.syncDirectory("/d")
        #expect(fs.durableContents(of: "/d/f") == nil && fs.durableContents(of: "/d/g") == [5])
        try fs.remove("/d/g")
        #expect(fs.durableContents(of: "/d/g") == [5])
        try fs.syncDirectory("/d")
        #expect(fs.durableContents(of: "/d/g") == nil)
        #expect(throws: WALError.io(errno: ENOENT, operation: "unlink", path: "/d/g")) { try fs.remove("/d/g") }
    }

    @Test func renameIsAtomicAcrossCrashes() throws {
        for seed in 0..<40 as Range<UInt64> {
            let fs = SimFileSystem(seed: seed)
            try durableFile(fs, [5])
            try fs.rename("/d/f", to: "/d/g")
            fs.crash()
            #expect(fs.paths() == ["/d/f"] || fs.paths() == ["/d/g"], "seed \(seed): \(fs.paths())")
        }
    }

    @Test func directoriesAndListingWork() throws {
        let fs = SimFileSystem(seed: 3)
        try fs.createDirectory("/a/b/c")
        #expect(fs.isDirectory("/a") && fs.isDirectory("/a/b/c") && !fs.isDirectory("/a/x"))
        _ = try fs.open("/a/b/file", access: .readWrite, create: true)
        #expect(try fs.listDirectory("/a/b").sorted() == ["c", "file"])
        #expect(throws: WALError.io(errno: ENOENT, operation: "open", path: "/nope/file")) { _ = try fs.open("/nope/file", access: .readWrite, create: true) }
        #expect(throws: WALError.io(errno: ENOENT, operation: "open", path: "/a/missing")) { _ = try fs.open("/a/missing", access: .readOnly, create: false) }
        for dir in ["/", "/a", "/a/b"] { try fs.syncDirectory(dir) }
        fs.crash()
        #expect(fs.isDirectory("/a/b/c"), "a mkdir whose parent was synced survives")
        #expect(fs.paths() == ["/a/b/file"] && fs.contents(of: "/a/b/file") == [], "the name was synced, no data was written")
    }

    @Test func killThrowsAfterTheGivenNumberOfMutatingOperations() throws {
        let fs = SimFileSystem(seed: 4)
        try durableFile(fs, [1])
        let base = fs.operationCount
        let h = try fs.open("/d/f", access: .readWrite, create: false)
        fs.kill(afterOperations: 2)
        try h.write([2], at: 1)
        _ = try h.read(at: 0, count: 2)  // reads are not counted
        try h.write([3], at: 2)
        #expect(fs.operationCount == base + 2)
        #expect(throws: WALError.io(errno: EIO, operation: "killed", path: "/d/f")) { try h.sync(dataOnly: true) }
        #expect(throws: WALError.io(errno: EIO, operation: "killed", path: "/d/f")) { _ = try h.read(at: 0, count: 1) }
        #expect(fs.isKilled)
        fs.crash()
        #expect(!fs.isKilled)
        #expect(fs.contents(of: "/d/f")?.first == 1)
    }

    @Test func handlesAndLocksAreInvalidAfterACrash() throws {
        let fs = SimFileSystem(seed: 5)
        try durableFile(fs, [1])
        let h = try fs.open("/d/f", access: .readWrite, create: false)
        let lock = try fs.lockExclusive("/d/LOCK", owner: "me")
        #expect(throws: WALError.locked(path: "/d/LOCK", by: "me")) { _ = try fs.lockExclusive("/d/LOCK", owner: "other") }
        fs.crash()
        #expect(throws: WALError.io(errno: EBADF, operation: "pread", path: "/d/f")) { _ = try h.read(at: 0, count: 1) }
        let again = try fs.lockExclusive("/d/LOCK", owner: "next")
        lock.release()  // the dead holder's release must not free the new holder's lock
        #expect(throws: WALError.locked(path: "/d/LOCK", by: "next")) { _ = try fs.lockExclusive("/d/LOCK", owner: "third") }
        again.release()
        _ = try fs.lockExclusive("/d/LOCK", owner: "third")
    }

    @Test func copyForksAnIndependentRun() throws {
        let fs = SimFileSystem(seed: 6)
        try durableFile(fs, [1])
        let h = try fs.open("/d/f", access: .readWrite, create: false)
        try h.write([2], at: 0)
        let fork = fs.copy()
        fork.crash()
        try h.write([3], at: 1)
        #expect(fs.contents(of: "/d/f") == [2, 3])
        #expect(fork.contents(of: "/d/f") == [1] || fork.contents(of: "/d/f") == [2])
    }

    @Test func sameSeedSameCrash() throws {
        func run() throws -> [UInt8] {
            let fs = SimFileSystem(seed: 42)
            try durableFile(fs, [])
            let h = try fs.open("/d/f", access: .readWrite, create: false)
            for k in 0..<20 { try h.write([UInt8](repeating: UInt8(k), count: 700), at: UInt64(k * 700)) }
            fs.crash()
            return fs.contents(of: "/d/f") ?? []
        }
        #expect(try run() == run())
    }

    @Test func failedSyncLosesDataAndARetriedSyncLies() throws {
        var lost = 0
        for seed in 0..<40 as Range<UInt64> {
            let fs = SimFileSystem(seed: seed)
            try durableFile(fs, [0, 0])
            let h = try fs.open("/d/f", access: .readWrite, create: false)
            try h.write([1], at: 0)
            fs.failSync()
            #expect(throws: WALError.io(errno: EIO, operation: "fdatasync", path: "/d/f")) { try h.sync(dataOnly: true) }
            try h.sync(dataOnly: true)  // succeeds: the pages were marked clean
            #expect(fs.contents(of: "/d/f")?.first == 1, "the page cache still shows the write")
            if fs.durableContents(of: "/d/f")?.first == 0 { lost += 1 }
            #expect(fs.firedFaults.syncFailures == 1)
        }
        #expect(lost > 0)
    }

    @Test func fullDiskFailsWritesAndAllocationsWithNoSpace() throws {
        let fs = SimFileSystem(seed: 7)
        try durableFile(fs, [UInt8](repeating: 1, count: 100))
        fs.capacityBytes = 150
        let h = try fs.open("/d/f", access: .readWrite, create: false)
        try h.write([UInt8](repeating: 2, count: 50), at: 0)  // overwrite: no new space
        #expect(throws: WALError.noSpace(path: "/d/f")) { try h.write([UInt8](repeating: 3, count: 80), at: 100) }
        #expect(fs.contents(of: "/d/f")?.count == 150, "a short write fills what is left")
        #expect(throws: WALError.noSpace(path: "/d/f")) { try h.allocate(upTo: 4096) }
        #expect(fs.firedFaults.noSpace == 2)
    }

    @Test func misdirectedWriteReadsRightUntilTheCacheIsDropped() throws {
        let fs = SimFileSystem(seed: 8)
        try durableFile(fs, [UInt8](repeating: 0, count: 8192))
        let h = try fs.open("/d/f", access: .readWrite, create: false)
        fs.misdirectWrite(pathSuffix: "/f", to: .offset(4096))
        try h.write([7, 7, 7], at: 8)
        try h.sync(dataOnly: true)
        #expect(fs.contents(of: "/d/f")![8..<11] == [7, 7, 7])
        let disk = try #require(fs.durableContents(of: "/d/f"))
        #expect(disk[8..<11] == [0, 0, 0] && disk[4104..<4107] == [7, 7, 7])
        #expect(fs.firedFaults.misdirections == 1)
    }

    @Test func damageAtRestChangesDiskAndCache() throws {
        let fs = SimFileSystem(seed: 9)
        try durableFile(fs, [0, 0, 0, 0])
        try fs.flipBit("/d/f", offset: 1, bit: 3)
        try fs.overwrite("/d/f", offset: 2, bytes: [5])
        #expect(fs.contents(of: "/d/f") == [0, 8, 5, 0] && fs.durableContents(of: "/d/f") == [0, 8, 5, 0])
        try fs.zero("/d/f", range: 1..<3)
        #expect(fs.contents(of: "/d/f") == [0, 0, 0, 0])
        #expect(throws: WALError.io(errno: EINVAL, operation: "flipBit", path: "/d/f")) { try fs.flipBit("/d/f", offset: 10) }
        try fs.loseFile("/d/f")
        #expect(fs.paths().isEmpty && fs.durableContents(of: "/d/f") == nil)
    }

    @Test func engineRoundTripsAndSurvivesACrashAfterAppendsReturn() throws {
        let fs = SimFileSystem(seed: 10)
        var options = LogOptions()
        options.fileSystem = fs
        options.segmentSizeBytes = 16 << 10
        options.compression = false
        do {
            let log = try RaftLog.open(directory: "/data", options: options)
            for i in 1...40 as ClosedRange<UInt64> {
                try log.append([Entry(index: i, term: 1, data: [UInt8](repeating: UInt8(i), count: 900))],
                               hardState: HardState(term: 1, vote: 1, commit: i))
            }
        }
        fs.crash()
        let log = try RaftLog.open(directory: "/data", options: options)
        #expect(log.lastIndex == 40 && log.hardState.commit == 40)
        let entries = try log.entries(1, 41)
        #expect(entries.map(\.data) == (1...40).map { [UInt8](repeating: UInt8($0), count: 900) })
        #expect(fs.paths().filter { $0.hasSuffix(".seg") }.count > 1, "the small segment size made it roll over")
    }
}
