import NIOCore
import NIOEmbedded
import SocketIOProtocol
import Testing

@testable import SocketIOServer

/// A polling session on one loop that upgrades to a WebSocket accepted on another: its broadcast subscription moves
/// from the old loop's broadcaster to the new one's, and whatever each loop had flushed when the `upgrade` packet
/// arrived, the client gets every event once, in order.
struct SessionUpgradeHandoverTests {
    /// Which loops flushed the events published during the probe before the client's `upgrade` packet arrived.
    enum FlushedBeforeUpgrade: String, CaseIterable, Sendable {
        case neither
        case oldLoopOnly
        case newLoopOnly
        case both
    }

    /// The broadcast events among `frames`, as text.
    static func events(_ frames: [String]) -> [String] {
        frames.filter { $0.hasPrefix("42/events,") }
    }

    @Test(arguments: FlushedBeforeUpgrade.allCases)
    func eventsAroundTheUpgradeAreDeliveredOnceInOrder(_ flushed: FlushedBeforeUpgrade) throws {
        try withEmbeddedHarness(loops: 2) { harness in
            let (oldLoop, newLoop) = (harness.group.loops[0], harness.group.loops[1])
            let broadcaster = Broadcaster(group: harness.group, flushSpacing: .zero)
            let server = harness.socketIOServer(broadcaster: broadcaster)
            let engine = server.engine
            var received: [String] = []

            // A polling session on the old loop joins /events.
            let polling = try harness.channel(on: oldLoop)
            let session = try #require(engine.openSession(on: oldLoop, webSocket: nil))
            #expect(try pollAnsweredAtOnce(session, on: polling).map(\.text).first?.hasPrefix("0{\"sid\":") == true)
            guard case .ok = session.post(body: ByteBuffer(string: "40/events,")) else {
                throw TestFailure("the CONNECT was refused")
            }
            harness.group.runAll()
            #expect(broadcaster.subscribers == 1)
            publish(1...2, to: broadcaster)
            harness.group.runAll()
            let polled = try pollAnsweredAtOnce(session, on: polling).map(\.text)
            #expect(polled.first?.hasPrefix("40/events,{\"sid\":") == true)
            received += Self.events(polled)

            // The client probes a WebSocket on the new loop.
            let webSocket = try harness.connect(to: [engine], on: newLoop)
            try webSocket.sendUpgrade("/socket.io/?EIO=4&transport=websocket&sid=\(session.id)")
            #expect(try webSocket.readHTTPResponse()?.status == 101)
            try webSocket.sendText("2probe")
            #expect(try webSocket.readFrames() == [.text("3probe")])

            // Events published during the probe, flushed by some loops before the upgrade packet arrives.
            publish(3...4, to: broadcaster)
            switch flushed {
            case .neither:
                break
            case .oldLoopOnly:
                oldLoop.run()
            case .newLoopOnly:
                newLoop.run()
            case .both:
                oldLoop.run()
                newLoop.run()
            }
            try webSocket.sendText("5")
            #expect(session.transport == .websocket)
            harness.group.runAll()
            publish(5...6, to: broadcaster)
            harness.group.runAll()
            received += Self.events(try webSocket.readFrames().map(\.text))

            #expect(received == (1...6).map(eventText))
            // The WebSocket is the only subscriber left: the polling subscription ended on the old loop.
            #expect(broadcaster.subscribers == 1)
        }
    }
}
