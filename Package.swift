// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "tablecast",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tablecast", targets: ["tablecast"]),
        .library(name: "TablecastServer", targets: ["TablecastServer"]),
        .library(name: "SocketIOProtocol", targets: ["SocketIOProtocol"]),
        .library(name: "SocketIOClient", targets: ["SocketIOClient"]),
        .library(name: "Journal", targets: ["Journal"]),
        .library(name: "Restaurant", targets: ["Restaurant"]),
        .library(name: "Simulator", targets: ["Simulator"]),
        .library(name: "TablecastJSON", targets: ["TablecastJSON"]),
        .library(name: "SocketIORedis", targets: ["SocketIORedis"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        .target(
            name: "TablecastJSON",
            swiftSettings: swiftSettings
        ),
        // A blocking Redis client on hiredis, for the Redis transports' dedicated threads.
        .target(
            name: "Redis",
            dependencies: ["CHiredis"],
            swiftSettings: swiftSettings
        ),
        // The socket.io Redis adapters' wire formats: msgpack, JavaScript's value rules, the messages.
        .target(
            name: "SocketIORedis",
            dependencies: ["SocketIOProtocol", "TablecastJSON"],
            swiftSettings: swiftSettings
        ),
        // The browser dashboard's HTML, CSS and JavaScript modules, embedded in the binary (`.embedInCode`): the
        // files in Assets/ are the readable source, served as they are.
        .target(
            name: "DashboardAssets",
            resources: [.embedInCode("Assets")],
            swiftSettings: swiftSettings
        ),
        // Condition locks and detached threads for the blocking work of the journal and of Redis connections.
        .target(
            name: "Threading",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Journal",
            dependencies: ["CSQLite", "Threading"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Restaurant",
            dependencies: [
                "TablecastJSON",
                .product(name: "HashTreeCollections", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Simulator",
            dependencies: [
                "Restaurant",
                "TablecastJSON",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SocketIOProtocol",
            dependencies: [
                "TablecastJSON",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SocketIOServer",
            dependencies: [
                "SocketIOProtocol",
                "TablecastJSON",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SocketIOClient",
            dependencies: [
                "SocketIOProtocol",
                "TablecastJSON",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TablecastServer",
            dependencies: [
                "DashboardAssets",
                "Journal",
                "Redis",
                "SocketIORedis",
                "Threading",
                "Restaurant",
                "Simulator",
                "SocketIOClient",
                "SocketIOProtocol",
                "SocketIOServer",
                "TablecastJSON",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tablecast",
            dependencies: [
                "Redis",
                "TablecastJSON",
                "TablecastServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TablecastJSONTests",
            dependencies: ["TablecastJSON", "FuzzReplay"],
            swiftSettings: swiftSettings
        ),
        // What each test target's FuzzRegressionTests shares: replaying FuzzTesting's fail cases and seeds.
        .target(
            name: "FuzzReplay",
            path: "Tests/FuzzReplay",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SocketIOProtocolTests",
            dependencies: ["SocketIOProtocol", "FuzzReplay"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RestaurantTests",
            dependencies: ["Restaurant"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SimulatorTests",
            dependencies: ["Simulator", "Restaurant"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SocketIORedisTests",
            dependencies: ["SocketIORedis", "TablecastJSON", "FuzzReplay"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RedisTests",
            dependencies: ["Redis"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "JournalTests",
            dependencies: ["Journal"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SocketIOServerTests",
            dependencies: [
                "SocketIOServer",
                "SocketIOProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SocketIOClientTests",
            dependencies: [
                "FuzzReplay",
                "SocketIOClient",
                "SocketIOProtocol",
                "TablecastServer",
                "SocketIOServer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TablecastServerTests",
            dependencies: [
                "DashboardAssets",
                "FuzzReplay",
                "TablecastServer",
                "Journal",
                "Simulator",
                "SocketIOProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
