import Simulator
import SocketIOProtocol
import SocketIOServer
import Synchronization

/// This server's own clients: the events go to the ``Broadcaster`` (one coalesced buffer per event loop, one write
/// per connection), and a disconnect fault cuts sessions of the Engine.IO server.
///
/// On a node of a cluster (`serve --redis`), the clients get what the node reads from the Redis stream, in stream
/// order (``StreamReader``): the delivery then takes only streamed events (``EventDelivery/fromStream``) and the
/// reader's own ones (``deliverOwn(_:emittedAtNanos:)``), and numbers them for the broadcaster with a counter of its
/// own, so that the sequence its clients see rises by one whatever the mix.
public final class LocalDelivery: EmissionOutput {
    let broadcaster: Broadcaster
    let engine: EngineServer?
    /// A cluster node's delivery: stream order, its own numbering.
    let fromStreamOnly: Bool
    private let streamSeq = Mutex<Int64>(0)

    public init(broadcaster: Broadcaster, engine: EngineServer?, fromStreamOnly: Bool = false) {
        self.broadcaster = broadcaster
        self.engine = engine
        self.fromStreamOnly = fromStreamOnly
    }

    public func deliver(_ deliveries: [EventDelivery]) {
        guard self.fromStreamOnly else {
            self.publish(deliveries)
            return
        }
        let streamed = deliveries.filter(\.fromStream)
        guard !streamed.isEmpty else { return }
        self.publishRenumbered(streamed)
    }

    /// An owner's own event, read back from the stream: already numbered and journaled when it was emitted.
    public func deliverOwn(_ frame: EngineIOFrame, emittedAtNanos: Int64) {
        self.publishRenumbered([EventDelivery(seq: 0, frame: frame, emittedAtNanos: emittedAtNanos, fromStream: true)])
    }

    /// Numbers and publishes under one lock, so that two threads (the stream reader, and the journal's commit
    /// observer releasing `committed` events) never hand the broadcaster a later number first.
    private func publishRenumbered(_ deliveries: [EventDelivery]) {
        self.streamSeq.withLock { seq in
            let numbered = deliveries.map { delivery in
                seq += 1
                var numbered = delivery
                numbered.seq = seq
                return numbered
            }
            self.publish(numbered)
        }
    }

    private func publish(_ deliveries: [EventDelivery]) {
        // Only when a load client asked for traces: the same frame with `{"seq":N,"emittedAt":T}` appended.
        let traced = self.broadcaster.hasTracedSubscribers
        for delivery in deliveries {
            self.broadcaster.publish(
                seq: delivery.seq,
                frame: delivery.frame,
                emittedAtNanos: delivery.emittedAtNanos,
                tracedFrame: traced
                    ? SocketIOPacket.tracedEventFrame(delivery.frame, seq: delivery.seq,
                                                      emittedAtNanos: delivery.emittedAtNanos)
                    : nil
            )
        }
    }

    public func disconnect(clients: Fault.ClientCount, mode: Fault.DisconnectMode) -> Int {
        guard let engine = self.engine else { return 0 }
        return engine.forceDisconnect(count: clients.resolve(connected: self.broadcaster.subscribers),
                                      mode: mode == .transport ? .transport : .namespace)
    }
}
