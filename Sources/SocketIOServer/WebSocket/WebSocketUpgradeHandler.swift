import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket
import SocketIOProtocol

/// Upgrades Engine.IO WebSocket requests on any request of an HTTP/1.1 connection, and passes every other request on.
///
/// It sits right after the HTTP codec (``EngineIOHTTPChannel``). SwiftNIO's own upgrade handler only looks at the
/// first request of a connection, but clients that pool connections (aiohttp, which python-socketio's asyncio client
/// uses) send the upgrade on a connection that has already carried polling requests. On an upgrade this handler
/// verifies the request as the reference server does, answers `101`, and replaces the HTTP handlers with the
/// WebSocket ones.
///
/// With a `route` promise, the connection's first request decides what it becomes: a WebSocket with no Hummingbird
/// objects at all, or an HTTP connection, for which this handler adds Hummingbird's handlers and async channel
/// behind itself and completes the promise with it. Later upgrades on an HTTP connection leave Hummingbird's
/// handler at the tail, where it sees no more requests and ends with the connection.
final class WebSocketUpgradeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    private let servers: [EngineServer]
    private let logger: Logger
    private var state: State = .idle
    /// Completed once the first request has decided what the connection is.
    private var route: EventLoopPromise<EngineIOHTTPChannel.Route>?

    private enum State {
        case idle
        case passing
        case upgrading(HTTPRequest, EngineServer)
        case upgraded
    }

    init(servers: [EngineServer], route: EventLoopPromise<EngineIOHTTPChannel.Route>?, logger: Logger) {
        self.servers = servers
        self.route = route
        self.logger = logger
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.decide(.closed)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.decide(.closed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard self.route != nil else {
            context.fireErrorCaught(error)
            return
        }
        // Nothing behind this handler yet: answer a request that does not parse as Hummingbird would, and close.
        self.decide(.closed)
        if error is HTTPParserError {
            context.respondAndClose(status: .badRequest, jsonBody: nil)
        } else {
            context.close(promise: nil)
        }
    }

    private func decide(_ route: EngineIOHTTPChannel.Route) {
        guard let promise = self.route else { return }
        self.route = nil
        promise.succeed(route)
    }

    /// Hands the connection to Hummingbird: its connection-state handler and async channel go behind this handler.
    private func becomeHTTP(context: ChannelHandlerContext) throws {
        guard self.route != nil else { return }
        let pipeline = context.pipeline.syncOperations
        try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: self.logger))
        let asyncChannel = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
            wrappingChannelSynchronously: context.channel,
            configuration: .init(isOutboundHalfClosureEnabled: true)
        )
        self.decide(.http(asyncChannel))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = self.unwrapInboundIn(data)
        switch (self.state, part) {
        case (.idle, .head(let request)):
            if let server = self.upgradeTarget(request) {
                self.state = .upgrading(request, server)
            } else {
                do {
                    try self.becomeHTTP(context: context)
                } catch {
                    self.logger.error("cannot set up HTTP handling: \(error)")
                    self.decide(.closed)
                    context.close(promise: nil)
                    return
                }
                self.state = .passing
                context.fireChannelRead(data)
            }
        case (.passing, .end):
            self.state = .idle
            context.fireChannelRead(data)
        case (.passing, _), (.idle, _):
            context.fireChannelRead(data)
        case (.upgrading(let request, let server), .end):
            self.state = .upgraded
            self.upgrade(context: context, request: request, server: server)
        case (.upgrading, _), (.upgraded, _):
            break
        }
    }

    private func upgradeTarget(_ request: HTTPRequest) -> EngineServer? {
        guard request.method == .get, let upgrade = request.headerFields[.upgrade],
            upgrade.lowercased() == "websocket"
        else { return nil }
        let path = EngineIOQuery.path(of: request.path ?? "")
        return self.servers.first { $0.matches(path: path) }
    }

    private func upgrade(context: ChannelHandlerContext, request: HTTPRequest, server: EngineServer) {
        // RFC 6455 4.2.1: the key is the base64 of 16 bytes; anything else is a bad request.
        guard let key = request.headerFields[.secWebSocketKey], Self.isValidKey(key) else {
            self.reject(context: context, error: .badRequest)
            return
        }
        let query = EngineIOQuery.parameters(of: request.path ?? "")
        let target: EngineServer.WebSocketTarget
        switch server.verifyWebSocket(query: query) {
        case .failure(let error):
            self.reject(context: context, error: error)
            return
        case .success(let verified):
            target = verified
        }
        var headers = HTTPHeaders()
        for field in request.headerFields {
            headers.add(name: field.name.rawName, value: field.value)
        }
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: request.path ?? "/", headers: headers)
        let upgrader = NIOWebSocketServerUpgrader(
            shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
            upgradePipelineHandler: { channel, _ in channel.eventLoop.makeSucceededVoidFuture() }
        )
        upgrader.buildUpgradeResponse(channel: context.channel, upgradeRequest: head, initialResponseHeaders: [:])
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .failure:
                    self.reject(context: context, error: .badRequest)
                case .success(let responseHeaders):
                    do {
                        try self.switchToWebSocket(
                            context: context,
                            responseHeaders: responseHeaders,
                            server: server,
                            target: target
                        )
                    } catch {
                        server.logger.error("WebSocket upgrade failed: \(error)")
                        self.decide(.closed)
                        context.close(promise: nil)
                    }
                }
            }
    }

    private func switchToWebSocket(
        context: ChannelHandlerContext,
        responseHeaders: HTTPHeaders,
        server: EngineServer,
        target: EngineServer.WebSocketTarget
    ) throws {
        var fields = HTTPFields()
        for header in responseHeaders {
            if let name = HTTPField.Name(header.name) {
                fields.append(HTTPField(name: name, value: header.value))
            }
        }
        context.writeAndFlush(self.wrapOutboundOut(.head(HTTPResponse(status: .switchingProtocols,
                                                                        headerFields: fields))), promise: nil)

        let pipeline = context.pipeline.syncOperations
        let rawWriter = RawFrameWriter()
        // Where the HTTP encoder is now: at the front, or right behind TLS, whose records the raw frames must go in.
        let encoder = try pipeline.handler(type: HTTPResponseEncoder.self)
        try pipeline.addHandler(rawWriter, position: .before(encoder))
        let transport = WebSocketTransport(
            channel: context.channel,
            writer: try pipeline.context(handler: rawWriter),
            maxBacklogBytes: server.maxBacklogBytes,
            statistics: server.broadcaster?.statistics
        )
        // A message may be as large as Engine.IO's maxPayload; RFC 6455's rules are WebSocketInboundHandler's.
        let maxMessageSize = server.configuration.maxPayload
        let handlers: [any ChannelHandler] = [
            WebSocketFrameEncoder(),
            ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: maxMessageSize)),
            WebSocketInboundHandler(maxMessageSize: maxMessageSize, logger: server.logger),
            WebSocketConnectionHandler(server: server, transport: transport, target: target),
        ]
        var previous: any ChannelHandler = self
        for handler in handlers {
            try pipeline.addHandler(handler, position: .after(previous))
            previous = handler
        }
        // The HTTP handlers go: from now on the bytes on this connection are WebSocket frames.
        let encoderContext = try pipeline.context(handlerType: HTTPResponseEncoder.self)
        let decoder = try pipeline.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self)
        let codec = try pipeline.context(handlerType: HTTP1ToHTTPServerCodec.self)
        // The WebSocket's own heartbeat rules replace the HTTP timeouts.
        if let connectionGuard = try? pipeline.context(handlerType: HTTPConnectionGuard.self) {
            pipeline.removeHandler(context: connectionGuard, promise: nil)
        }
        pipeline.removeHandler(context: codec, promise: nil)
        pipeline.removeHandler(context: encoderContext, promise: nil)
        pipeline.removeHandler(context: decoder, promise: nil)
        self.decide(.webSocket)
        pipeline.removeHandler(context: context, promise: nil)
    }

    /// Whether a `Sec-WebSocket-Key` is what RFC 6455 says a client sends: 16 random bytes in base64, 24 characters.
    static func isValidKey(_ key: String) -> Bool {
        key.utf8.count == 24 && Base64.decode(key.utf8)?.count == 16
    }

    private func reject(context: ChannelHandlerContext, error: EngineIOServerError) {
        self.decide(.closed)
        context.respondAndClose(status: .badRequest, jsonBody: ByteBuffer(string: error.jsonBody))
    }
}

/// Query parsing for Engine.IO requests.
public enum EngineIOQuery {
    /// The path without its query.
    public static func path(of target: String) -> String {
        if let index = target.firstIndex(of: "?") {
            return String(target[..<index])
        }
        return target
    }

    /// The query parameters, percent-decoded; the first occurrence of a name wins.
    public static func parameters(of target: String) -> [String: String] {
        guard let index = target.firstIndex(of: "?") else { return [:] }
        var parameters: [String: String] = [:]
        for pair in target[target.index(after: index)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.percentDecode(parts[0])
            let value = parts.count > 1 ? Self.percentDecode(parts[1]) : ""
            if parameters[name] == nil {
                parameters[name] = value
            }
        }
        return parameters
    }

    private static func percentDecode(_ text: Substring) -> String {
        // As Node's querystring does: `%XY` with two hex digits is a byte, anything else after `%` stays as written.
        let input = Array(text.utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(input.count)
        var index = 0
        while index < input.count {
            let byte = input[index]
            if byte == UInt8(ascii: "%"), index + 2 < input.count,
                let high = Self.hexValue(input[index + 1]), let low = Self.hexValue(input[index + 2])
            {
                bytes.append(high << 4 | low)
                index += 3
                continue
            }
            bytes.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            index += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
