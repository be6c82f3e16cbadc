import Foundation
@testable import RaftInterop
import RaftWALTesting
import RaftWALTools
import Testing

/// raft-inspect on etcd and Swarm directories built from the format's
/// grammar: every shape the reader must tell apart, one test each.
@Suite struct InteropSyntheticTests {
    /// An etcd member directory: WAL files (each a list of writes) and snap files.
    static func etcdDirectory(_ tmp: InspectTempDir, files: [Data], snaps: [(UInt64, UInt64, Data)] = []) throws -> String {
        let wal = tmp.path + "/member/wal", snap = tmp.path + "/member/snap"
        try FileManager.default.createDirectory(atPath: wal, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: snap, withIntermediateDirectories: true)
        for (k, f) in files.enumerated() {
            try f.write(to: URL(fileURLWithPath: wal + "/" + SyntheticWAL.walName(seq: UInt64(k), index: 0)))
        }
        for (term, index, data) in snaps {
            try data.write(to: URL(fileURLWithPath: snap + "/" + SyntheticWAL.snapName(term: term, index: index)))
        }
        return tmp.path
    }

    /// A five-entry etcd log: bootstrap conf change, then normal entries; commit 5.
    static func healthyEtcd() -> SyntheticWAL {
        var w = SyntheticWAL()
        w.metadata(SyntheticWAL.etcdMetadata(node: 0x8e9e05c52164694d, cluster: 0xcdf818194e3a8c32))
        w.snapshot(index: 0, term: 0)
        let ctx = Data(#"{"id":10276657743932975437,"peerURLs":["http://127.0.0.1:2380"],"name":"default"}"#.utf8)
        w.entry(index: 1, term: 1, type: 1, data: SyntheticWAL.confChange(type: 0, node: 0x8e9e05c52164694d, context: ctx))
        for i in 2...5 as ClosedRange<UInt64> { w.entry(index: i, term: 2, data: Data("put key\(i)".utf8)) }
        w.hardState(term: 2, vote: 0x8e9e05c52164694d, commit: 5)
        return w
    }

    func run(_ body: (Output) throws(ToolFailure) -> RaftWALTools.ExitStatus) -> (RaftWALTools.ExitStatus?, Captured, ToolFailure?) {
        let c = Captured()
        do throws(ToolFailure) {
            return (try body(c.output), c, nil)
        } catch {
            return (nil, c, error)
        }
    }

    @Test func healthyEtcdLogSummarizesAndVerifies() throws {
        let tmp = InspectTempDir("etcd")
        let dir = try Self.etcdDirectory(tmp, files: [Self.healthyEtcd().bytes])
        let (status, c, _) = run { o throws(ToolFailure) in try Inspect.summary(directory: dir, format: .json, strict: false, output: o) }
        #expect(status == .healthy)
        let json = try InspectSupport.json(c.out)
        #expect(json["lastIndex"] as? Int == 5)
        #expect((json["source"] as? [String: Any])?["kind"] as? String == "etcd")
        #expect((json["source"] as? [String: Any])?["memberIDHex"] as? String == "8e9e05c52164694d")
        let members = json["members"] as? [[String: Any]]
        #expect(json["membersAsOfIndex"] as? Int == 5)
        #expect(members?.first?["name"] as? String == "default")
        #expect(members?.first?["address"] as? String == "http://127.0.0.1:2380")
        let (v, vc, _) = run { o throws(ToolFailure) in try Inspect.verify(directory: dir, format: .text, strict: false, output: o) }
        #expect(v == .healthy)
        #expect(vc.out.contains("verdict: healthy"))
    }

    @Test func tornTailInTheLastFileIsANotice() throws {
        var w = Self.healthyEtcd()
        // A frame whose length word was written but whose 512-byte sector never was.
        let start = w.bytes.count
        var word = UInt64(600).littleEndian
        w.bytes.append(Data(bytes: &word, count: 8))
        w.bytes.append(Data(repeating: 0, count: 1024))
        let tmp = InspectTempDir("etcd-torn")
        let dir = try Self.etcdDirectory(tmp, files: [w.bytes])
        let (status, c, _) = run { o throws(ToolFailure) in try Inspect.verify(directory: dir, format: .json, strict: false, output: o) }
        #expect(status == .healthy)
        let notices = try InspectSupport.json(c.out)["notices"] as? [[String: Any]] ?? []
        #expect(notices.contains { $0["label"] as? String == "torn-tail" && $0["offset"] as? Int == start })
        let (strict, _, _) = run { o throws(ToolFailure) in try Inspect.verify(directory: dir, format: .json, strict: true, output: o) }
        #expect(strict == .damage)
    }

    @Test func corruptRecordInAnEarlierFileIsDamageWithFileAndOffset() throws {
        let first = Self.healthyEtcd()
        var second = SyntheticWAL(seed: first.crc)
        second.entry(index: 6, term: 2, data: Data("put six".utf8))
        var broken = first.bytes
        // Flip a byte inside entry 3's data (well inside the file, not a torn write).
        let at = broken.range(of: Data("put key3".utf8))!.lowerBound
        broken[at] ^= 0x20
        let tmp = InspectTempDir("etcd-corrupt")
        let dir = try Self.etcdDirectory(tmp, files: [broken, second.bytes])
        let (status, c, _) = run { o throws(ToolFailure) in try Inspect.verify(directory: dir, format: .json, strict: false, output: o) }
        #expect(status == .damage)
        let problems = try InspectSupport.json(c.out)["problems"] as? [[String: Any]] ?? []
        let bad = problems.first { $0["label"] as? String == "bad-frame" }
        #expect(bad?["file"] as? String == "member/wal/" + SyntheticWAL.walName(seq: 0, index: 0))
        #expect((bad?["offset"] as? Int).map { $0 < at && $0 + 64 > at } == true)
        #expect((bad?["message"] as? String)?.contains("crc mismatch") == true)
    }

    @Test func crcChainIsCheckedAcrossFiles() throws {
        let first = Self.healthyEtcd()
        var second = SyntheticWAL(seed: first.crc ^ 0xdead)
        second.entry(index: 6, term: 2, data: Data("put six".utf8))
        let tmp = InspectTempDir("etcd-chain")
        let dir = try Self.etcdDirectory(tmp, files: [first.bytes, second.bytes])
        let (status, c, _) = run { o throws(ToolFailure) in try Inspect.verify(directory: dir, format: .json, strict: false, output: o) }
        #expect(status == .damage)
        let problems = try InspectSupport.json(c.out)["problems"] as? [[String: Any]] ?? []
        #expect(problems.contains { $0["label"] as? String == "crc-chain" && $0["offset"] as? Int == 0 })
    }

    @Test func aLaterRecordForAnIndexReplacesTheEarlierOne() throws {
        var w = Self.healthyEtcd()
        let replacedAt = w.bytes.count
        w.entry(index: 4, term: 3, data: Data("put rewritten".utf8))
        w.hardState(term: 3, vote: 1, commit: 4)
        let tmp = InspectTempDir("etcd-rewrite")
        let dir = try Self.etcdDirectory(tmp, files: [w.bytes])
        let (status, c, _) = run { o throws(ToolFailure) in
            try Inspect.entries(directory: dir, format: .text, filter: .init(), output: o)
        }
        #expect(status == .healthy)
        let line4 = c.lines.first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("4 ") }
        #expect(line4?.contains("rewritten at offset \(replacedAt)") == true)
        #expect(!c.lines.contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("5 ") })
    }

