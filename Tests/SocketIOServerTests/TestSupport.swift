import Dispatch
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import SocketIOProtocol

@testable import SocketIOServer

/// Embedded event loops as one group, so that a ``Broadcaster`` gets a loop broadcaster for each: what a server's
/// `MultiThreadedEventLoopGroup` is, with time and task order in the test's hands.
final class EmbeddedLoopGroup: EventLoopGroup {
    let loops: [EmbeddedEventLoop]

    init(count: Int) {
        self.loops = (0..<count).map { _ in EmbeddedEventLoop() }
    }

    func next() -> any EventLoop {
        self.loops[0]
    }

    func makeIterator() -> EventLoopIterator {
        EventLoopIterator(self.loops)
    }

    func shutdownGracefully(queue: DispatchQueue, _ callback: @escaping @Sendable ((any Error)?) -> Void) {
        for loop in self.loops {
            try? loop.syncShutdownGracefully()
        }
        callback(nil)
    }

    /// Runs every loop's due tasks, in group order, until none has any left (a task on one loop may queue one on
    /// another).
    func runAll() {
        for _ in 0..<8 {
            for loop in self.loops {
                loop.run()
            }
        }
    }
}

/// Keeps what a logger logged, for the tests that check what the server logs.
struct RecordingLogHandler: LogHandler {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    let records: NIOLockedValueBox<[Record]>
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .trace

    func log(event: LogEvent) {
        var metadata: [String: String] = [:]
        for (key, value) in self.metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            metadata[key] = value.description
        }
        self.records.withLockedValue {
            $0.append(Record(level: event.level, message: event.message.description, metadata: metadata))
        }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }
}

/// A logger whose records a test can read.
struct LogRecorder: Sendable {
    private let records = NIOLockedValueBox<[RecordingLogHandler.Record]>([])

    var logger: Logger {
        let records = self.records
        return Logger(label: "socketio-server-tests") { _ in RecordingLogHandler(records: records) }
    }

    /// The reasons of the "session closed" lines logged at `level`.
    func closeReasons(at level: Logger.Level) -> [String] {
        self.records.withLockedValue { records in
            records.filter { $0.level == level && $0.message == "session closed" }.compactMap { $0.metadata["reason"] }
        }
    }
}

/// One frame a server sent (unmasked, RFC 6455 section 5.2).
struct ServerFrame: Equatable, CustomStringConvertible {
    var opcode: UInt8
    var payload: [UInt8]

    var text: String { String(decoding: self.payload, as: UTF8.self) }

    var description: String { "\(self.opcode):\(self.text)" }

    /// The text frame `text`.
    static func text(_ text: String) -> ServerFrame {
        ServerFrame(opcode: 0x1, payload: Array(text.utf8))
    }

    /// The close frame with status 1000 that ``WebSocketTransport/close()`` sends.
    static let normalClosure = ServerFrame(opcode: 0x8, payload: [0x03, 0xE8])

    /// Every frame in `buffer`, which must hold whole frames only.
    static func parse(_ buffer: ByteBuffer) -> [ServerFrame]? {
        var buffer = buffer
        var frames: [ServerFrame] = []
        while buffer.readableBytes > 0 {
            guard let first = buffer.readInteger(as: UInt8.self), let second = buffer.readInteger(as: UInt8.self),
                first & 0x80 != 0, second & 0x80 == 0
            else { return nil }
            var length = Int(second)
            if length == 126 {
                guard let extended = buffer.readInteger(as: UInt16.self) else { return nil }
                length = Int(extended)
            } else if length == 127 {
                guard let extended = buffer.readInteger(as: UInt64.self) else { return nil }
                length = Int(extended)
            }
            guard let payload = buffer.readBytes(length: length) else { return nil }
            frames.append(ServerFrame(opcode: first & 0x0F, payload: payload))
        }
        return frames
    }
}

