import Foundation
import Journal
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import TablecastServer

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A temporary journal path, removed (with its WAL files) by `cleanUp`.
struct TemporaryJournal {
    let path: String

    init() {
        self.path = FileManager.default.temporaryDirectory
            .appendingPathComponent("tablecast-test-\(UUID().uuidString).sqlite").path
    }

    func cleanUp() {
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: self.path + suffix)
        }
    }
}

/// Runs `serve` in-process on 127.0.0.1 port 0, calls `body` with the bound port, then shuts down gracefully (which
/// commits the journal) before returning.
func withServeApplication<T: Sendable>(
    journalPath: String,
    engine: ServeApplication.Configuration = ServeApplication.Configuration(),
    _ body: @Sendable (_ port: Int, _ application: ServeApplication) async throws -> T
) async throws -> T {
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    var configuration = engine
    configuration.journalPath = journalPath
    configuration.listen = ListenConfiguration(host: "127.0.0.1", port: 0) { _, port in
        continuation.yield(port)
        continuation.finish()
    }
    var logger = Logger(label: "tablecast-test")
    logger.logLevel = .warning
    let application = try ServeApplication(configuration: configuration, logger: logger)
    let group = ServiceGroup(
        configuration: ServiceGroupConfiguration(
            services: application.services.map { .init(service: $0) },
            logger: logger
        )
    )
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw TestFailure("the server did not start") }
        let result: Result<T, any Error>
        do {
            result = .success(try await body(port, application))
        } catch {
            result = .failure(error)
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
        return try result.get()
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A minimal WebSocket client for tests, on a raw TCP connection: it writes the upgrade request itself and parses the
/// server's (unmasked) frames, so that bytes arriving in the same packet as the `101` are never lost.
final class TestWebSocket {
    private let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    private var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private var buffer = ByteBuffer()

    private init(channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>) {
        self.channel = channel
        self.iterator = channel.inbound.makeAsyncIterator()
    }

    static func connect(port: Int, path: String) async throws -> TestWebSocket {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let socket = TestWebSocket(channel: channel)
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        try await channel.outbound.write(ByteBuffer(string: request))
        while true {
            if let end = socket.buffer.readableBytesView.firstRange(of: Array("\r\n\r\n".utf8)) {
                let head = socket.buffer.readString(length: end.upperBound - socket.buffer.readerIndex)!
                guard head.hasPrefix("HTTP/1.1 101") else { throw TestFailure("upgrade refused: \(head)") }
                return socket
            }
            guard var more = try await socket.iterator.next() else { throw TestFailure("closed during upgrade") }
            socket.buffer.writeBuffer(&more)
        }
    }

    func send(_ text: String) async throws {
        let payload = Array(text.utf8)
        var frame = ByteBuffer()
        frame.writeInteger(UInt8(0x81))
        if payload.count < 126 {
            frame.writeInteger(UInt8(0x80 | payload.count))
        } else {
            frame.writeInteger(UInt8(0x80 | 126))
            frame.writeInteger(UInt16(payload.count))
        }
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        frame.writeBytes(mask)
        frame.writeBytes(payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
        try await self.channel.outbound.write(frame)
    }

    /// The next frame: opcode and payload; `nil` once the connection ends.
    private func nextFrame() async throws -> (opcode: UInt8, payload: ByteBuffer)? {
        while true {
            if let frame = self.parseFrame() { return frame }
            guard var more = try await self.iterator.next() else { return nil }
            self.buffer.writeBuffer(&more)
        }
    }

    private func parseFrame() -> (opcode: UInt8, payload: ByteBuffer)? {
        let start = self.buffer.readerIndex
        guard let first = self.buffer.getInteger(at: start, as: UInt8.self),
            let second = self.buffer.getInteger(at: start + 1, as: UInt8.self)
        else { return nil }
        var headerLength = 2
        var length = Int(second & 0x7F)
        if length == 126 {
            guard let extended = self.buffer.getInteger(at: start + 2, as: UInt16.self) else { return nil }
            length = Int(extended)
            headerLength = 4
        } else if length == 127 {
            guard let extended = self.buffer.getInteger(at: start + 2, as: UInt64.self) else { return nil }
            length = Int(extended)
            headerLength = 10
        }
        guard self.buffer.readableBytes >= headerLength + length else { return nil }
        self.buffer.moveReaderIndex(forwardBy: headerLength)
        let payload = self.buffer.readSlice(length: length)!
        return (first & 0x0F, payload)
    }

    /// Reads text frames until `count` have arrived (control frames skipped), or the connection closes.
    func receive(_ count: Int) async throws -> [String] {
        var texts: [String] = []
        while let frame = try await self.nextFrame() {
            switch frame.opcode {
            case 0x1:
                texts.append(String(buffer: frame.payload))
                if texts.count == count { return texts }
            case 0x8:
                return texts
            default:
                continue
            }
        }
        return texts
    }

    func close() async {
        try? await self.channel.channel.close()
    }
}

/// Plain HTTP requests for tests.
enum TestHTTP {
    static func request(
        _ method: String, port: Int, path: String, body: String? = nil, headers: [String: String] = [:]
    ) async throws -> (status: Int, body: String, headers: [String: String]) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.httpBody = body.map { Data($0.utf8) }
        for (name, value) in headers {
            request.setValue(value, forHTTPHeaderField: name)
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            fields[String(describing: name).lowercased()] = String(describing: value)
        }
        return (http.statusCode, String(decoding: data, as: UTF8.self), fields)
    }
}
