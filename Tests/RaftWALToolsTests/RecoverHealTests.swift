import Foundation
import Testing
import RaftWAL
import RaftWALTesting
import RaftWALTools

private typealias S = RecoverTestSupport

/// `raft-recover heal DIR --from PEER_DIR` on the `heal-*` fixtures
/// (``HealFixtures``): member 2 lost the record holding 116-120 inside a
/// sealed segment; `heal-peer` is member 3 with the same log in other
/// segment files, `heal-peer-diverged` holds 116-200 in term 3.
@Suite struct RecoverHealTests {
    /// Builds the named heal fixtures into one scratch directory; returns the root.
    static func fixtures(_ names: String...) throws -> String {
        let root = try S.scratch("heal")
        for name in names { try HealFixtures.build(name, into: root + "/" + name) }
        return root
    }

    /// Runs heal and returns the refusal it threw (nil when it returned).
    static func refusal(_ heal: Heal) -> HealRefusal? {
        guard case .healRefused(let r)? = S.failure({ () throws(RecoverError) in try heal.run() }) else { return nil }
        return r
    }

    @Test func shippedHealFixturesAreReproducibleByteForByte() throws {
        try S.expectShippedFixturesReproducible(names: HealFixtures.specs.map(\.name), build: HealFixtures.buildAll(into:))
    }

    @Test func healsADamagedSealedSegmentFromAMatchingPeer() throws {
        let root = try Self.fixtures("heal-member", "heal-peer")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let member = root + "/heal-member", peer = root + "/heal-peer"
        let original = try S.files(member)
        let peerBefore = try S.files(peer)

        let report = try Heal(source: member, peer: peer, options: S.options(.inPlace)).run()
        #expect(report.outcome == .done)
        let healed = try #require(report.healed?.first)
        #expect(report.healed?.count == 1)
        #expect(healed.first == HealFixtures.damaged.lowerBound && healed.last == HealFixtures.damaged.upperBound)
        #expect(healed.localFile == "0000000000000002-000000000000005b.seg")
        #expect(healed.anchorIndex == 121 && healed.anchorTerm == 2)
        #expect(healed.checks.count == 4)

        // Every entry, healed ones included, is the peer's byte for byte; the
        // hard state, the snapshot file and the identity are the member's.
        let result = try S.open(member)
        defer { result.close() }
        let lender = try S.open(peer)
        defer { lender.close() }
        #expect(result.recoveryReport.labels == [.clean])
        #expect(try result.entries(1, 201) == (try lender.entries(1, 201)))
        #expect(result.identity.memberID == SurvivorFixtures.survivor)
        #expect(result.hardState == HardState(term: 2, vote: 1, commit: SurvivorFixtures.commitIndex))
        let snap = "snap-0000000000000096-0000000000000002.snap"
        #expect(try S.files(member)[snap] == original[snap])
        // raft-inspect verify: healthy.
        try S.expectVerifiesClean(member)
        // The peer is untouched; the original is kept whole as the backup.
        #expect(try S.files(peer) == peerBefore)
        #expect(try S.files(member + ".raft-recover-backup") == original)
        // The engine opens it for writing, and a second heal finds nothing to do.
        let writable = try RaftLog.open(directory: member, options: LogOptions())
        writable.close()
        #expect(try Heal(source: member, peer: peer, options: S.options(.inPlace)).run().outcome == .nothingToDo)
    }

    @Test func healsACompactedLogWhichRestartsAfterItsSnapshot() throws {
        // survivor-voters: first index 91, snapshot at 150, 91-180 in a sealed segment.
        let (root, member) = try S.survivor("survivor-voters")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let peer = root + "/backup"
        try Damage.copyDirectory(member, to: peer)
        try HealFixtures.damageSealedRecord(in: member, holding: 160)
        let original = try S.files(member)
        let report = try Heal(source: member, peer: peer, options: S.options(.inPlace)).run()
        #expect(report.healed?.map { $0.first...$0.last } == [156...160])
        #expect(report.notes.contains { $0.contains("covered by the snapshot at 150") })
        let healed = try S.digest(member), whole = try S.digest(peer)
        #expect(healed.firstIndex == 151 && healed.lastIndex == 200)
        #expect(healed.entries == Array(whole.entries.drop { $0.index <= 150 }))
        #expect(healed.hardState == whole.hardState && healed.snapshot == whole.snapshot)
        let snap = "snap-0000000000000096-0000000000000002.snap"
        #expect(try S.files(member)[snap] == original[snap])
        try S.expectVerifiesClean(member)
    }

