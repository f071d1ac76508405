// swift-tools-version:6.1

import PackageDescription

let package = Package(
    name: "benchmarks",
    platforms: [
        .macOS(.v15)
    ],
    dependencies: [
        .package(name: "tablecast", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Payloads shared by the suites: the contract's objects, byte for byte.
        .target(
            name: "BenchmarkFixtures",
            path: "Sources/BenchmarkFixtures"
        ),
        .executableTarget(
            name: "ProtocolBenchmarks",
            dependencies: [
                "BenchmarkFixtures",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SocketIOProtocol", package: "tablecast"),
                .product(name: "TablecastJSON", package: "tablecast"),
            ],
            path: "Benchmarks/ProtocolBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        ),
        .executableTarget(
            name: "JournalBenchmarks",
            dependencies: [
                "BenchmarkFixtures",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Journal", package: "tablecast"),
            ],
            path: "Benchmarks/JournalBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        ),
        .executableTarget(
            name: "SimulatorBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Restaurant", package: "tablecast"),
                .product(name: "Simulator", package: "tablecast"),
            ],
            path: "Benchmarks/SimulatorBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        ),
    ]
)
