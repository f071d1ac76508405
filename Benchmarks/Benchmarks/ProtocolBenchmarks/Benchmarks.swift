import Benchmark
import BenchmarkFixtures
import NIOCore
import SocketIOProtocol
import TablecastJSON

/// The number of events in one long-polling payload: a batch as the broadcaster coalesces it (32 to 64 events).
private let eventsPerPollingPayload = 32

/// The most events one broadcast write carries (`Broadcaster`'s `maxBatchEvents`), and the WebSocket subscribers of
/// one of the two event loops when 1,000 clients are connected.
private let eventsPerBroadcastBatch = 64
private let subscribersPerLoop = 500

let benchmarks: @Sendable () -> Void = {
    // One measured iteration is a thousand operations: a single codec call takes well under a microsecond, too
    // little to time alone. The tables show wall clock, throughput and allocations per operation.
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 10,
        scalingFactor: .kilo,
        maxDuration: .seconds(5),
        maxIterations: 10_000
    )

    let payload = OrderFixtures.orderPayload

    // The broadcast path's encoder: `42/events,["order:created",{...}]`, built once per emitted event.
    Benchmark("eventFrame") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(
                SocketIOPacket.eventFrame(
                    namespace: OrderFixtures.namespace,
                    name: OrderFixtures.eventName,
                    payload: payload
                )
            )
        }
    }

    // The data of an Engine.IO message as a client sends it: the Socket.IO packet without the leading `4`.
    // Decoding validates the JSON array and checks the event name.
    let eventPacket = ByteBuffer(
        string: #"2\#(OrderFixtures.namespace),["\#(OrderFixtures.eventName)",\#(OrderFixtures.orderJSON)]"#
    )
    Benchmark("decodeEventPacket") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try SocketIOPacket.decode(eventPacket))
        }
    }

    // What the emit endpoint and the recorder run over every incoming payload before keeping its bytes.
    Benchmark("jsonValidate") { benchmark in
        try payload.withUnsafeBytes { bytes in
            for _ in benchmark.scaledIterations {
                blackHole(try JSONScanner.validate(bytes))
            }
        }
    }

    // One long-polling GET response: 32 event frames joined by the record separator, into a buffer sized as the
    // server sizes it. One iteration is one response, of 32 events.
    let frames = (0..<eventsPerPollingPayload).map { _ in
        SocketIOPacket.eventFrame(namespace: OrderFixtures.namespace, name: OrderFixtures.eventName, payload: payload)
    }
    let pollingBodySize = frames.reduce(0) { $0 + $1.bytes.readableBytes + 1 }
    Benchmark("encodePollingPayload") { benchmark in
        for _ in benchmark.scaledIterations {
            var body = ByteBuffer()
            body.reserveCapacity(pollingBodySize)
            EngineIOFrame.encodePayload(frames, into: &body)
            blackHole(body)
        }
    }

    // One long-polling POST body of 32 packets, split and decoded into Engine.IO packets (the Socket.IO decoding
    // of each packet is `decodeEventPacket`). One iteration is one body, of 32 packets.
    var pollingBody = ByteBuffer()
    EngineIOFrame.encodePayload(frames, into: &pollingBody)
    let pollingBodyToDecode = pollingBody
    Benchmark("decodePollingPayload") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try EngineIOPacket.decodePayload(pollingBodyToDecode))
        }
    }

    // The broadcast path, once per batch and loop: 64 event frames as consecutive WebSocket frames in one buffer,
    // then the slice each of 500 subscribers of the loop gets (each from its own first event: here a subscriber
    // that joined mid-batch every 8th time). The write itself is a syscall per subscriber, measured end to end by
    // `tablecast load`. One iteration is one batch.
    let broadcastFrames = (0..<eventsPerBroadcastBatch).map { _ in
        SocketIOPacket.eventFrame(namespace: OrderFixtures.namespace, name: OrderFixtures.eventName, payload: payload)
    }
    Benchmark("broadcastBatch") { benchmark in
        for _ in benchmark.scaledIterations {
            let batch = WebSocketFrameBatch(broadcastFrames)
            for subscriber in 0..<subscribersPerLoop {
                blackHole(batch.bytes(from: subscriber % 8 == 7 ? subscriber % eventsPerBroadcastBatch : 0))
            }
        }
    }
}