    @Test func refusesAPeerWhoseTermAtTheBoundaryDiffers() throws {
        let root = try Self.fixtures("heal-member", "heal-peer-diverged")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let member = root + "/heal-member"
        let before = try S.files(member)
        let refusal = Self.refusal(Heal(source: member, peer: root + "/heal-peer-diverged", options: S.options(.inPlace)))
        #expect(refusal == .termMismatch(peer: root + "/heal-peer-diverged", index: 121, localTerm: 2, peerTerm: 3,
                                         localFile: "0000000000000002-000000000000005b.seg"))
        #expect(refusal?.exitCode == 1)
        #expect(try S.files(member) == before)
        #expect(!FileManager.default.fileExists(atPath: member + ".raft-recover-backup"))
    }

    @Test func refusesAPeerLackingTheRange() throws {
        let root = try Self.fixtures("heal-member", "heal-peer")
        defer { try? FileManager.default.removeItem(atPath: root) }
        // A member that fell behind: the same log, only up to 110.
        let behind = root + "/behind"
        let full = try S.open(root + "/heal-peer")
        var o = LogOptions()
        o.sync = .none
        o.clusterID = full.identity.clusterID
        o.memberID = full.identity.memberID
        let log = try RaftLog.open(directory: behind, options: o)
        try log.append(try full.entries(1, 111), hardState: HardState(term: 1, vote: 1, commit: 108))
        log.close()
        full.close()

        let member = root + "/heal-member"
        let before = try S.files(member)
        let refusal = Self.refusal(Heal(source: member, peer: behind, options: S.options(.inPlace)))
        #expect(refusal == .peerLacksRange(peer: behind, range: HealFixtures.damaged, peerFirst: 1, peerLast: 110))
        #expect(refusal?.exitCode == 1)
        #expect(try S.files(member) == before)
    }

    @Test func refusesAPeerWhoseOwnCopyOfTheRangeIsDamaged() throws {
        let root = try Self.fixtures("heal-member")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let member = root + "/heal-member", copy = root + "/copy"
        try Damage.copyDirectory(member, to: copy)
        let refusal = Self.refusal(Heal(source: member, peer: copy, options: S.options(.inPlace)))
        guard case let .peerDamaged(peer, file, offset, _, _)? = refusal else {
            Issue.record("expected peerDamaged, got \(String(describing: refusal))")
            return
        }
        #expect(peer == copy && file == "0000000000000002-000000000000005b.seg" && offset == 5168)
    }

    @Test func refusesAPeerTheEngineCannotOpenNamingThePeersFile() throws {
        let root = try Self.fixtures("heal-member")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let peer = root + "/peer"
        try Damage.copyDirectory(RecoverFixtureTests.root + "/survivor-learners", to: peer)
        let tail = "0000000000000003-00000000000000b5.seg"
        try Damage.flipBit(peer + "/" + tail, offset: 4096 + 100)  // the open segment's first record, valid ones after it
        let refusal = Self.refusal(Heal(source: root + "/heal-member", peer: peer, options: S.options(.inPlace)))
        guard case let .peerDamaged(who, file, offset, _, _)? = refusal else {
            Issue.record("expected peerDamaged, got \(String(describing: refusal))")
            return
        }
        #expect(who == peer && file == tail && offset == 4096)
        #expect(refusal?.exitCode == 1)
    }

    @Test func refusesAPeerOfAnotherClusterWithExitTwo() throws {
        let root = try Self.fixtures("heal-member")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let other = root + "/other"
        try Damage.copyDirectory(RecoverFixtureTests.root + "/healthy", to: other)
        let refusal = Self.refusal(Heal(source: root + "/heal-member", peer: other, options: S.options(.inPlace)))
        guard case .differentLog? = refusal else {
            Issue.record("expected differentLog, got \(String(describing: refusal))")
            return
        }
        #expect(refusal?.exitCode == 2)
    }

    @Test func refusesDamageTheEngineOpenStopsAtAndPointsToRepair() throws {
        let root = try S.scratch("heal-corrupt")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Damage.copyDirectory(RecoverFixtureTests.root + "/corrupt-record", to: root + "/member")
        try Damage.copyDirectory(RecoverFixtureTests.root + "/healthy", to: root + "/peer")
        let error = S.failure { () throws(RecoverError) in try Heal(source: root + "/member", peer: root + "/peer", options: S.options(.inPlace)).run() }
        guard case let .damage(walError, advice)? = error, case .corrupted(let file, _, _, _, _) = walError else {
            Issue.record("expected damage, got \(String(describing: error))")
            return
        }
        #expect(file.hasSuffix(".seg"))
        #expect(advice.contains("raft-recover repair"))
        #expect(error?.exitCode == 1)
    }

    @Test func dryRunLeavesBothDirectoriesByteIdentical() throws {
        let root = try Self.fixtures("heal-member", "heal-peer")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let member = root + "/heal-member", peer = root + "/heal-peer"
        let before = (try S.files(member), try S.files(peer))
        let listing = try FileManager.default.contentsOfDirectory(atPath: root).sorted()
        let report = try Heal(source: member, peer: peer, options: S.options(.inPlace, dryRun: true)).run()
        #expect(report.outcome == .planned)
        #expect(report.healed?.map { $0.first...$0.last } == [HealFixtures.damaged])
        #expect(try S.files(member) == before.0)
        #expect(try S.files(peer) == before.1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root).sorted() == listing, "no staging or backup directory")
    }

    @Test func refusesToWriteInsideThePeersDirectoryEvenThroughASymlink() throws {
        let root = try Self.fixtures("heal-member", "heal-peer")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let member = root + "/heal-member", peer = root + "/heal-peer"
        // A member nested in the peer (its lock, staging and backup would land there), an output
        // inside the peer, and the same output reached through a symbolic link to the peer.
        let nested = peer + "/member"
        try FileManager.default.copyItem(atPath: member, toPath: nested)
        try FileManager.default.createSymbolicLink(atPath: root + "/alias", withDestinationPath: peer)
        let before = try FileManager.default.subpathsOfDirectory(atPath: peer).sorted()
        let cases: [(String, OutputTarget)] = [(nested, .inPlace), (member, .directory(peer + "/healed")),
                                               (member, .directory(root + "/alias/healed"))]
        for (source, target) in cases {
            for dryRun in [false, true] {
                let failure = S.failure({ () throws(RecoverError) in try Heal(source: source, peer: peer, options: S.options(target, dryRun: dryRun)).run() })
                guard case .usage(let why)? = failure else {
                    Issue.record("\(source) → \(target): expected a usage refusal, got \(String(describing: failure))")
                    continue
                }
                #expect(why.contains("--from") && why.contains("overlap"))
            }
        }
        #expect(try FileManager.default.subpathsOfDirectory(atPath: peer).sorted() == before, "nothing written in the peer")
    }

    @Test func healsIntoANewOutputDirectoryLeavingTheSourceAsItWas() throws {
        let root = try Self.fixtures("heal-member", "heal-peer")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let member = root + "/heal-member", out = root + "/healed"
        let before = try S.files(member)
        let report = try Heal(source: member, peer: root + "/heal-peer", options: S.options(.directory(out))).run()
        #expect(report.outcome == .done && report.backup == nil)
        #expect(try S.files(member) == before)
        #expect(try S.digest(out).entries == (try S.digest(root + "/heal-peer").entries))
        // Re-run: the result is recognized as this source's.
        #expect(try Heal(source: member, peer: root + "/heal-peer", options: S.options(.directory(out))).run().outcome == .alreadyDone)
    }

    @Test func theCommandPrintsTheJSONReportItWritesAndExitsOneOnATermMismatch() throws {
        let exe = try #require(RecoverCLITests.executable, "raft-recover is not built next to the tests")
        let root = try Self.fixtures("heal-member", "heal-peer", "heal-peer-diverged")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let member = root + "/heal-member"
        let refused = try ToolProcess.run(exe, ["heal", member, "--from", root + "/heal-peer-diverged"])
        #expect(refused.status == 1)
        #expect(refused.stdout.isEmpty)
        #expect(refused.stderr.contains("holds index 121 in term 3, this log in term 2"))
        let r = try ToolProcess.run(exe, ["heal", member, "--from", root + "/heal-peer", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try String(contentsOfFile: member + "/raft-recover-report.json", encoding: .utf8) == r.stdout)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let healed = try #require((report["healed"] as? [[String: Any]])?.first)
        #expect(healed["first"] as? Int == 116 && healed["last"] as? Int == 120 && healed["anchorIndex"] as? Int == 121)
    }

    /// A log whose last entries end a sealed segment, the last segment
    /// holding only a hard state (a roll-over made by `setHardState`), with
    /// `term` for every index.
    static func tailLog(_ dir: String, member: UInt64, term: @escaping (UInt64) -> UInt64, rollOver: Bool) throws {
        var o = LogOptions()
        o.sync = .none
        o.segmentSizeBytes = 8192
        o.clusterID = SurvivorFixtures.clusterID
        o.memberID = member
        let log = try RaftLog.open(directory: dir, options: o)
        defer { log.close() }
        for first in stride(from: UInt64(1), through: 36, by: 5) {
            try log.append((first...first + 4).map { Entry(index: $0, term: term($0), data: Array("entry \($0)".utf8)) })
        }
        try log.setHardState(HardState(term: 2, vote: 1, commit: 40))
        guard rollOver else { return }
        var n = 0
        while try DirectoryListing(directory: dir).segments.count < 2 {
            try log.setHardState(HardState(term: 2, vote: 1, commit: 40))
            n += 1
            precondition(n < 10_000)
        }
    }

    @Test func healsDamageAtTheTailAnchoredOnTheTermTheSealRecords() throws {
        let root = try S.scratch("heal-tail")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let member = root + "/member", peer = root + "/peer", diverged = root + "/diverged"
        let terms: (UInt64) -> UInt64 = { $0 <= 20 ? 1 : 2 }
        try Self.tailLog(member, member: 2, term: terms, rollOver: true)
        try Self.tailLog(peer, member: 3, term: terms, rollOver: false)
        try Self.tailLog(diverged, member: 3, term: { $0 <= 35 ? terms($0) : 3 }, rollOver: false)
        try HealFixtures.damageSealedRecord(in: member, holding: 40)

        // The last record (36-40) is damaged and no local entry follows it.
        let before = try S.files(member)
        let refusal = Self.refusal(Heal(source: member, peer: diverged, options: S.options(.inPlace)))
        #expect(refusal == .termMismatch(peer: diverged, index: 40, localTerm: 2, peerTerm: 3,
                                         localFile: "0000000000000001-0000000000000001.seg"))
        #expect(try S.files(member) == before)

        let report = try Heal(source: member, peer: peer, options: S.options(.inPlace)).run()
        let healed = try #require(report.healed?.first)
        #expect(healed.first == 36 && healed.last == 40)
        #expect(healed.anchorIndex == 40 && healed.anchorTerm == 2)
        #expect(healed.anchor.contains("seal"))
        #expect(try S.digest(member).entries == (try S.digest(peer).entries))
        try S.expectVerifiesClean(member)
    }

    /// Killed after k mutating operations for every k, then a power cut: the
    /// member is as before (at its name or whole in the backup) or healed,
    /// never half; the peer never changes; a re-run ends healed.
    @Test func aCrashMidHealLeavesTheDirectoryAsBeforeOrHealed() throws {
        let root = try Self.fixtures("heal-member", "heal-peer")
        let member = try S.files(root + "/heal-member"), peer = try S.files(root + "/heal-peer")
        try? FileManager.default.removeItem(atPath: root)
        func disk(seed: UInt64) throws -> SimFileSystem {
            let fs = try RecoverCrashTests.disk(member, seed: seed, lockFile: true)
            try fs.createDirectory("/data/peer")
            for (name, bytes) in peer {
                let h = try fs.open("/data/peer/" + name, access: .readWrite, create: true)
                try h.write(Array(bytes), at: 0)
                try h.sync(dataOnly: false)
                h.close()
            }
            try fs.syncDirectory("/data/peer")
            try fs.syncDirectory("/data")
            return fs
        }
        func run(_ fs: SimFileSystem) throws(RecoverError) -> RecoverReport {
            var o = RecoverOptions(target: .inPlace)
            o.fileSystem = fs
            o.segmentSizeBytes = 16 << 10
            return try Heal(source: "/data/src", peer: "/data/peer", options: o).run()
        }
        let crash = RecoverCrashTests()
        let clean = try disk(seed: 7)
        let original = crash.files(clean, "/data/src"), peerFiles = crash.files(clean, "/data/peer")
        let start = clean.operationCount
        #expect(try run(clean).outcome == .done)
        let steps = clean.operationCount - start
        let want = try S.digest("/data/src", fs: clean)
        #expect(steps > 10)

        for k in 0..<steps {
            let fs = try disk(seed: 2000 + UInt64(k))
            fs.kill(afterOperations: k)
            #expect(S.failure { () throws(RecoverError) in try run(fs) } != nil, "killed after \(k) of \(steps) operations, heal reported success")
            fs.crash()
            let atSource = crash.files(fs, "/data/src")
            let backup = crash.files(fs, "/data/src.raft-recover-backup")
            #expect(atSource == original || backup == original, "after a kill at step \(k)")
            #expect(crash.files(fs, "/data/peer") == peerFiles, "the peer changed after a kill at step \(k)")
            if fs.isDirectory("/data/src") && atSource != original {
                #expect(try S.digest("/data/src", fs: fs) == want, "half-healed after a kill at step \(k)")
            }
            let rerun = try run(fs)
            #expect([.done, .alreadyDone, .nothingToDo].contains(rerun.outcome), "re-run after a kill at step \(k)")
            #expect(try S.digest("/data/src", fs: fs) == want, "re-run after a kill at step \(k)")
        }
    }
}
