// swift-tools-version: 6.1
// libFuzzer targets for every RaftWAL decoder that reads bytes from disk.
// A separate package so that the root build never links fuzzer binaries.
// Build and run with Tools/fuzz (see docs/TORTURE.md).
import PackageDescription
import Foundation

// A path dependency's identity is its directory's name: whatever the checkout is called.
let root = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().deletingLastPathComponent()
let rootIdentity = root.lastPathComponent.lowercased()

func fuzzTarget(_ name: String, testing: Bool = false, interop: Bool = false) -> Target {
    var dependencies: [Target.Dependency] = [.product(name: "RaftWAL", package: rootIdentity)]
    if testing { dependencies.append(.product(name: "RaftWALTesting", package: rootIdentity)) }
    if interop { dependencies.append(.product(name: "RaftInterop", package: rootIdentity)) }
    return .executableTarget(name: name, dependencies: dependencies)
}

let package = Package(
    name: "RaftWALFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "../..")],
    targets: [
        fuzzTarget("fuzz-record"),
        fuzzTarget("fuzz-segment", testing: true),
        fuzzTarget("fuzz-snapshot", testing: true),
        fuzzTarget("fuzz-confchange"),
        fuzzTarget("fuzz-open", testing: true),
        // Decoders of etcd and Docker Swarm files (raft-inspect's foreign sources).
        fuzzTarget("fuzz-etcd-wal", interop: true),
        fuzzTarget("fuzz-etcd-snap", interop: true),
        fuzzTarget("fuzz-swarm-payload", interop: true),
        fuzzTarget("fuzz-swarm-keyfile", interop: true),
    ]
)
