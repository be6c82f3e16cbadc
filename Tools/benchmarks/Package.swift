// swift-tools-version: 6.1
// Micro-benchmarks of RaftWAL's CPU stages (CRC32C, LZ4, record encode and
// decode) against C baselines, with ordo-one/package-benchmark. A separate
// package, so the engine's package gains no benchmark dependency.
//
//   cd Tools/benchmarks && swift package benchmark
//
// Retain/release metrics are left out: they crash on Linux with Swift 6.3.
import PackageDescription

let package = Package(
    name: "RaftWALBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "RaftWAL", path: "../.."),
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The C baselines: the plain SSE4.2 CRC32C loop of limits/crc32c.c
        // and liblz4 called directly, as `lz4 -b` does.
        .target(name: "CBaselines", linkerSettings: [.linkedLibrary("lz4")]),
        .executableTarget(
            name: "CodecBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "package-benchmark"),
                .product(name: "RaftWAL", package: "RaftWAL"),
                "CBaselines",
            ],
            path: "Benchmarks/CodecBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]),
    ]
)
