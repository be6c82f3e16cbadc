import Foundation
import RaftInterop
import RaftWALTools
import Testing

/// `raft-inspect snapshots --extract` on the real etcd and Swarm fixtures:
/// the opened snapshot data, written to a new file outside the data
/// directory; a Swarm store (secrets in clear) only with `--show-secrets`.
@Suite struct InteropExtractTests {
    static func path(_ name: String) -> String { InteropFixtureTests.path(name) }

    /// A fresh directory for outputs; removed by the caller.
    static func scratch() -> String {
        let dir = NSTemporaryDirectory() + "raftwal-extract-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func extract(_ name: String, index: UInt64, to out: String, showSecrets: Bool = false, unlockKey: String? = nil,
                        format: OutputFormat = .json) -> (RaftWALTools.ExitStatus?, Captured, ToolFailure?) {
        InteropFixtureTests.run { o throws(ToolFailure) in
            try Inspect.snapshots(directory: path(name), format: format, extract: index, outputPath: out,
                                  source: .init(unlockKey: unlockKey, showSecrets: showSecrets), output: o)
        }
    }

    /// The `dataBytes` the listing reports for the snapshot at `index`.
    static func listedDataBytes(_ name: String, index: Int, unlockKey: String? = nil) throws -> Int? {
        let (_, c, _) = InteropFixtureTests.run { o throws(ToolFailure) in
            try Inspect.snapshots(directory: path(name), format: .json, extract: nil, outputPath: nil,
                                  source: .init(unlockKey: unlockKey), output: o)
        }
        let snaps = try InspectSupport.json(c.out)["snapshots"] as? [[String: Any]] ?? []
        return snaps.first { $0["index"] as? Int == index }?["dataBytes"] as? Int
    }

    @Test func swarmSnapshotExtractionIsRefusedWithoutShowSecretsAndWritesNothing() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/store.pb"
        let (status, _, failure) = Self.extract("swarm-single", index: 40, to: out)
        #expect(status == nil)
        #expect(failure?.message.contains("--show-secrets") == true)
        #expect(failure?.message.contains("2 secrets and 2 configs") == true)
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func swarmSnapshotExtractionWritesTheDecryptedStoreWithShowSecrets() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/store.pb"
        let (status, c, failure) = Self.extract("swarm-single", index: 40, to: out, showSecrets: true)
        #expect(failure == nil)
        #expect(status == .healthy)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: out))
        // The decrypted store: its length is the listing's plaintext size, it holds the fixture's secret in clear,
        // and it decodes as a Swarm snapshot (membership and store objects).
        #expect(bytes.count == (try Self.listedDataBytes("swarm-single", index: 40)))
        #expect(bytes.range(of: Data("raftwal-fixture-secret-correct-horse-7f3a9c".utf8)) != nil)
        #expect(InteropDecoders.swarmPayload([UInt8](bytes)) > 0)
        let json = try InspectSupport.json(c.out)
        #expect(json["dataBytes"] as? Int == bytes.count)
        #expect(json["snapshot"] as? String == "raft/snap-v3-encrypted/0000000000000002-0000000000000028.snap")
        #expect((json["notes"] as? [String])?.first?.contains("secrets") == true)
    }

    @Test func lockedSwarmSnapshotExtractionNamesTheUnlockKeyFlag() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (_, _, failure) = Self.extract("swarm-autolock", index: 0x10, to: dir + "/x", showSecrets: true)
        #expect(failure?.message.contains("--unlock-key") == true)
        #expect(!FileManager.default.fileExists(atPath: dir + "/x"))
    }

    @Test func autolockedSwarmSnapshotExtractsWithItsUnlockKey() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = try InteropFixtureTests.unlockKey()
        let (_, listing, _) = InteropFixtureTests.run { o throws(ToolFailure) in
            try Inspect.snapshots(directory: Self.path("swarm-autolock"), format: .json, extract: nil, outputPath: nil,
                                  source: .init(unlockKey: key), output: o)
        }
        let snaps = try InspectSupport.json(listing.out)["snapshots"] as? [[String: Any]] ?? []
        let newest = try #require(snaps.first { $0["valid"] as? Bool == true })
        let index = try #require(newest["index"] as? Int)
        let out = dir + "/store.pb"
        let (status, _, failure) = Self.extract("swarm-autolock", index: UInt64(index), to: out, showSecrets: true, unlockKey: key)
        #expect(failure == nil)
        #expect(status == .healthy)
        #expect((try? Data(contentsOf: URL(fileURLWithPath: out)))?.count == newest["dataBytes"] as? Int)
    }

    @Test func etcdSnapshotExtractionWritesTheRaftSnapshotDataAndNamesTheBackend() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/v2store.json"
        let (status, c, failure) = Self.extract("etcd-single", index: 0x21, to: out, format: .text)
        #expect(failure == nil)
        #expect(status == .healthy)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: out))
        #expect(bytes.count == (try Self.listedDataBytes("etcd-single", index: 0x21)))
        // etcd 3.4's raft snapshot data is the v2 store as JSON (the membership lives there).
        let store = try JSONSerialization.jsonObject(with: bytes) as? [String: Any]
        #expect(store?["Root"] != nil)
        #expect(c.out.contains("wrote \(bytes.count) bytes of member/snap/0000000000000002-0000000000000021.snap"))
        #expect(c.out.contains("member/snap/db"))
    }

    @Test func extractionRefusesAnExistingFileASymlinkAndAPathInsideTheDataDirectory() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let existing = dir + "/existing"
        try Data("keep".utf8).write(to: URL(fileURLWithPath: existing))
        let (_, _, f1) = Self.extract("etcd-single", index: 0x21, to: existing)
        #expect(f1?.message.contains("not overwriting") == true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: existing)) == Data("keep".utf8))

        let link = dir + "/link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: dir + "/target")
        let (_, _, f2) = Self.extract("etcd-single", index: 0x21, to: link)
        #expect(f2?.message.contains("not overwriting") == true)
        #expect(!FileManager.default.fileExists(atPath: dir + "/target"))

        let inside = Self.path("etcd-single") + "/member/extracted.json"
        let (_, _, f3) = Self.extract("etcd-single", index: 0x21, to: inside)
        #expect(f3?.message.contains("inside the data directory") == true)
        #expect(!FileManager.default.fileExists(atPath: inside))
    }

    @Test func extractionOfAnIndexWithNoSnapshotListsTheIndexesThatExist() {
        let (_, _, failure) = Self.extract("etcd-single", index: 7, to: "/nonexistent/x")
        #expect(failure?.message == "no snapshot at index 7 (have: 33, 22, 11)")
    }

    @Test func damagedEtcdSnapshotIsNotExtracted() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let damage = try InteropFixtureTests.jsonFile(Self.path("damaged/etcd-damaged-snap/DAMAGE.json")) as! [String: Any]
        let file = try #require(damage["file"] as? String)
        let hex = file.split(separator: "-").last!.replacingOccurrences(of: ".snap", with: "")
        let index = try #require(UInt64(hex, radix: 16))
        let (status, c, _) = Self.extract("damaged/etcd-damaged-snap", index: index, to: dir + "/x")
        #expect(status == .damage)
        #expect(c.err.contains("is damaged"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/x"))
    }
}