    @Test func gapCoveredBySnapshotIsFineUncoveredIsDamage() throws {
        var covered = Self.healthyEtcd()
        covered.snapshot(index: 9, term: 2)
        covered.entry(index: 10, term: 2, data: Data("put ten".utf8))
        covered.hardState(term: 2, vote: 1, commit: 10)
        let snap = SyntheticWAL.snapFile(index: 9, term: 2, voters: [0x8e9e05c52164694d], data: Data("state".utf8))
        let tmp = InspectTempDir("etcd-gap")
        let dir = try Self.etcdDirectory(tmp, files: [covered.bytes], snaps: [(2, 9, snap)])
        let (ok, _, _) = run { o throws(ToolFailure) in try Inspect.verify(directory: dir, format: .text, strict: false, output: o) }
        #expect(ok == .healthy)

        var gap = Self.healthyEtcd()
        gap.entry(index: 10, term: 2, data: Data("put ten".utf8))
        let tmp2 = InspectTempDir("etcd-gap2")
        let dir2 = try Self.etcdDirectory(tmp2, files: [gap.bytes])
        let (bad, c, _) = run { o throws(ToolFailure) in try Inspect.verify(directory: dir2, format: .json, strict: false, output: o) }
        #expect(bad == .damage)
        let problems = try InspectSupport.json(c.out)["problems"] as? [[String: Any]] ?? []
        let g = problems.first { $0["label"] as? String == "index-gap" }
        #expect((g?["indexes"] as? [String: Any])?["first"] as? Int == 6)
        #expect((g?["indexes"] as? [String: Any])?["last"] as? Int == 9)
    }

