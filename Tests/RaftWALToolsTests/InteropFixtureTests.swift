import Foundation
import RaftInterop
import RaftWALTools
import Testing

/// raft-inspect on real Docker Swarm 20.10 and etcd 3.4 data directories
/// (`Fixtures/interop`, made by `Tools/make-interop-fixtures`), checked
/// against what the live daemons said (`captured/`) and against each damaged
/// copy's `DAMAGE.json`.
@Suite struct InteropFixtureTests {
    static let base = InspectSupport.root + "/Fixtures/interop"

    static func path(_ name: String) -> String { base + "/" + name }

    static func run(_ body: (Output) throws(ToolFailure) -> RaftWALTools.ExitStatus) -> (RaftWALTools.ExitStatus?, Captured, ToolFailure?) {
        let c = Captured()
        do throws(ToolFailure) {
            return (try body(c.output), c, nil)
        } catch {
            return (nil, c, error)
        }
    }

    static func jsonLines(_ file: String) throws -> [[String: Any]] {
        try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map { try InspectSupport.json(String($0)) }
    }

    static func jsonFile(_ file: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file)))
    }

    static func unlockKey(_ name: String = "unlock-key.txt") throws -> String {
        try String(contentsOfFile: path("swarm-autolock/" + name), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: verify

    static let healthy = ["swarm-single", "etcd-single", "swarm-quorum-lost/manager-1", "swarm-quorum-lost/manager-2",
                          "swarm-quorum-lost/manager-3", "etcd-quorum-lost/member-1", "etcd-quorum-lost/member-2",
                          "etcd-quorum-lost/member-3", "swarm-autolock"]

    @Test(arguments: healthy)
    func healthyFixtureVerifiesWithExit0(_ name: String) throws {
        let (status, c, _) = Self.run { o throws(ToolFailure) in
            try Inspect.verify(directory: Self.path(name), format: .json, strict: false, output: o)
        }
        #expect(status == .healthy)
        #expect((try InspectSupport.json(c.out)["problems"] as? [Any])?.isEmpty == true)
    }

    static let damaged = ["swarm-torn-tail", "etcd-torn-tail", "swarm-crc-covered", "swarm-crc-uncovered", "swarm-length-beyond-eof",
                          "etcd-crc-mismatch", "swarm-damaged-snap", "etcd-damaged-snap", "swarm-missing-wal", "etcd-missing-wal"]

    /// Each damaged copy: a torn tail is exit 0 with a notice at the cut
    /// frame; anything else exit 1 with a problem naming the file and offset.
    @Test(arguments: damaged)
    func damagedFixtureIsReportedWhereDamageJSONSays(_ name: String) throws {
        let dir = Self.path("damaged/" + name)
        let damage = try Self.jsonFile(dir + "/DAMAGE.json") as! [String: Any]
        let kind = damage["damage"] as! String
        let (status, c, _) = Self.run { o throws(ToolFailure) in try Inspect.verify(directory: dir, format: .json, strict: false, output: o) }
        let json = try InspectSupport.json(c.out)
        let problems = json["problems"] as? [[String: Any]] ?? []
        let notices = json["notices"] as? [[String: Any]] ?? []
        let file = damage["file"] as? String
        switch kind {
        case "torn-tail":
            #expect(status == .healthy)
            #expect(problems.isEmpty)
            #expect(notices.contains { $0["label"] as? String == "torn-tail" && $0["file"] as? String == file
                && $0["offset"] as? Int == damage["frame_offset"] as? Int })
        case "crc-mismatch", "length-beyond-eof":
            #expect(status == .damage)
            let p = problems.first { $0["label"] as? String == "bad-frame" }
            #expect(p?["file"] as? String == file)
            #expect(p?["offset"] as? Int == damage["frame_offset"] as? Int)
            // The entry lost to the damage is a notice when the newest snapshot replaces it, else a second problem.
            if let index = damage["index"] as? Int {
                // DAMAGE.json says "covered ..." / "not covered ..." for Swarm; etcd's newest snapshot (33) covers its middle entry.
                let why = damage["why"] as? String ?? ""
                let covered = why.hasPrefix("covered") || (!why.hasPrefix("not covered") && index <= 33)
                let gap = (covered ? notices : problems).first { $0["label"] as? String == "index-gap" }
                #expect((gap?["indexes"] as? [String: Any])?["first"] as? Int == index)
                #expect(problems.count == (covered ? 1 : 2))
            } else {
                #expect(problems.count == 1)
            }
        case "snap-crc-mismatch":
            #expect(status == .damage)
            #expect(problems.contains { $0["label"] as? String == "bad-snapshot" && $0["file"] as? String == file })
        case "missing-wal":
            #expect(status == .damage)
            #expect(problems.contains { $0["label"] as? String == "missing-wal" })
        default:
            Issue.record("DAMAGE.json names an unknown kind \(kind)")
        }
    }

    // MARK: decoding agrees with the daemon

    @Test func swarmSummaryNamesTheNodeAndClusterDockerReported() throws {
        let info = try Self.jsonFile(Self.path("swarm-single/captured/info-swarm.json")) as! [String: Any]
        let (status, c, _) = Self.run { o throws(ToolFailure) in
            try Inspect.summary(directory: Self.path("swarm-single"), format: .json, strict: false, output: o)
        }
        #expect(status == .healthy)
        let source = try InspectSupport.json(c.out)["source"] as! [String: Any]
        #expect(source["nodeID"] as? String == info["NodeID"] as? String)
        #expect(source["clusterID"] as? String == (info["Cluster"] as? [String: Any])?["ID"] as? String)
        #expect(source["certificateRole"] as? String == "swarm-manager")
        #expect(source["address"] as? String == "127.0.0.1:2377")
    }

    /// Every node, service, secret and config the daemon listed appears,
    /// with its ID and name, in the decoded store actions.
    @Test(arguments: ["swarm-single", "swarm-quorum-lost/manager-2"])
    func entriesDecodeTheObjectsDockerListed(_ name: String) throws {
        let captured = Self.path(name.hasPrefix("swarm-quorum") ? "swarm-quorum-lost/captured" : "swarm-single/captured")
        let (_, c, _) = Self.run { o throws(ToolFailure) in
            try Inspect.entries(directory: Self.path(name), format: .json, filter: .init(data: .none), output: o)
        }
        var created: [String: Set<String>] = [:]
        for line in c.out.split(separator: "\n") {
            let e = try InspectSupport.json(String(line))
            for a in ((e["decoded"] as? [String: Any])?["actions"] as? [[String: Any]]) ?? [] {
                created[a["collection"] as! String, default: []].insert("\(a["id"]!) \(a["name"]!)")
            }
        }
        for n in try Self.jsonLines(captured + "/node-ls.jsonl") {
            #expect(created["node"]?.contains("\(n["ID"]!) \(n["Hostname"]!)") == true, "node \(n["Hostname"]!)")
        }
        for s in try Self.jsonLines(captured + "/secret-ls.jsonl") {
            #expect(created["secret"]?.contains("\(s["ID"]!) \(s["Name"]!)") == true, "secret \(s["Name"]!)")
        }
        for s in try Self.jsonLines(captured + "/config-ls.jsonl") {
            #expect(created["config"]?.contains("\(s["ID"]!) \(s["Name"]!)") == true, "config \(s["Name"]!)")
        }
        // `service ls` prints short IDs (12 characters).
        for s in try Self.jsonLines(captured + "/service-ls.jsonl") {
            let id = s["ID"] as! String, svc = s["Name"] as! String
            #expect(created["service"]?.contains { $0.hasPrefix(id) && $0.hasSuffix(" " + svc) } == true, "service \(svc)")
        }
    }

    @Test func membersOfTheSurvivorMatchDockersNodeListBeforeTheLoss() throws {
        let survivor = try String(contentsOfFile: Self.path("swarm-quorum-lost/captured/survivor.txt"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let (status, c, _) = Self.run { o throws(ToolFailure) in
            try Inspect.members(directory: Self.path("swarm-quorum-lost/" + survivor), format: .json, output: o)
        }
        #expect(status == .healthy)
        let json = try InspectSupport.json(c.out)
        let rows = (json["nodes"] as? [String: Any])?["rows"] as? [[String: Any]] ?? []
        let docker = try Self.jsonLines(Self.path("swarm-quorum-lost/captured/node-ls.jsonl"))
        #expect(rows.count == docker.count)
        for n in docker {
            let row = rows.first { $0["id"] as? String == n["ID"] as? String }
            #expect(row?["hostname"] as? String == n["Hostname"] as? String)
            #expect((row?["status"] as? String)?.capitalized == n["Status"] as? String)
            #expect((row?["availability"] as? String)?.capitalized == n["Availability"] as? String)
            let isManager = !((n["ManagerStatus"] as? String) ?? "").isEmpty
            #expect(row?["role"] as? String == (isManager ? "manager" : "worker"))
            #expect(row?["raftMember"] as? Bool == isManager)
        }
        let members = (json["asOfLastIndex"] as? [String: Any])?["members"] as? [[String: Any]] ?? []
        #expect(members.count == 3)
    }

    @Test func compareOnTheQuorumLostManagersNamesTheSurvivor() throws {
        let survivor = try String(contentsOfFile: Self.path("swarm-quorum-lost/captured/survivor.txt"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let dirs = ["manager-1", "manager-2", "manager-3"].map { Self.path("swarm-quorum-lost/" + $0) }
        let (status, c, _) = Self.run { o throws(ToolFailure) in try Inspect.compare(directories: dirs, format: .json, output: o) }
        #expect(status == .healthy)
        let json = try InspectSupport.json(c.out)
        // The survivor holds the uncommitted entry written as quorum was lost; every member committed the rest.
        #expect(json["recoverFrom"] as? String == Self.path("swarm-quorum-lost/" + survivor))
        let partial = json["heldBySome"] as? [[String: Any]] ?? []
        #expect(partial.contains { ($0["holders"] as? [String]) == [Self.path("swarm-quorum-lost/" + survivor)] && $0["committedSomewhere"] as? Bool == false })
        #expect((json["mostCommitted"] as? [String])?.contains(Self.path("swarm-quorum-lost/" + survivor)) == true)
    }

    @Test func etcdHardStateAndMembersMatchWhatEtcdReported() throws {
        let status = (try Self.jsonFile(Self.path("etcd-single/captured/endpoint-status.json")) as! [[String: Any]])[0]["Status"] as! [String: Any]
        let (s, c, _) = Self.run { o throws(ToolFailure) in
            try Inspect.hardState(directory: Self.path("etcd-single"), format: .json, output: o)
        }
        #expect(s == .healthy)
        let hs = try InspectSupport.json(c.out)
        #expect(hs["term"] as? Int == status["raftTerm"] as? Int)
        #expect(hs["commit"] as? Int == status["raftIndex"] as? Int)
        let list = try Self.jsonFile(Self.path("etcd-single/captured/member-list.json")) as! [String: Any]
        let member = (list["members"] as! [[String: Any]])[0]
        let (_, m, _) = Self.run { o throws(ToolFailure) in try Inspect.members(directory: Self.path("etcd-single"), format: .json, output: o) }
        let members = ((try InspectSupport.json(m.out)["asOfLastIndex"] as? [String: Any])?["members"] as? [[String: Any]]) ?? []
        #expect(members.count == 1)
        #expect((members.first?["raftID"] as? NSNumber)?.uint64Value == (member["ID"] as? NSNumber)?.uint64Value)
        #expect(members.first?["name"] as? String == member["name"] as? String)
        let header = list["header"] as! [String: Any]
        let (_, sm, _) = Self.run { o throws(ToolFailure) in
            try Inspect.summary(directory: Self.path("etcd-single"), format: .json, strict: false, output: o)
        }
        let source = try InspectSupport.json(sm.out)["source"] as! [String: Any]
        #expect(source["clusterIDHex"] as? String == String((header["cluster_id"] as! NSNumber).uint64Value, radix: 16))
    }

    /// Replaying the decoded puts and deletes of etcd's log gives exactly
    /// the keys and values `etcdctl get --prefix` returned.
    @Test func etcdEntriesReplayToTheKeysEtcdReturned() throws {
        let source = try #require(try LogSourceReader(directory: Self.path("etcd-single")).read())
        var kv: [String: Data] = [:]
        for e in source.entries where e.kind == .normal {
            guard let p = e.plaintext, let r = EtcdRequest.decode(p) else { continue }
            if r.operation == "put", let k = r.key { kv[k] = r.value ?? Data() }
            if r.operation == "delete-range", let k = r.key, r.rangeEnd == nil { kv[k] = nil }
        }
        let all = try Self.jsonFile(Self.path("etcd-single/captured/get-all.json")) as! [String: Any]
        var expected: [String: Data] = [:]
        for item in all["kvs"] as! [[String: Any]] {
            let key = String(decoding: Data(base64Encoded: item["key"] as! String)!, as: UTF8.self)
            expected[key] = Data(base64Encoded: item["value"] as? String ?? "") ?? Data()
        }
        #expect(!expected.isEmpty)
        #expect(kv == expected)
        let (_, c, _) = Self.run { o throws(ToolFailure) in
            try Inspect.entries(directory: Self.path("etcd-single"), format: .text, filter: .init(from: 5, to: 5), output: o)
        }
        #expect(c.out.contains("put /raftwal/fixture/key-01"))
    }

    @Test func autolockedSwarmOpensWithTheCurrentKeyOnly() throws {
        let dir = Self.path("swarm-autolock")
        let (_, _, none) = Self.run { o throws(ToolFailure) in try Inspect.entries(directory: dir, format: .text, filter: .init(), output: o) }
        #expect(none?.message.contains("--unlock-key") == true)
        let old = try Self.unlockKey("unlock-key-before-rotation.txt")
        let (_, _, wrong) = Self.run { o throws(ToolFailure) in
            try Inspect.entries(directory: dir, format: .text, filter: .init(), source: .init(unlockKey: old), output: o)
        }
        #expect(wrong?.message.contains("wrong unlock key") == true)
        let (status, c, _) = Self.run { o throws(ToolFailure) in
            try Inspect.verify(directory: dir, format: .json, strict: false, source: .init(unlockKey: try? Self.unlockKey()), output: o)
        }
        #expect(status == .healthy)
        let (_, sc, _) = Self.run { o throws(ToolFailure) in
            try Inspect.summary(directory: dir, format: .json, strict: false, source: .init(unlockKey: try? Self.unlockKey()), output: o)
        }
        let enc = (try InspectSupport.json(sc.out)["source"] as? [String: Any])?["encryption"] as? [String: Any]
        #expect(enc?["autolocked"] as? Bool == true)
        #expect((enc?["privateKey"] as? String)?.hasPrefix("opened with the unlock key") == true)
        // The entries sealed with the DEK that autolock rotated away are below the rotation snapshot: a notice.
        let notices = try InspectSupport.json(c.out)["notices"] as? [[String: Any]] ?? []
        #expect(notices.contains { $0["label"] as? String == "undecryptable" })
    }

    // MARK: secrets

    static func secretValues(_ fixture: String) throws -> [String] {
        let v = try Self.jsonFile(Self.path(fixture + "/values.json")) as! [String: [String: String]]
        return Array(v["secrets", default: [:]].values) + Array(v["configs", default: [:]].values)
    }

    /// Every subcommand, text and JSON, every payload rendering: no secret
    /// or config value appears (nor its base64 or hex) without --show-secrets.
    @Test(arguments: ["swarm-single", "swarm-autolock", "swarm-quorum-lost/manager-1"])
    func noSecretValueAppearsWithoutShowSecrets(_ fixture: String) throws {
        let dir = Self.path(fixture)
        let values = try Self.secretValues(fixture.hasPrefix("swarm-quorum") ? "swarm-quorum-lost" : fixture)
        #expect(!values.isEmpty)
        let key = fixture == "swarm-autolock" ? try Self.unlockKey() : nil
        let src = Inspect.SourceOptions(unlockKey: key)
        var outputs: [String] = []
        for format in [OutputFormat.text, .json] {
            for command in ["summary", "segments", "hardstate", "snapshots", "members", "verify", "stats"] {
                let (status, c, failure) = Self.run { o throws(ToolFailure) in
                    try Self.subcommand(command, dir: dir, format: format, source: src, output: o)
                }
                #expect(failure == nil && status != nil)
                outputs.append(c.out + c.err)
            }
            for data in DataRendering.allCases {
                let (_, c, _) = Self.run { o throws(ToolFailure) in
                    try Inspect.entries(directory: dir, format: format, filter: .init(data: data, width: 0), source: src, dataGiven: true, output: o)
                }
                outputs.append(c.out + c.err)
            }
        }
        for value in values {
            let forms = [value, Data(value.utf8).base64EncodedString(), Data(value.utf8).map { String(format: "%02x", $0) }.joined()]
            for out in outputs {
                for form in forms { #expect(!out.contains(form), "a secret leaked in some output") }
            }
        }
        let (_, shown, _) = Self.run { o throws(ToolFailure) in
            try Inspect.entries(directory: dir, format: .text, filter: .init(width: 0), source: .init(unlockKey: key, showSecrets: true), output: o)
        }
        // In the autolock fixture the secrets were written before the DEK rotation: only the snapshot holds them readably.
        if fixture != "swarm-autolock" {
            for value in values { #expect(shown.out.contains(value)) }
        }
    }

    static func subcommand(_ name: String, dir: String, format: OutputFormat, source: Inspect.SourceOptions,
                           output o: Output) throws(ToolFailure) -> RaftWALTools.ExitStatus {
        switch name {
        case "summary": return try Inspect.summary(directory: dir, format: format, strict: false, source: source, output: o)
        case "segments": return try Inspect.segments(directory: dir, format: format, records: true, source: source, output: o)
        case "hardstate": return try Inspect.hardState(directory: dir, format: format, source: source, output: o)
        case "snapshots": return try Inspect.snapshots(directory: dir, format: format, extract: nil, outputPath: nil, source: source, output: o)
        case "members": return try Inspect.members(directory: dir, format: format, source: source, output: o)
        case "verify": return try Inspect.verify(directory: dir, format: format, strict: false, source: source, output: o)
        default: return try Inspect.stats(directory: dir, format: format, source: source, output: o)
        }
    }

    // MARK: the executable

    @Test func cliExitStatusesAndFlags() throws {
        guard InspectSupport.executable != nil else { return }
        let before = InspectSupport.contents(Self.path("swarm-single/raft/wal-v3-encrypted"))
        #expect(try InspectSupport.run(["verify", "Fixtures/interop/swarm-single"]).status == 0)
        #expect(try InspectSupport.run(["verify", "Fixtures/interop/damaged/etcd-torn-tail"]).status == 0)
        #expect(try InspectSupport.run(["verify", "Fixtures/interop/damaged/etcd-crc-mismatch"]).status == 1)
        let locked = try InspectSupport.run(["entries", "Fixtures/interop/swarm-autolock"])
        #expect(locked.status == 2)
        #expect(locked.stderr.contains("--unlock-key"))
        let opened = try InspectSupport.run(["summary", "--unlock-key", try Self.unlockKey(), "Fixtures/interop/swarm-autolock"])
        #expect(opened.status == 0)
        #expect(opened.stdout.contains("autolocked"))
        let forced = try InspectSupport.run(["summary", "--source", "etcd", "Fixtures/interop/swarm-single"])
        #expect(forced.status == 2)
        let cmp = try InspectSupport.run(["compare", "Fixtures/interop/etcd-quorum-lost/member-1", "Fixtures/interop/etcd-quorum-lost/member-2",
                                          "Fixtures/interop/etcd-quorum-lost/member-3"])
        #expect(cmp.status == 0)
        #expect(cmp.stdout.contains("recover from:"))
        #expect(InspectSupport.contents(Self.path("swarm-single/raft/wal-v3-encrypted")) == before)
    }
}
