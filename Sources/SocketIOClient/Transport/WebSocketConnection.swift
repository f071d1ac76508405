import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import SocketIOProtocol

/// A client WebSocket carrying Engine.IO packets, one per frame, on NIO's HTTP upgrade and frame codecs.
///
/// Every frame sent carries a fresh masking key (RFC 6455 section 5.3); NIO's `WebSocketFrameEncoder` applies it.
final class WebSocketConnection: Sendable {
    let channel: any Channel
    private let outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>

    private init(channel: any Channel, outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>) {
        self.channel = channel
        self.outbound = outbound
    }

    private enum UpgradeResult: Sendable {
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>)
        case notUpgraded(NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>)
    }

    /// Connects, performs the upgrade, runs `body` with the connection and its inbound frames, then closes.
    /// - Parameter onChannel: called with the TCP channel as soon as it exists, so that the caller can close it if
    ///   the attempt is abandoned while the upgrade is pending.
    /// - Throws: ``SocketIOClientError``: connection failed, or the server answered something else than `101`.
    static func run(
        to endpoint: SocketIOEndpoint,
        uri: String,
        group: any EventLoopGroup,
        timeout: TimeAmount,
        maxFrameSize: Int,
        onChannel: @escaping @Sendable (any Channel) -> Void,
        _ body: (WebSocketConnection, Inbound) async -> Void
    ) async throws(SocketIOClientError) {
        let upgradeResult: EventLoopFuture<UpgradeResult>
        do {
            upgradeResult = try await ClientBootstrap(group: group)
                .connectTimeout(timeout)
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .connect(host: endpoint.host, port: endpoint.port) { channel in
                    onChannel(channel)
                    return channel.eventLoop.makeCompletedFuture {
                        try Self.configure(channel, endpoint: endpoint, uri: uri, maxFrameSize: maxFrameSize)
                    }
                }
        } catch {
            throw .connectionFailed("\(endpoint.host):\(endpoint.port)", error)
        }
        let result: UpgradeResult
        do {
            result = try await upgradeResult.get()
        } catch {
            throw .notSocketIO(endpoint.description, "WebSocket upgrade failed: \(error)")
        }
        switch result {
        case .websocket(let asyncChannel):
            try? await asyncChannel.executeThenClose { inbound, outbound in
                let connection = WebSocketConnection(channel: asyncChannel.channel, outbound: outbound)
                await body(connection, Inbound(frames: inbound, connection: connection))
            }
        case .notUpgraded(let http):
            var status = "no response"
            var body = ByteBuffer()
            try? await http.executeThenClose { inbound, _ in
                for try await part in inbound {
                    switch part {
                    case .head(let head):
                        status = "HTTP \(head.status.code) \(head.status.reasonPhrase)"
                    case .body(var chunk):
                        body.writeBuffer(&chunk)
                    case .end:
                        return
                    }
                }
            }
            let detail = body.readableBytes > 0 ? "\(status): \(String(buffer: body).prefix(200))" : status
            if status.hasPrefix("HTTP 400"), String(buffer: body).contains("\"code\"") {
                throw .handshakeFailed(endpoint.description, detail)
            }
            throw .notSocketIO(endpoint.description, detail)
        }
    }

    private static func configure(
        _ channel: any Channel,
        endpoint: SocketIOEndpoint,
        uri: String,
        maxFrameSize: Int
    ) throws -> EventLoopFuture<UpgradeResult> {
        let upgrader = NIOTypedWebSocketClientUpgrader<UpgradeResult>(
            maxFrameSize: maxFrameSize,
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        NIOWebSocketFrameAggregator(
                            minNonFinalFragmentSize: 0,
                            maxAccumulatedFrameCount: 1 << 16,
                            maxAccumulatedFrameSize: maxFrameSize
                        )
                    )
                    return UpgradeResult.websocket(
                        try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(wrappingChannelSynchronously: channel)
                    )
                }
            }
        )
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: endpoint.hostHeader)
        headers.add(name: "Content-Length", value: "0")
        let requestHead = HTTPRequestHead(version: .http1_1, method: .GET, uri: uri, headers: headers)
        let upgradeConfiguration = NIOTypedHTTPClientUpgradeConfiguration<UpgradeResult>(
            upgradeRequestHead: requestHead,
            upgraders: [upgrader],
            notUpgradingCompletionHandler: { channel in
                channel.eventLoop.makeCompletedFuture {
                    UpgradeResult.notUpgraded(
                        try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                            wrappingChannelSynchronously: channel
                        )
                    )
                }
            }
        )
        var configuration = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: upgradeConfiguration)
        // Whatever the server writes right after the 101 (the `open` packet of a WebSocket-only session often shares
        // its TCP segment) must reach the frame decoder, not be dropped with the HTTP decoder.
        configuration.leftOverBytesStrategy = .forwardBytes
        return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: configuration)
    }

    /// Sends Engine.IO frames, in order, each in its own masked WebSocket frame.
    /// - Throws: ``SocketIOClientError`` when the connection is closed.
    func send(_ frames: [EngineIOFrame]) async throws(SocketIOClientError) {
        let webSocketFrames = frames.map { frame in
            WebSocketFrame(fin: true, opcode: frame.isBinary ? .binary : .text, maskKey: .random(), data: frame.bytes)
        }
        do {
            try await self.outbound.write(contentsOf: webSocketFrames)
        } catch {
            throw .transport("WebSocket write failed: \(error)")
        }
    }

    func close() {
        self.channel.close(promise: nil)
    }

    /// The frames the server sends, read by the task that runs the connection.
    struct Inbound {
        fileprivate let frames: NIOAsyncChannelInboundStream<WebSocketFrame>
        fileprivate let connection: WebSocketConnection

    /// Reads until the connection ends, passing each Engine.IO packet to `body`, in order; `body` returns `false` to
    /// stop reading. Answers WebSocket pings. Call it once: the inbound stream has a single iterator.
    /// - Returns: why reading stopped, `nil` when `body` asked.
    func readPackets(_ body: (EngineIOPacket) async -> Bool) async -> String? {
        do {
            for try await frame in self.frames {
                switch frame.opcode {
                case .text:
                    let packet: EngineIOPacket
                    do {
                        packet = try EngineIOPacket.decodeText(frame.unmaskedData)
                    } catch {
                        return "parse error: \(error)"
                    }
                    guard await body(packet) else { return nil }
                case .binary:
                    guard await body(EngineIOPacket(type: .message, data: frame.unmaskedData, isBinary: true)) else {
                        return nil
                    }
                case .ping:
                    let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
                    try? await self.connection.outbound.write(pong)
                case .connectionClose:
                    self.connection.close()
                    return "transport close"
                default:
                    continue
                }
            }
            return "transport close"
        } catch {
            return "transport error: \(error)"
        }
    }
    }
}