    @Test func snapshotFileWithBadCRCIsDamage() throws {
        var w = Self.healthyEtcd()
        w.snapshot(index: 5, term: 2)
        var snap = SyntheticWAL.snapFile(index: 5, term: 2, voters: [1], data: Data("state".utf8))
        snap[snap.count - 2] ^= 0xff
        let tmp = InspectTempDir("etcd-snap")
        let dir = try Self.etcdDirectory(tmp, files: [w.bytes], snaps: [(2, 5, snap)])
        let (status, c, _) = run { o throws(ToolFailure) in try Inspect.snapshots(directory: dir, format: .json, extract: nil, outputPath: nil, output: o) }
        #expect(status == .damage)
        let snaps = try InspectSupport.json(c.out)["snapshots"] as? [[String: Any]] ?? []
        #expect(snaps.first?["crcOK"] as? Bool == false)
    }

    // MARK: Swarm

    static let dek = [UInt8](repeating: 0x42, count: 32)
    static let oldDEK = [UInt8](repeating: 0x17, count: 32)
    static let kek = [UInt8]((0..<32).map { UInt8($0 * 7 & 0xff) })
    static let secretValue = "synthetic-secret-value-7f3a"

    /// A Swarm state directory: one manager, a node, a secret and a config.
    static func swarmDirectory(_ tmp: InspectTempDir, locked: Bool = false, fernet: Bool = false,
                               oldKeyBelow: UInt64 = 0, snapshotRecordAt: UInt64? = nil) throws -> String {
        let root = tmp.path
        for d in ["raft/wal-v3-encrypted", "raft/snap-v3-encrypted", "certificates"] {
            try FileManager.default.createDirectory(atPath: root + "/" + d, withIntermediateDirectories: true)
        }
        try SyntheticSwarm.keyFile(dek: dek, kek: locked ? kek : nil).write(toFile: root + "/certificates/swarm-node.key", atomically: true, encoding: .utf8)
        func seal(_ p: Data, _ index: UInt64) -> Data {
            let key = index <= oldKeyBelow ? oldDEK : dek
            return fernet ? Sealing.fernetRecord(p, key: key) : Sealing.secretboxRecord(p, key: key)
        }
        var w = SyntheticWAL()
        w.metadata(SyntheticSwarm.member(raftID: 0x6f1c2a3b4d5e6f70, nodeID: "nodeaaaaaaaaaaaaaaaaaaaaa", addr: "127.0.0.1:2377"))
        w.snapshot(index: 0, term: 0)
        let ctx = SyntheticSwarm.member(raftID: 0x6f1c2a3b4d5e6f70, nodeID: "nodeaaaaaaaaaaaaaaaaaaaaa", addr: "127.0.0.1:2377")
        w.entry(index: 1, term: 1, type: 1, data: seal(SyntheticWAL.confChange(type: 0, node: 0x6f1c2a3b4d5e6f70, context: ctx), 1))
        w.entry(index: 2, term: 2, data: seal(Data(), 2))
        w.entry(index: 3, term: 2, data: seal(SyntheticSwarm.request([
            SyntheticSwarm.nodeAction(kind: 1, id: "nodeaaaaaaaaaaaaaaaaaaaaa", hostname: "m1", role: 1, labels: ["zone": "a"])]), 3))
        w.entry(index: 4, term: 2, data: seal(SyntheticSwarm.request([
            SyntheticSwarm.secretAction(id: "secretid0000000000000000a", name: "db-password", value: secretValue)]), 4))
        w.entry(index: 5, term: 2, data: seal(SyntheticSwarm.request([
            SyntheticSwarm.secretAction(id: "configid0000000000000000a", name: "app-config", value: secretValue + "-config", config: true)]), 5))
        w.hardState(term: 2, vote: 0x6f1c2a3b4d5e6f70, commit: 5)
        if let at = snapshotRecordAt { w.snapshot(index: at, term: 2) }
        try w.bytes.write(to: URL(fileURLWithPath: root + "/raft/wal-v3-encrypted/" + SyntheticWAL.walName(seq: 0, index: 0)))
        return root
    }

