import Foundation
import Logging
import NIOCore
import NIOEmbedded

@testable import SocketIOServer

/// One accepted connection, on an `EmbeddedChannel` with the pipeline ``EngineIOHTTPChannel`` sets up for a real
/// socket: the test writes the client's bytes and reads the server's.
final class EmbeddedConnection {
    let channel: EmbeddedChannel
    let loop: EmbeddedEventLoop
    /// What the first request made of the connection.
    let route: EventLoopFuture<EngineIOHTTPChannel.Route>

    /// A valid `Sec-WebSocket-Key` (RFC 6455 section 1.3) and the `Sec-WebSocket-Accept` that answers it.
    static let key = "dGhlIHNhbXBsZSBub25jZQ=="
    static let accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

    init(servers: [EngineServer], loop: EmbeddedEventLoop, logger: Logger) throws {
        self.loop = loop
        self.channel = EmbeddedChannel(loop: loop)
        let http = EngineIOHTTPChannel(
            responder: { _, _, _ in },
            servers: servers,
            connections: ConnectionRegistry(limit: 100, logger: logger),
            limits: HTTPConnectionLimits(),
            tls: nil
        )
        self.route = try http.setup(channel: self.channel, logger: logger).wait().route
        try self.channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 50_000)).wait()
    }

    var isActive: Bool { self.channel.isActive }

    /// Sends an upgrade request for `target` (a path with its query) with the usual WebSocket headers, `key` as its
    /// `Sec-WebSocket-Key` unless `nil`.
    func sendUpgrade(_ target: String, key: String? = EmbeddedConnection.key, version: String = "13") throws {
        var request = "GET \(target) HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        if let key {
            request += "Sec-WebSocket-Key: \(key)\r\n"
        }
        request += "Sec-WebSocket-Version: \(version)\r\n\r\n"
        try self.send(ByteBuffer(string: request))
    }

    /// Upgrades to a WebSocket of a new Engine.IO session on `path` and returns the session's `open` packet.
    func openWebSocketSession(path: String = "/socket.io/") throws -> [ServerFrame] {
        try self.sendUpgrade("\(path)?EIO=4&transport=websocket")
        guard let response = try self.readHTTPResponse(), response.status == 101 else {
            throw TestFailure("the upgrade was not answered with 101")
        }
        return try self.readFrames()
    }

    func send(_ bytes: ByteBuffer) throws {
        try self.channel.writeInbound(bytes)
        self.loop.run()
    }

    /// Sends a WebSocket text message.
    func sendText(_ text: String) throws {
        try self.send(clientFrame(opcode: 0x1, Array(text.utf8)))
    }

    /// Sends a WebSocket binary message.
    func sendBinary(_ bytes: [UInt8]) throws {
        try self.send(clientFrame(opcode: 0x2, bytes))
    }

    /// Every buffer the server wrote since the last read, one per write.
    func readWrites() throws -> [ByteBuffer] {
        var writes: [ByteBuffer] = []
        while let buffer = try self.channel.readOutbound(as: ByteBuffer.self) {
            writes.append(buffer)
        }
        return writes
    }

    /// The WebSocket frames the server wrote since the last read.
    func readFrames() throws -> [ServerFrame] {
        var frames: [ServerFrame] = []
        for write in try self.readWrites() {
            guard let parsed = ServerFrame.parse(write) else {
                throw TestFailure("not whole WebSocket frames: \(String(buffer: write))")
            }
            frames += parsed
        }
        return frames
    }

    struct HTTPResponseText {
        var status: Int
        /// Header names lowercased.
        var headers: [String: String]
        var body: String
    }

    /// The HTTP response the server wrote: its head, and the body its `Content-Length` announces.
    func readHTTPResponse() throws -> HTTPResponseText? {
        var bytes = ByteBuffer()
        while true {
            let text = String(buffer: bytes)
            if let end = text.range(of: "\r\n\r\n") {
                let lines = text[..<end.lowerBound].components(separatedBy: "\r\n")
                let statusParts = lines[0].split(separator: " ")
                guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
                var headers: [String: String] = [:]
                for line in lines.dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...]
                        .trimmingCharacters(in: .whitespaces)
                }
                let body = String(text[end.upperBound...])
                if body.utf8.count >= Int(headers["content-length"] ?? "0") ?? 0 {
                    return HTTPResponseText(status: status, headers: headers, body: body)
                }
            }
            guard var next = try self.channel.readOutbound(as: ByteBuffer.self) else { return nil }
            bytes.writeBuffer(&next)
        }
    }

    /// Whether a handler of type `type` is in the pipeline.
    func has<Handler: ChannelHandler>(_ type: Handler.Type) -> Bool {
        (try? self.channel.pipeline.syncOperations.handler(type: type)) != nil
    }

    func finish() {
        _ = try? self.channel.finish(acceptAlreadyClosed: true)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
