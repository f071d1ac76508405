import NIOCore
import NIOEmbedded
import SocketIOProtocol
import Testing

@testable import SocketIOServer

struct LoopBroadcasterTests {
    static func texts(_ seqs: ClosedRange<Int64>) -> [ServerFrame] {
        seqs.map { .text(eventText($0)) }
    }

    @Test func eventsPublishedBetweenFlushesArriveAsOneWritePerConnection() throws {
        try withEmbeddedHarness { harness in
            // A minute between flushes: the events after the first wait for the next flush, whatever the clock does.
            let broadcaster = Broadcaster(group: harness.loop, flushSpacing: .seconds(60))
            let (first, firstTransport) = try harness.webSocketTransport(statistics: broadcaster.statistics)
            let (second, secondTransport) = try harness.webSocketTransport(statistics: broadcaster.statistics)
            #expect(firstTransport.subscribe(to: broadcaster, after: 0, traced: false))
            #expect(secondTransport.subscribe(to: broadcaster, after: 0, traced: false))

            // The loop was idle: the first event leaves at once.
            publish(1...1, to: broadcaster)
            harness.loop.run()
            #expect(try readWrites(first) == [Self.texts(1...1)])
            #expect(try readWrites(second) == [Self.texts(1...1)])

            publish(2...4, to: broadcaster)
            harness.loop.run()
            #expect(try readWrites(first).isEmpty)
            harness.loop.advanceTime(by: .seconds(60))
            #expect(try readWrites(first) == [Self.texts(2...4)])
            #expect(try readWrites(second) == [Self.texts(2...4)])
            #expect(broadcaster.statistics.deliveries == 8)
        }
    }

    @Test func aBacklogIsSlicedIntoWritesOfAtMostMaxBatchEvents() throws {
        try withEmbeddedHarness { harness in
            let broadcaster = Broadcaster(group: harness.loop, maxBatchEvents: 4, flushSpacing: .zero)
            let (first, firstTransport) = try harness.webSocketTransport(statistics: broadcaster.statistics)
            let (second, secondTransport) = try harness.webSocketTransport(statistics: broadcaster.statistics)
            #expect(firstTransport.subscribe(to: broadcaster, after: 0, traced: false))
            #expect(secondTransport.subscribe(to: broadcaster, after: 0, traced: false))

            publish(1...10, to: broadcaster)
            harness.loop.run()
            let slices = [Self.texts(1...4), Self.texts(5...8), Self.texts(9...10)]
            #expect(try readWrites(first) == slices)
            #expect(try readWrites(second) == slices)
            #expect(broadcaster.statistics.deliveries == 20)
        }
    }

    @Test func aSubscriberThatJoinedMidBatchGetsTheBatchFromItsOwnFirstEvent() throws {
        try withEmbeddedHarness { harness in
            let broadcaster = Broadcaster(group: harness.loop, flushSpacing: .zero)
            let (early, earlyTransport) = try harness.webSocketTransport(statistics: broadcaster.statistics)
            let (late, lateTransport) = try harness.webSocketTransport(statistics: broadcaster.statistics)
            #expect(earlyTransport.subscribe(to: broadcaster, after: 0, traced: false))
            publish(1...4, to: broadcaster)
            // Joins before the flush, having seen up to 2.
            #expect(lateTransport.subscribe(to: broadcaster, after: 2, traced: false))
            harness.loop.run()

            let earlyWrite = try #require(try early.readOutbound(as: ByteBuffer.self))
            let lateWrite = try #require(try late.readOutbound(as: ByteBuffer.self))
            #expect(ServerFrame.parse(earlyWrite) == Self.texts(1...4))
            #expect(ServerFrame.parse(lateWrite) == Self.texts(3...4))
            // The same framing, sliced: the late write is the tail of the early one.
            #expect(Array(earlyWrite.readableBytesView.suffix(lateWrite.readableBytes)) ==
                Array(lateWrite.readableBytesView))
            #expect(try late.readOutbound(as: ByteBuffer.self) == nil)
            #expect(broadcaster.statistics.deliveries == 6)
        }
    }

    @Test func aSubscriberBehindTheLoopCatchesUpFromTheRingAtOnceThenFollows() throws {
        try withEmbeddedHarness { harness in
            let broadcaster = Broadcaster(group: harness.loop, flushSpacing: .zero)
            publish(1...5, to: broadcaster)
            harness.loop.run()

            let (channel, transport) = try harness.webSocketTransport(statistics: broadcaster.statistics)
            #expect(transport.subscribe(to: broadcaster, after: 2, traced: false))
            #expect(try readWrites(channel) == [Self.texts(3...5)])
            publish(6...6, to: broadcaster)
            harness.loop.run()
            #expect(try readWrites(channel) == [Self.texts(6...6)])
        }
    }

    @Test func aSubscriberWhoseMissedEventsAreNoLongerKeptIsRefused() throws {
        try withEmbeddedHarness { harness in
            let broadcaster = Broadcaster(group: harness.loop, flushSpacing: .zero)
            publish(1...3, to: broadcaster)
            // A gap in the sequence empties the ring.
            publish(10...10, to: broadcaster)
            harness.loop.run()

            let (channel, transport) = try harness.webSocketTransport(statistics: broadcaster.statistics)
            #expect(!transport.subscribe(to: broadcaster, after: 2, traced: false))
            #expect(broadcaster.subscribers == 0)
            #expect(try readWrites(channel).isEmpty)
        }
    }

    @Test func tracedSubscribersGetTracedFramesAndTheOthersPlainOnes() throws {
        try withEmbeddedHarness { harness in
            let broadcaster = Broadcaster(group: harness.loop, flushSpacing: .zero)
            let (plain, plainTransport) = try harness.webSocketTransport(statistics: broadcaster.statistics)
            let (traced, tracedTransport) = try harness.webSocketTransport(statistics: broadcaster.statistics)
            #expect(plainTransport.subscribe(to: broadcaster, after: 0, traced: false))
            #expect(!broadcaster.hasTracedSubscribers)
            #expect(tracedTransport.subscribe(to: broadcaster, after: 0, traced: true))
            #expect(broadcaster.hasTracedSubscribers)

            // Published with no traced frame: the broadcaster builds it from the sequence number and emission time.
            broadcaster.publish(seq: 1, frame: eventFrame(1), emittedAtNanos: 777)
            // Published with the publisher's traced frame: that one is sent as it is.
            let publisherTraced = SocketIOPacket.tracedEventFrame(eventFrame(2), seq: 2, emittedAtNanos: 999)
            broadcaster.publish(seq: 2, frame: eventFrame(2), emittedAtNanos: 888, tracedFrame: publisherTraced)
            harness.loop.run()

            #expect(try readWrites(plain) == [Self.texts(1...2)])
            #expect(try readWrites(traced) == [[
                .text(#"42/events,["e",1,{"seq":1,"emittedAt":777}]"#),
                .text(#"42/events,["e",2,{"seq":2,"emittedAt":999}]"#),
            ]])

            tracedTransport.unsubscribe(from: broadcaster)
            #expect(!broadcaster.hasTracedSubscribers)
            #expect(broadcaster.subscribers == 1)
        }
    }
}