    @Test func swarmEntriesAreDecryptedAndDecoded() throws {
        let tmp = InspectTempDir("swarm")
        let dir = try Self.swarmDirectory(tmp)
        let (status, c, _) = run { o throws(ToolFailure) in try Inspect.entries(directory: dir, format: .text, filter: .init(), output: o) }
        #expect(status == .healthy)
        #expect(c.out.contains("add raft=6f1c2a3b4d5e6f70 node=nodeaaaaaaaaaaaaaaaaaaaaa address=127.0.0.1:2377"))
        #expect(c.out.contains("create node nodeaaaaaaaaaaaaaaaaaaaaa \"m1\" role=manager availability=active status=ready labels=zone=a"))
        #expect(c.out.contains("create secret secretid0000000000000000a \"db-password\" data=<redacted:"))
        #expect(c.out.contains("create config configid0000000000000000a \"app-config\" data=<redacted:"))
    }

    @Test func fernetEntriesAreDecryptedToo() throws {
        let tmp = InspectTempDir("swarm-fernet")
        let dir = try Self.swarmDirectory(tmp, fernet: true)
        let (status, c, _) = run { o throws(ToolFailure) in try Inspect.summary(directory: dir, format: .json, strict: false, output: o) }
        #expect(status == .healthy)
        let enc = ((try InspectSupport.json(c.out)["source"] as? [String: Any])?["encryption"] as? [String: Any])
        #expect((enc?["algorithms"] as? [String: Any])?["fernet-aes-128-cbc"] as? Int == 5)
    }

    @Test func secretValuesNeverAppearWithoutShowSecrets() throws {
        let tmp = InspectTempDir("swarm-redact")
        let dir = try Self.swarmDirectory(tmp)
        for format in [OutputFormat.text, .json] {
            for data in [DataRendering.utf8, .hex, .base64] {
                let (_, c, _) = run { o throws(ToolFailure) in
                    try Inspect.entries(directory: dir, format: format, filter: .init(data: data, width: 0), dataGiven: true, output: o)
                }
                #expect(!c.out.contains(Self.secretValue))
                #expect(!c.out.contains(Data(Self.secretValue.utf8).base64EncodedString()))
                #expect(!c.out.contains(Data(Self.secretValue.utf8).map { String(format: "%02x", $0) }.joined()))
            }
        }
        let (_, shown, _) = run { o throws(ToolFailure) in
            try Inspect.entries(directory: dir, format: .text, filter: .init(), source: .init(showSecrets: true), output: o)
        }
        #expect(shown.out.contains(Self.secretValue))
    }

    @Test func lockedSwarmNeedsTheUnlockKeyAndRejectsAWrongOne() throws {
        let tmp = InspectTempDir("swarm-locked")
        let dir = try Self.swarmDirectory(tmp, locked: true)
        let (_, _, none) = run { o throws(ToolFailure) in try Inspect.summary(directory: dir, format: .text, strict: false, output: o) }
        #expect(none?.message.contains("--unlock-key") == true)
        #expect(none?.status == .usage)
        let wrong = SyntheticSwarm.unlockKey([UInt8](repeating: 9, count: 32))
        let (_, _, bad) = run { o throws(ToolFailure) in
            try Inspect.summary(directory: dir, format: .text, strict: false, source: .init(unlockKey: wrong), output: o)
        }
        #expect(bad?.message.contains("wrong unlock key") == true)
        let (ok, c, _) = run { o throws(ToolFailure) in
            try Inspect.summary(directory: dir, format: .text, strict: false, source: .init(unlockKey: SyntheticSwarm.unlockKey(Self.kek)), output: o)
        }
        #expect(ok == .healthy)
        #expect(c.out.contains("autolocked"))
    }

