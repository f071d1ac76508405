import Logging
import NIOCore
import NIOEmbedded
import SocketIOProtocol
import Testing

@testable import SocketIOServer

/// A socket whose peer reads nothing: writes stay in the channel's buffer, as they do when the kernel's send buffer
/// is full, and the test says whether the channel is writable.
final class StalledSocket: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func flush(context: ChannelHandlerContext) {}
}

struct SlowConsumerTests {
    static let maxBacklogBytes = 4096
    /// Each event is about 1 KB, so three fit in the backlog bound and five do not.
    static let padding = 1000

    /// A WebSocket session of `server` that joined /events, on a socket that stalls from then on.
    static func stalledSubscriber(_ harness: EmbeddedHarness, server: SocketIOServer) throws -> EmbeddedConnection {
        let connection = try harness.connect(to: [server.engine])
        _ = try connection.openWebSocketSession()
        try connection.sendText("40/events,")
        #expect(try connection.readFrames().first?.text.hasPrefix("40/events,{\"sid\":") == true)
        try connection.channel.pipeline.syncOperations.addHandler(StalledSocket(), position: .first)
        return connection
    }

    @Test func aWebSocketThatStaysUnwritablePastItsBacklogIsClosedAndCounted() throws {
        try withEmbeddedHarness { harness in
            let broadcaster = Broadcaster(group: harness.loop, flushSpacing: .zero)
            let server = harness.socketIOServer(broadcaster: broadcaster, maxBacklogBytes: Self.maxBacklogBytes)
            let connection = try Self.stalledSubscriber(harness, server: server)
            #expect(broadcaster.subscribers == 1)
            connection.channel.isWritable = false

            publish(1...3, to: broadcaster, padding: Self.padding)
            harness.loop.run()
            let buffered = try connection.channel.getOption(.bufferedWritableBytes).wait()
            #expect(buffered > 3 * Self.padding && buffered <= Self.maxBacklogBytes)
            #expect(connection.isActive)
            #expect(broadcaster.statistics.slowConsumerDisconnects == 0)

            publish(4...5, to: broadcaster, padding: Self.padding)
            harness.loop.run()
            #expect(!connection.isActive)
            #expect(broadcaster.statistics.slowConsumerDisconnects == 1)
            #expect(server.engine.sessionCount == 0)
            #expect(broadcaster.subscribers == 0)
            // The transport closes the socket; the session then ends as any whose WebSocket closed.
            #expect(harness.logs.closeReasons(at: .debug) == ["transport close"])
        }
    }

    @Test func aWritableWebSocketIsNotCutOffWhateverItHasBuffered() throws {
        try withEmbeddedHarness { harness in
            let broadcaster = Broadcaster(group: harness.loop, flushSpacing: .zero)
            let server = harness.socketIOServer(broadcaster: broadcaster, maxBacklogBytes: Self.maxBacklogBytes)
            let connection = try Self.stalledSubscriber(harness, server: server)

            publish(1...5, to: broadcaster, padding: Self.padding)
            harness.loop.run()
            #expect(try connection.channel.getOption(.bufferedWritableBytes).wait() > Self.maxBacklogBytes)
            #expect(connection.isActive)
            #expect(broadcaster.statistics.slowConsumerDisconnects == 0)
            #expect(server.engine.sessionCount == 1)
        }
    }

    @Test func aPollingSessionWhoseQueuePassesTheBoundIsClosedCountedAndLogged() throws {
        try withEmbeddedHarness { harness in
            let broadcaster = Broadcaster(group: harness.loop, flushSpacing: .zero)
            let server = harness.socketIOServer(broadcaster: broadcaster, maxBacklogBytes: Self.maxBacklogBytes)
            let polling = try harness.channel()
            let session = try #require(server.engine.openSession(on: harness.loop, webSocket: nil))
            guard case .ok = session.post(body: ByteBuffer(string: "40/events,")) else {
                throw TestFailure("the CONNECT was refused")
            }
            harness.loop.run()
            // The open packet and the CONNECT answer; no GET is held after this one.
            #expect(try pollAnsweredAtOnce(session, on: polling).count == 2)
            #expect(broadcaster.subscribers == 1)

            publish(1...3, to: broadcaster, padding: Self.padding)
            harness.loop.run()
            #expect(session.transport == .polling)
            #expect(broadcaster.statistics.slowConsumerDisconnects == 0)

            publish(4...5, to: broadcaster, padding: Self.padding)
            harness.loop.run()
            #expect(session.transport == nil)
            #expect(server.engine.sessionCount == 0)
            #expect(broadcaster.statistics.slowConsumerDisconnects == 1)
            #expect(broadcaster.subscribers == 0)
            #expect(harness.logs.closeReasons(at: .info) == ["slow consumer"])
        }
    }
}