/// A masked client frame (RFC 6455 section 5.3), final, with a short payload.
func clientFrame(opcode: UInt8, _ payload: [UInt8]) -> ByteBuffer {
    precondition(payload.count <= Int(UInt16.max))
    let mask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
    var buffer = ByteBuffer()
    buffer.writeInteger(0x80 | opcode)
    if payload.count < 126 {
        buffer.writeInteger(0x80 | UInt8(payload.count))
    } else {
        buffer.writeInteger(UInt8(0x80 | 126))
        buffer.writeInteger(UInt16(payload.count))
    }
    buffer.writeBytes(mask)
    buffer.writeBytes(payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
    return buffer
}

/// The Socket.IO EVENT frame a broadcast carries for sequence number `seq`: `42/events,["e",<seq>]`, or with a
/// payload of `padding` bytes more when a test needs big events.
func eventFrame(_ seq: Int64, padding: Int = 0) -> EngineIOFrame {
    var payload = "\(seq)"
    if padding > 0 {
        payload = "[\(seq),\"\(String(repeating: "x", count: padding))\"]"
    }
    return SocketIOPacket.eventFrame(namespace: "/events", name: "e", payload: Array(payload.utf8))
}

/// The text of ``eventFrame(_:padding:)`` for `seq`.
func eventText(_ seq: Int64) -> String {
    "42/events,[\"e\",\(seq)]"
}

/// Publishes events `seqs` with their ``eventFrame(_:padding:)``, emitted at `1000 + seq` nanoseconds.
func publish(_ seqs: ClosedRange<Int64>, to broadcaster: Broadcaster, padding: Int = 0) {
    for seq in seqs {
        broadcaster.publish(seq: seq, frame: eventFrame(seq, padding: padding), emittedAtNanos: 1000 + seq)
    }
}

/// The frames of a long-polling GET that the session answers at once (it has frames queued).
/// - Throws: when the session holds the GET instead, or refuses it.
func pollAnsweredAtOnce(_ session: EngineSession, on channel: any Channel) throws -> [EngineIOFrame] {
    var answer: EngineSession.PollOutcome?
    session.poll(on: channel).assumeIsolated().whenSuccess { answer = $0 }
    guard case .frames(let frames) = answer else {
        throw TestFailure("the poll was not answered at once: \(answer as Any)")
    }
    return frames
}

extension EngineIOFrame {
    /// The frame's bytes as text.
    var text: String { String(buffer: self.bytes) }
}

/// An Engine.IO configuration whose heartbeat never fires during a test.
let quietConfiguration = EngineIOConfiguration(pingInterval: 3_600_000, pingTimeout: 3_600_000)

/// Embedded loops, a logger that records, and what every test must undo: sessions closed, channels finished, loops
/// shut down (an embedded loop must not be freed with tasks still scheduled, nor a channel while open).
final class EmbeddedHarness {
    let group: EmbeddedLoopGroup
    let logs = LogRecorder()
    private var connections: [EmbeddedConnection] = []
    private var channels: [EmbeddedChannel] = []
    private var engines: [EngineServer] = []

    init(loops: Int) {
        self.group = EmbeddedLoopGroup(count: loops)
    }

    /// The first loop.
    var loop: EmbeddedEventLoop { self.group.loops[0] }

    var logger: Logger { self.logs.logger }

    /// A Socket.IO server with the namespaces `/` and `/events` (which receives broadcasts).
    func socketIOServer(broadcaster: Broadcaster?, connectTimeout: TimeAmount = .seconds(45),
                        maxBacklogBytes: Int = 8 << 20) -> SocketIOServer {
        let server = SocketIOServer(
            configuration: quietConfiguration,
            connectTimeout: connectTimeout,
            namespaces: [SocketIONamespace("/"), SocketIONamespace("/events", receivesBroadcasts: true)],
            broadcaster: broadcaster,
            maxBacklogBytes: maxBacklogBytes,
            logger: self.logger
        )
        self.engines.append(server.engine)
        return server
    }

    /// A new connection to `servers` through the real HTTP pipeline, on `loop` (the first loop by default).
    func connect(to servers: [EngineServer], on loop: EmbeddedEventLoop? = nil) throws -> EmbeddedConnection {
        let connection = try EmbeddedConnection(servers: servers, loop: loop ?? self.loop, logger: self.logger)
        self.connections.append(connection)
        return connection
    }

    /// An active channel with nothing in its pipeline but what `configure` adds.
    func channel(on loop: EmbeddedEventLoop? = nil) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(loop: loop ?? self.loop)
        self.channels.append(channel)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 50_000)).wait()
        return channel
    }

    /// A WebSocket transport on its own active channel, writing through a ``RawFrameWriter`` as an upgraded
    /// connection does.
    func webSocketTransport(statistics: TransportStatistics?, maxBacklogBytes: Int = 8 << 20,
                            on loop: EmbeddedEventLoop? = nil) throws -> (EmbeddedChannel, WebSocketTransport) {
        let channel = try self.channel(on: loop)
        let writer = RawFrameWriter()
        try channel.pipeline.syncOperations.addHandler(writer)
        let transport = WebSocketTransport(
            channel: channel,
            writer: try channel.pipeline.syncOperations.context(handler: writer),
            maxBacklogBytes: maxBacklogBytes,
            statistics: statistics
        )
        return (channel, transport)
    }

    func tearDown() {
        for engine in self.engines {
            engine.closeAllSessions()
        }
        self.group.runAll()
        for connection in self.connections {
            connection.finish()
        }
        for channel in self.channels {
            _ = try? channel.finish(acceptAlreadyClosed: true)
        }
        for loop in self.group.loops {
            try? loop.syncShutdownGracefully()
        }
    }
}

/// Runs `body` with a fresh ``EmbeddedHarness`` of `loops` loops, and tears it down after.
func withEmbeddedHarness<T>(loops: Int = 1, _ body: (EmbeddedHarness) throws -> T) throws -> T {
    let harness = EmbeddedHarness(loops: loops)
    defer { harness.tearDown() }
    return try body(harness)
}

/// The writes a channel received since the last read, each parsed into WebSocket frames.
func readWrites(_ channel: EmbeddedChannel) throws -> [[ServerFrame]] {
    var writes: [[ServerFrame]] = []
    while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
        guard let frames = ServerFrame.parse(buffer) else {
            throw TestFailure("not whole WebSocket frames: \(String(buffer: buffer))")
        }
        writes.append(frames)
    }
    return writes
}
