import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import SocketIOServer
import Synchronization
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// Where a server listens, how it treats its connections, and what it tells once it listens.
public struct ListenConfiguration: Sendable {
    public var host: String
    /// The port; 0 picks a free one (reported through `onListening`).
    public var port: Int
    /// Request and idle timeouts of HTTP connections, and the connection cap.
    public var limits: HTTPConnectionLimits
    /// How long graceful shutdown waits for connections to finish (after every Engine.IO session was closed) before
    /// it closes the rest.
    public var shutdownTimeout: TimeAmount
    /// When set, the server speaks TLS only (`https://`, `wss://`).
    public var tls: TLSContext?
    /// Called once the server accepts connections, with the bound port.
    public var onListening: @Sendable (_ host: String, _ port: Int) async -> Void

    public init(host: String = "127.0.0.1", port: Int = 4000, limits: HTTPConnectionLimits = HTTPConnectionLimits(),
                shutdownTimeout: TimeAmount = .seconds(10),
                onListening: @escaping @Sendable (_ host: String, _ port: Int) async -> Void = { _, _ in }) {
        self.host = host
        self.port = port
        self.limits = limits
        self.shutdownTimeout = shutdownTimeout
        self.tls = nil
        self.onListening = onListening
    }

    /// The configuration a command line gives, with its durations in seconds.
    public init(host: String, port: Int, requestHeadTimeoutSeconds: Double, idleTimeoutSeconds: Double,
                maxConnections: Int, shutdownTimeoutSeconds: Double, tls: TLSContext? = nil,
                onListening: @escaping @Sendable (_ host: String, _ port: Int) async -> Void) {
        func amount(_ seconds: Double) -> TimeAmount { .nanoseconds(Int64(seconds * 1e9)) }
        self.init(
            host: host,
            port: port,
            limits: HTTPConnectionLimits(requestHeadTimeout: amount(requestHeadTimeoutSeconds),
                                         idleTimeout: amount(idleTimeoutSeconds), maxConnections: maxConnections),
            shutdownTimeout: amount(shutdownTimeoutSeconds),
            onListening: onListening
        )
        self.tls = tls
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
    ///
    /// On graceful shutdown the application stops accepting, lets every connection finish its request (idle ones
    /// close at once), and after `listen.shutdownTimeout` closes whatever is still open.
    static func make(
        router: Router<TablecastRequestContext>,
        engines: [EngineServer],
        connections: ConnectionRegistry,
        listen: ListenConfiguration,
        logger: Logger
    ) -> some Service {
        let application = Application(
            router: router,
            server: EngineIOHTTPChannel.builder(servers: engines, connections: connections, limits: listen.limits,
                                                tls: listen.tls?.context),
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
        return DrainingService(application: application, connections: connections,
                               drainTimeout: listen.shutdownTimeout, logger: logger)
    }
}

/// Runs an HTTP application and bounds its graceful shutdown: connections that have not finished
/// `drainTimeout` after the shutdown began are closed.
struct DrainingService<Application: Service>: Service {
    let application: Application
    let connections: ConnectionRegistry
    let drainTimeout: TimeAmount
    let logger: Logger

    func run() async throws {
        let cut = Mutex<Scheduled<Void>?>(nil)
        try await withGracefulShutdownHandler {
            try await self.application.run()
        } onGracefulShutdown: { [connections, drainTimeout, logger] in
            let task = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: drainTimeout) {
                let count = connections.closeAll()
                if count > 0 {
                    logger.notice("shutdown: closed connections that did not finish in time",
                                  metadata: ["connections": "\(count)", "after": "\(drainTimeout)"])
                }
            }
            cut.withLock { $0 = task }
        }
        cut.withLock { $0?.cancel() }
    }
}
