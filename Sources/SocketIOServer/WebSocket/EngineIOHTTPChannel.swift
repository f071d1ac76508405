import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOSSL

/// Hummingbird's HTTP/1 child channel, with Engine.IO WebSocket connections taken off it.
///
/// Every connection starts with the HTTP codec and a ``WebSocketUpgradeHandler``. The first request decides what
/// the connection is:
/// - an Engine.IO WebSocket upgrade: the connection becomes plain NIO handlers (frame codec, ``WebSocketTransport``,
///   ``WebSocketConnectionHandler``) and Hummingbird's task for it ends at once. No per-connection task, async
///   channel or request objects stay alive for the life of the socket, which is what a WebSocket costs in memory
///   at 10,000 connections;
/// - anything else: the connection gets Hummingbird's handlers and async channel, and its requests go to the router
///   as with `HTTP1Channel`. The upgrade handler stays in front, so a pooled connection that carried polling
///   requests can still upgrade later.
public struct EngineIOHTTPChannel: ServerChildChannel {
    /// What the first request made of a connection.
    enum Route: Sendable {
        case webSocket
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        case closed
    }

    public struct Value: ServerChildChannelValue {
        public let channel: any Channel
        let route: EventLoopFuture<Route>
    }

    static let receiveAllocator = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65_536)

    private let http: HTTP1Channel
    private let servers: [EngineServer]
    private let connections: ConnectionRegistry
    private let timeouts: HTTPConnectionStateMachine.Timeouts
    private let tls: NIOSSLContext?

    init(responder: @escaping HTTPChannelHandler.Responder, servers: [EngineServer], connections: ConnectionRegistry,
         limits: HTTPConnectionLimits, tls: NIOSSLContext?) {
        self.http = HTTP1Channel(responder: responder)
        self.servers = servers
        self.connections = connections
        self.timeouts = limits.timeouts
        self.tls = tls
    }

    /// A server builder for Hummingbird's `Application` that serves `servers`' WebSockets this way.
    /// - Parameters:
    ///   - connections: registers every accepted connection, and refuses those beyond its limit.
    ///   - limits: the request and idle timeouts of plain HTTP connections.
    ///   - tls: when set, every connection speaks TLS (`https://` and `wss://`) with this context.
    public static func builder(servers: [EngineServer], connections: ConnectionRegistry,
                               limits: HTTPConnectionLimits, tls: NIOSSLContext? = nil) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            EngineIOHTTPChannel(responder: responder, servers: servers, connections: connections, limits: limits,
                                tls: tls)
        }
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            // Every channel keeps its receive buffer between reads. NIO's default starts at 2 KB, which an idle
            // WebSocket never needs (its reads are pings of a few bytes); 512 bytes hold most upgrade requests, and
            // the allocator still grows for connections that read more.
            try channel.syncOptions?.setOption(ChannelOptions.recvAllocator, value: Self.receiveAllocator)
            let pipeline = channel.pipeline.syncOperations
            if let tls = self.tls {
                try pipeline.addHandler(NIOSSLServerHandler(context: tls))
            }
            let limits = self.http.configuration.httpDecoder
            var decoderLimits = NIOHTTPDecoderLimitConfiguration()
            decoderLimits.maxHeaderFieldSize = limits.maxHeaderFieldSize
            decoderLimits.maxHeaderListSize = limits.maxHeaderListSize
            decoderLimits.maxHeaderFieldCount = limits.maxHeaderFieldCount
            try pipeline.configureHTTPServerPipeline(
                withPipeliningAssistance: false,
                withErrorHandling: false,
                withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: decoderLimits
            )
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: self.tls != nil))
            let admitted = self.connections.admit(channel)
            // A refused connection holds a descriptor past the cap: it gets a second at most to send the request
            // its 503 answers.
            var timeouts = self.timeouts
            if !admitted {
                timeouts.requestHead = min(timeouts.requestHead, .seconds(1))
            }
            try pipeline.addHandler(HTTPConnectionGuard(timeouts: timeouts, refuse: !admitted, logger: logger))
            let route = channel.eventLoop.makePromise(of: Route.self)
            try pipeline.addHandler(WebSocketUpgradeHandler(servers: self.servers, route: route, logger: logger))
            return Value(channel: channel, route: route.futureResult)
        }
    }

    public func handle(value: Value, logger: Logger) async {
        let route: Route
        do {
            route = try await value.route.get()
        } catch {
            logger.trace("connection ended before its first request: \(error)")
            return
        }
        switch route {
        case .http(let asyncChannel):
            await self.http.handle(value: asyncChannel, logger: logger)
        case .webSocket, .closed:
            return
        }
    }
}