    @Test func entriesUnderAnOldKeyBelowTheSnapshotAreANoticeAboveItDamage() throws {
        let tmp = InspectTempDir("swarm-rotated")
        let dir = try Self.swarmDirectory(tmp, oldKeyBelow: 3)
        // No snapshot covers 1...3: damage.
        let (bad, _, _) = run { o throws(ToolFailure) in try Inspect.verify(directory: dir, format: .text, strict: false, output: o) }
        #expect(bad == .damage)
        // A snapshot at 3 (under the current key) covers them: notice.
        let tmp2 = InspectTempDir("swarm-rotated2")
        let dir2 = try Self.swarmDirectory(tmp2, oldKeyBelow: 3, snapshotRecordAt: 3)
        var state = Raftinterop_Swarm_StateSnapshot()
        state.membership.members = [try Raftinterop_Swarm_Member(serializedBytes: SyntheticSwarm.member(raftID: 0x6f1c2a3b4d5e6f70, nodeID: "nodeaaaaaaaaaaaaaaaaaaaaa", addr: "127.0.0.1:2377"))]
        let snap = SyntheticWAL.snapFile(index: 3, term: 2, voters: [0x6f1c2a3b4d5e6f70],
                                         data: Sealing.secretboxRecord(try state.serializedData(), key: Self.dek))
        try snap.write(to: URL(fileURLWithPath: dir2 + "/raft/snap-v3-encrypted/" + SyntheticWAL.snapName(term: 2, index: 3)))
        let (ok, c, _) = run { o throws(ToolFailure) in try Inspect.verify(directory: dir2, format: .json, strict: false, output: o) }
        #expect(ok == .healthy, "\(c.out)")
        let notices = try InspectSupport.json(c.out)["notices"] as? [[String: Any]] ?? []
        #expect(notices.contains { $0["label"] as? String == "undecryptable" })
    }

    @Test func membersShowsTheNodeTableJoinedWithRaft() throws {
        let tmp = InspectTempDir("swarm-members")
        let dir = try Self.swarmDirectory(tmp)
        let (status, c, _) = run { o throws(ToolFailure) in try Inspect.members(directory: dir, format: .json, output: o) }
        #expect(status == .healthy)
        let rows = ((try InspectSupport.json(c.out)["nodes"] as? [String: Any])?["rows"] as? [[String: Any]]) ?? []
        #expect(rows.count == 1)
        #expect(rows.first?["hostname"] as? String == "m1")
        #expect(rows.first?["role"] as? String == "manager")
        #expect(rows.first?["raftIDHex"] as? String == "6f1c2a3b4d5e6f70")
        #expect(rows.first?["managerWithoutRaftMember"] as? Bool == false)
    }

