// swift-tools-version:6.2
// The fuzz targets of tablecast: one executable per input format, each calling the check its module exposes for
// fuzzing (`@_spi(Fuzzing)`), which the root package's regression tests also call on every saved failure.
//
// Build and run them with `Scripts/fuzz.sh`, which passes the sanitizer flags and `-parse-as-library`; see README.md
// here.
import PackageDescription

let package = Package(
    name: "TablecastFuzzTesting",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "tablecast", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "FuzzEngineIOPacket",
            dependencies: [.product(name: "SocketIOProtocol", package: "tablecast")]
        ),
        .executableTarget(
            name: "FuzzSocketIOPacket",
            dependencies: [.product(name: "SocketIOProtocol", package: "tablecast")]
        ),
        .executableTarget(
            name: "FuzzLoadClient",
            dependencies: [.product(name: "SocketIOClient", package: "tablecast")]
        ),
        .executableTarget(
            name: "FuzzRedisAdapter",
            dependencies: [.product(name: "SocketIORedis", package: "tablecast")]
        ),
        .executableTarget(
            name: "FuzzJSON",
            dependencies: [.product(name: "TablecastJSON", package: "tablecast")]
        ),
        .executableTarget(
            name: "FuzzEngineIOQuery",
            dependencies: [.product(name: "TablecastServer", package: "tablecast")]
        ),
        .executableTarget(
            name: "FuzzRequestBody",
            dependencies: [.product(name: "TablecastServer", package: "tablecast")]
        ),
        .executableTarget(
            name: "FuzzJournalLine",
            dependencies: [.product(name: "TablecastServer", package: "tablecast")]
        ),
    ]
)
