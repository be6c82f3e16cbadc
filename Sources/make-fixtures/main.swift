// Regenerates the shipped fixtures under Fixtures/ (or the directory given
// as the first argument). Deterministic: the same bytes on every run.
//
// `make-fixtures hostile-batch DIR [ENTRY-BYTES] [--committed]` instead writes
// a log whose first record is a checksum-valid batch of 2^24 entries (not
// shipped: it is for measuring readers' peak memory, docs/TORTURE.md); with
// `--committed`, two members' conf changes follow it, committed.
// `make-fixtures big-snapshot DIR BYTES` writes a log whose snapshot of BYTES
// bytes is saved through the streaming API (not shipped: for measuring the
// peak memory of a streamed save and of `raft-inspect snapshots --extract`).
import Foundation
import RaftWALTesting

let args = Array(CommandLine.arguments.dropFirst())
do {
    if args.first == "hostile-batch", args.count >= 2 {
        try HostileDirectories.hugeBatch(at: args[1], entryBytes: args.count > 2 ? Int(args[2]) ?? 0 : 0,
                                         committedMembership: args.contains("--committed"))
        print("wrote a 2^24-entry batch under \(args[1])")
    } else if args.first == "big-snapshot", args.count >= 3, let bytes = UInt64(args[2]) {
        let name = try BigSnapshot.write(at: args[1], bytes: bytes)
        print("wrote \(name) (\(bytes) data bytes, streamed) under \(args[1])")
    } else {
        let root = args.first ?? "Fixtures"
        try Fixtures.buildAll(into: root)
        print("wrote \(Fixtures.specs.count + SurvivorFixtures.specs.count + HealFixtures.specs.count) fixtures under \(root)")
    }
} catch {
    FileHandle.standardError.write(Data("make-fixtures: \(error)\n".utf8))
    exit(1)
}