    /// After a force-new-cluster, the lost managers' Node objects stay role
    /// manager in the store, but their raft members were removed: flagged.
    @Test func managerWhoseRaftMemberWasRemovedIsFlagged() throws {
        let tmp = InspectTempDir("swarm-fnc")
        let root = tmp.path
        for d in ["raft/wal-v3-encrypted", "raft/snap-v3-encrypted", "certificates"] {
            try FileManager.default.createDirectory(atPath: root + "/" + d, withIntermediateDirectories: true)
        }
        try SyntheticSwarm.keyFile(dek: Self.dek).write(toFile: root + "/certificates/swarm-node.key", atomically: true, encoding: .utf8)
        let seal = { (p: Data) in Sealing.secretboxRecord(p, key: Self.dek) }
        var w = SyntheticWAL()
        w.metadata(SyntheticSwarm.member(raftID: 1, nodeID: "node1", addr: "127.0.0.1:2377"))
        w.snapshot(index: 0, term: 0)
        w.entry(index: 1, term: 1, type: 1, data: seal(SyntheticWAL.confChange(type: 0, node: 1, context: SyntheticSwarm.member(raftID: 1, nodeID: "node1", addr: "127.0.0.1:2377"))))
        w.entry(index: 2, term: 2, data: seal(SyntheticSwarm.request([SyntheticSwarm.nodeAction(kind: 1, id: "node1", hostname: "m1", role: 1)])))
        w.entry(index: 3, term: 2, data: seal(SyntheticSwarm.request([SyntheticSwarm.nodeAction(kind: 1, id: "node2", hostname: "m2", role: 1)])))
        w.entry(index: 4, term: 2, type: 1, data: seal(SyntheticWAL.confChange(type: 0, node: 2, context: SyntheticSwarm.member(raftID: 2, nodeID: "node2", addr: "127.0.0.2:2377"))))
        // Docker's force-new-cluster: RemoveNode with no context.
        w.entry(index: 5, term: 3, type: 1, data: seal(SyntheticWAL.confChange(type: 1, node: 2, context: Data())))
        w.hardState(term: 3, vote: 1, commit: 5)
        try w.bytes.write(to: URL(fileURLWithPath: root + "/raft/wal-v3-encrypted/" + SyntheticWAL.walName(seq: 0, index: 0)))
        let (status, c, _) = run { o throws(ToolFailure) in try Inspect.members(directory: root, format: .json, output: o) }
        #expect(status == .healthy)
        let json = try InspectSupport.json(c.out)
        let rows = ((json["nodes"] as? [String: Any])?["rows"] as? [[String: Any]]) ?? []
        #expect(rows.first { $0["id"] as? String == "node2" }?["managerWithoutRaftMember"] as? Bool == true)
        #expect(rows.first { $0["id"] as? String == "node1" }?["managerWithoutRaftMember"] as? Bool == false)
        let last = json["asOfLastIndex"] as? [String: Any]
        #expect((last?["removed"] as? [Int]) == [2])
        let (_, text, _) = run { o throws(ToolFailure) in try Inspect.members(directory: root, format: .text, output: o) }
        #expect(text.out.contains("NO: manager removed from raft"))
    }

    @Test func compareFindsTheFirstDivergenceAndTheMemberToRecoverFrom() throws {
        var a = Self.healthyEtcd()
        a.entry(index: 6, term: 2, data: Data("put six".utf8))
        a.hardState(term: 2, vote: 1, commit: 6)
        var b = Self.healthyEtcd()
        b.entry(index: 6, term: 3, data: Data("put other".utf8))
        b.entry(index: 7, term: 3, data: Data("put seven".utf8))
        b.hardState(term: 3, vote: 1, commit: 5)
        let ta = InspectTempDir("cmp-a"), tb = InspectTempDir("cmp-b")
        let da = try Self.etcdDirectory(ta, files: [a.bytes]), db = try Self.etcdDirectory(tb, files: [b.bytes])
        let (status, c, _) = run { o throws(ToolFailure) in try Inspect.compare(directories: [da, db], format: .json, output: o) }
        #expect(status == .healthy)
        let json = try InspectSupport.json(c.out)
        #expect((json["firstDivergence"] as? [String: Any])?["index"] as? Int == 6)
        #expect(json["mostCommitted"] as? [String] == [da])
        // b has the newer term but does not hold a's committed entry 6 (term 2): a is the one to recover from.
        #expect(json["recoverFrom"] as? String == da)
    }

