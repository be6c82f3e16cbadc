// swift-tools-version: 6.1
// libFuzzer targets for every RaftWAL decoder that reads bytes from disk.
// A separate package so that the root build never links fuzzer binaries.
// Build and run with Tools/fuzz (see docs/TORTURE.md).
import PackageDescription
import Foundation

// A path dependency's identity is its directory's name: whatever the checkout is called.
let root = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().deletingLastPathComponent()
let rootIdentity = root.lastPathComponent.lowercased()

// Each target calls its body in RaftWALTesting's `FuzzTargets` (SPI), which
// reaches the engine's package-level decoders; the etcd/Swarm targets use the
// RaftInterop product's decoders.
func fuzzTarget(_ name: String, interop: Bool = false) -> Target {
    var dependencies: [Target.Dependency] = [.product(name: "RaftWALTesting", package: rootIdentity)]
    if interop { dependencies.append(.product(name: "RaftInterop", package: rootIdentity)) }
    return .executableTarget(name: name, dependencies: dependencies)
}

let package = Package(
    name: "RaftWALFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "../..")],
    targets: [
        fuzzTarget("fuzz-record"),
        fuzzTarget("fuzz-segment"),
        fuzzTarget("fuzz-snapshot"),
        fuzzTarget("fuzz-confchange"),
        fuzzTarget("fuzz-open"),
        // Decoders of etcd and Docker Swarm files (raft-inspect's foreign sources).
        fuzzTarget("fuzz-etcd-wal", interop: true),
        fuzzTarget("fuzz-etcd-snap", interop: true),
        fuzzTarget("fuzz-swarm-payload", interop: true),
        fuzzTarget("fuzz-swarm-keyfile", interop: true),
    ]
)
