import Logging
import NIOCore
import SocketIOProtocol

/// A Socket.IO v5 server on top of an Engine.IO v4 server: namespaces, events, acknowledgements, broadcasts.
public final class SocketIOServer: Sendable {
    /// The Engine.IO server carrying it; its path is where clients connect (`/socket.io/`).
    public let engine: EngineServer

    /// - Parameters:
    ///   - path: the Engine.IO path.
    ///   - configuration: the Engine.IO settings announced in the handshake.
    ///   - connectTimeout: how long a client may take to join a namespace before it is closed.
    ///   - namespaces: the namespaces accepted; any other gets CONNECT_ERROR "Invalid namespace".
    ///   - broadcaster: the broadcast source for namespaces that receive broadcasts.
    public init(
        path: String = "/socket.io/",
        configuration: EngineIOConfiguration = EngineIOConfiguration(),
        connectTimeout: TimeAmount = .seconds(45),
        namespaces: [SocketIONamespace],
        broadcaster: Broadcaster?,
        maxBacklogBytes: Int = 8 << 20,
        logger: Logger
    ) {
        let connection = SocketIOConnection.Configuration(
            namespaces: Dictionary(namespaces.map { ($0.name, $0) }, uniquingKeysWith: { $1 }),
            connectTimeout: connectTimeout,
            logger: logger
        )
        self.engine = EngineServer(
            path: path,
            configuration: configuration,
            broadcaster: broadcaster,
            maxBacklogBytes: maxBacklogBytes,
            logger: logger
        ) { session in
            SocketIOConnection(session: session, configuration: connection)
        }
    }
}

/// A plain Engine.IO delegate that sends every message back as it came, text or binary: the Engine.IO test suite's
/// reference server.
public final class EngineIOEchoDelegate: EngineSessionDelegate {
    public init() {}

    public func session(_ session: EngineSession, didReceive packet: EngineIOPacket) {
        session.send(packet.isBinary ? .binary(packet.data) : .text(.message, bytes: packet.data))
    }

    public func session(_ session: EngineSession, didCloseWith reason: EngineIOSessionStateMachine.CloseReason) {}

    /// Never called: the echo server subscribes no session to a broadcast.
    public func sessionWasForcedOffBroadcast(_ session: EngineSession) {}
}
