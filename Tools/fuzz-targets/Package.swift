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
// reaches the engine's package-level decoders.
func fuzzTarget(_ name: String) -> Target {
    .executableTarget(name: name, dependencies: [.product(name: "RaftWALTesting", package: rootIdentity)])
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
    ]
)