    @Test func hostileWALBytesNeverCrash() throws {
        var rng = SplitMix64(seed: 0x5EED_E7CD)  // seeded: a failure replays
        let healthy = Self.healthyEtcd().bytes
        let full = InteropDecoders.etcdWALFile([UInt8](healthy))
        #expect(full.records > 0 && full.findings == 0)
        var inputs: [Data] = []
        for cut in stride(from: 1, to: healthy.count, by: 7) { inputs.append(healthy.prefix(cut)) }
        let prefixes = inputs.count
        for _ in 0..<64 { inputs.append(Data((0..<Int.random(in: 1...600, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })) }
        // Length words claiming huge records, and a record whose protobuf length claims more than is present.
        var huge = Data(); var word = UInt64(0x00FF_FFFF_FFFF_FFF0).littleEndian
        huge.append(Data(bytes: &word, count: 8)); huge.append(Data(repeating: 1, count: 64))
        inputs.append(huge)
        var lying = Data(); var w2 = UInt64(8).littleEndian
        lying.append(Data(bytes: &w2, count: 8)); lying.append(Data([0x1a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x00]))
        inputs.append(lying)
        for (k, input) in inputs.enumerated() {
            let r = InteropDecoders.etcdWALFile([UInt8](input))
            if k < prefixes {
                // A cut file holds at most the whole file's records, never more.
                #expect(r.records <= full.records && r.entries <= full.entries, "prefix of \(input.count) bytes: \(r)")
            } else {
                // Random bytes, a huge length word, a lying protobuf length: reported, and nothing decoded from them.
                #expect(r.findings > 0 && r.entries == 0, "input \(k) (\(input.count) bytes): \(r)")
            }
            _ = InteropDecoders.snapFile([UInt8](input))
            _ = InteropDecoders.swarmPayload([UInt8](input))
            _ = InteropDecoders.swarmKeyFile([UInt8](input))
        }
        // Through the tool: a directory of random WAL files is damage (1), never a crash.
        let tmp = InspectTempDir("etcd-hostile")
        let dir = try Self.etcdDirectory(tmp, files: [inputs[70], healthy])
        let (status, _, failure) = run { o throws(ToolFailure) in try Inspect.verify(directory: dir, format: .text, strict: false, output: o) }
        #expect(status == .damage && failure == nil, "\(status) \(String(describing: failure))")
    }

    @Test func aSymlinkNamedLikeAWALFileIsAFindingNeverFollowed() throws {
        let tmp = InspectTempDir("etcd-symlink")
        let dir = try Self.etcdDirectory(tmp, files: [Self.healthyEtcd().bytes])
        let link = dir + "/member/wal/" + SyntheticWAL.walName(seq: 1, index: 6)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/dev/zero")
        let (status, c, _) = run { o throws(ToolFailure) in try Inspect.verify(directory: dir, format: .json, strict: false, output: o) }
        #expect(status == .damage)
        let problems = try InspectSupport.json(c.out)["problems"] as? [[String: Any]] ?? []
        #expect(problems.contains { $0["label"] as? String == "not-a-file" && ($0["file"] as? String)?.hasSuffix(SyntheticWAL.walName(seq: 1, index: 6)) == true })
    }

    /// During a DEK rotation the key file holds raft-dek-pending too; swarmkit tries it first.
    @Test func entriesSealedWithThePendingKeyOpenWithIt() throws {
        let tmp = InspectTempDir("swarm-pending")
        let dir = try Self.swarmDirectory(tmp, oldKeyBelow: 3)
        // The old DEK is the current one, the new one pending: every entry opens.
        try SyntheticSwarm.keyFile(dek: Self.oldDEK, pending: Self.dek)
            .write(toFile: dir + "/certificates/swarm-node.key", atomically: true, encoding: .utf8)
        let (status, c, _) = run { o throws(ToolFailure) in try Inspect.summary(directory: dir, format: .json, strict: false, output: o) }
        #expect(status == .healthy)
        let enc = (try InspectSupport.json(c.out)["source"] as? [String: Any])?["encryption"] as? [String: Any]
        let opened = enc?["openedBy"] as? [String: Int]
        #expect(opened?["raft-dek"] == 3)
        #expect(opened?["raft-dek-pending"] == 2)
        #expect(enc?["undecryptableEntries"] as? Int == 0)
    }

    @Test func unlockKeyParsingRejectsMalformedKeys() {
        #expect(throws: InteropError.self) { try SwarmKeys.kek(fromUnlockKey: "SWMKEY-2-abc") }
        #expect(throws: InteropError.self) { try SwarmKeys.kek(fromUnlockKey: "SWMKEY-1-abc") }
        #expect((try? SwarmKeys.kek(fromUnlockKey: SyntheticSwarm.unlockKey(Self.kek))) == Self.kek)
    }
}
