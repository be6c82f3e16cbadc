// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "RaftWAL",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "RaftWAL", targets: ["RaftWAL"]),
        .library(name: "RaftWALTesting", targets: ["RaftWALTesting"]),
        .library(name: "RaftInterop", targets: ["RaftInterop"]),
        .executable(name: "raft-inspect", targets: ["raft-inspect"]),
        .executable(name: "raft-recover", targets: ["raft-recover"]),
        .executable(name: "raft-torture", targets: ["raft-torture"]),
        .executable(name: "raft-bench", targets: ["raft-bench"]),
        .executable(name: "make-fixtures", targets: ["make-fixtures"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        // `swift package generate-documentation` (DocC); a plugin, not linked.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
        // Docker Swarm / etcd interop (raft-inspect on their data directories).
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.28.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.0.0"),
    ],
    targets: [
        // C shims: Debian's liblz4 and a CRC32C with an SSE4.2 path.
        .systemLibrary(
            name: "CLZ4", pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"])]),
        .target(name: "CCRC32C"),
        // Debian's libsodium: NaCl secretbox (XSalsa20-Poly1305), the cipher of Swarm's raft log.
        .systemLibrary(
            name: "CSodium", pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]),

        // The engine: the only public storage API.
        .target(
            name: "RaftWAL",
            dependencies: [
                "CLZ4", "CCRC32C",
                .product(name: "Logging", package: "swift-log"),
            ]),

        // Simulated file system, damage helpers and fixture builders, for
        // tests, the crash fuzzer and users' own CI.
        .target(name: "RaftWALTesting", dependencies: ["RaftWAL"]),

        // Readers of other Raft logs: etcd's WAL and snapshots, Docker Swarm's
        // encrypted raft state. Read-only; the engine does not depend on it.
        .target(
            name: "RaftInterop",
            dependencies: [
                "RaftWAL", "CSodium",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            exclude: ["Proto/defs"]),

        // Logic of the operator tools (raft-inspect, raft-recover, raft-bench),
        // callable from tests (a target, not a product: its API is `package`,
        // no semver promise). It does not link the simulator: an operator's
        // binary carries no test file system and no canary.
        .target(
            name: "RaftWALTools",
            dependencies: ["RaftWAL", "RaftInterop"],
            exclude: ["Torture"]),

        // The crash fuzzer's logic (raft-torture): the only tool that links
        // RaftWALTesting. Its sources sit in RaftWALTools/Torture, a target of
        // their own.
        .target(
            name: "RaftWALTorture",
            dependencies: ["RaftWALTools", "RaftWAL", "RaftWALTesting"],
            path: "Sources/RaftWALTools/Torture"),

        // The tools' shared entry point: parse, run, map errors to exit statuses.
        .target(
            name: "ToolMain",
            dependencies: [
                "RaftWALTools",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        .executableTarget(
            name: "raft-inspect",
            dependencies: [
                "RaftWALTools", "RaftInterop",
                "ToolMain",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "raft-recover",
            dependencies: [
                "RaftWALTools",
                "ToolMain",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "raft-torture",
            dependencies: [
                "RaftWALTorture", "RaftWALTools", "RaftWALTesting",
                "ToolMain",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "raft-bench",
            dependencies: [
                "RaftWAL", "RaftWALTools",
                "ToolMain",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Regenerates Fixtures/ (deterministic; see Fixtures/README.md).
        .executableTarget(name: "make-fixtures", dependencies: ["RaftWALTesting"]),

        .testTarget(name: "RaftWALTests", dependencies: ["RaftWAL", "RaftWALTesting"]),
        .testTarget(name: "RaftWALToolsTests", dependencies: ["RaftWALTools", "RaftWALTorture", "RaftWAL", "RaftWALTesting", "RaftInterop"],
                    exclude: ["Golden"]),  // raft-inspect golden outputs, read from the source tree
    ]
)
