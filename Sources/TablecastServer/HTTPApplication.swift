import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import SocketIOServer
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// Where a server listens, and what it tells once it does.
public struct ListenConfiguration: Sendable {
    public var host: String
    /// The port; 0 picks a free one (reported through `onListening`).
    public var port: Int
    /// Called once the server accepts connections, with the bound port.
    public var onListening: @Sendable (_ host: String, _ port: Int) async -> Void

    public init(host: String = "127.0.0.1", port: Int = 4000,
                onListening: @escaping @Sendable (_ host: String, _ port: Int) async -> Void = { _, _ in }) {
        self.host = host
        self.port = port
        self.onListening = onListening
    }
}

/// The server could not listen where it was asked to.
public struct ServerStartError: Error, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var reason: String

    public var description: String {
        "cannot listen on \(self.host):\(self.port): \(self.reason)"
    }
}

enum HTTPApplication {
    /// Runs services in one group until SIGINT or SIGTERM, then shuts them down gracefully in reverse order.
    /// - Throws: ``ServerStartError`` when the address cannot be bound; otherwise what a service threw.
    static func runUntilSignalled(_ services: [any Service], listen: ListenConfiguration, logger: Logger) async throws {
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        do {
            try await group.run()
        } catch let error as IOError where error.errnoCode == EADDRINUSE || error.errnoCode == EADDRNOTAVAIL
            || error.errnoCode == EACCES
        {
            throw ServerStartError(host: listen.host, port: listen.port, reason: String(cString: strerror(error.errnoCode)))
        }
    }

    /// A Hummingbird application that serves the router and upgrades Engine.IO WebSockets on the same port; a
    /// connection that opens with an upgrade is plain NIO handlers from then on (``EngineIOHTTPChannel``).
    static func make(
        router: Router<TablecastRequestContext>,
        engines: [EngineServer],
        listen: ListenConfiguration,
        logger: Logger
    ) -> some Service {
        Application(
            router: router,
            server: EngineIOHTTPChannel.builder(servers: engines),
            configuration: ApplicationConfiguration(
                address: .hostname(listen.host, port: listen.port),
                serverName: "tablecast"
            ),
            onServerRunning: { channel in
                await listen.onListening(listen.host, channel.localAddress?.port ?? listen.port)
            },
            eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton),
            logger: logger
        )
    }
}
