import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import SocketIOProtocol
import SocketIOServer

/// The servers the Engine.IO and Socket.IO protocol test suites expect, configured as their "Test suite" sections
/// describe the reference servers: `/socket.io/` with namespaces `/` and `/custom`, `/engine.io/` echoing messages.
public struct ConformanceApplication: Sendable {
    /// pingInterval 300, pingTimeout 200, maxPayload 1000000.
    public static let engineConfiguration = EngineIOConfiguration(pingInterval: 300, pingTimeout: 200,
                                                                  maxPayload: 1_000_000)
    public static let connectTimeout = TimeAmount.milliseconds(1000)

    public let services: [any Service]
    let logger: Logger
    let listen: ListenConfiguration

    public init(listen: ListenConfiguration, logger: Logger) {
        // Each namespace emits `auth` with the handshake's auth payload (or {}) on connect.
        let emitAuth: @Sendable (SocketIOSocket) -> Void = { socket in
            socket.emit("auth", arguments: [socket.auth ?? ByteBuffer(string: "{}")])
        }
        let socketIO = SocketIOServer(
            path: "/socket.io/",
            configuration: Self.engineConfiguration,
            connectTimeout: Self.connectTimeout,
            namespaces: [
                SocketIONamespace(
                    "/",
                    onConnect: emitAuth,
                    eventHandlers: [
                        "message": { socket, event in
                            socket.emit("message-back", arguments: event.arguments, attachments: event.attachments)
                        },
                        "message-with-ack": { socket, event in
                            guard let ackID = event.ackID else { return }
                            socket.acknowledge(ackID, arguments: event.arguments, attachments: event.attachments)
                        },
                    ]
                ),
                SocketIONamespace("/custom", onConnect: emitAuth),
            ],
            broadcaster: nil,
            logger: logger
        )
        let engineIO = EngineServer(
            path: "/engine.io/",
            configuration: Self.engineConfiguration,
            broadcaster: nil,
            logger: logger
        ) { _ in EngineIOEchoDelegate() }
        let engines = [socketIO.engine, engineIO]
        let router = Router(context: TablecastRequestContext.self)
        router.add(middleware: CORSMiddleware(allowOrigin: .all))
        router.add(middleware: EngineIOMiddleware(servers: engines))
        self.services = [
            HTTPApplication.make(router: router, engines: engines,
                                 connections: ConnectionRegistry(limit: listen.limits.maxConnections, logger: logger),
                                 listen: listen, logger: logger),
            EngineShutdownService(engines: engines),
        ]
        self.logger = logger
        self.listen = listen
    }

    /// Runs until SIGINT or SIGTERM.
    public func run() async throws {
        try await HTTPApplication.runUntilSignalled(self.services, listen: self.listen, logger: self.logger)
    }
}
