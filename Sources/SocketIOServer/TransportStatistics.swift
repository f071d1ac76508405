import Synchronization

/// Running totals of what the transports did, for metrics: read at any time from any thread, updated with relaxed
/// atomic additions (one per write or per batch, never per byte).
public final class TransportStatistics: Sendable {
    let deliveryCount = Atomic<Int>(0)
    let bytesSentCount = Atomic<Int>(0)
    let slowConsumerCount = Atomic<Int>(0)

    public init() {}

    /// Broadcast events handed to subscribers (one per event per client).
    public var deliveries: Int { self.deliveryCount.load(ordering: .relaxed) }
    /// Bytes written to clients: WebSocket frames and long-polling response bodies.
    public var bytesSent: Int { self.bytesSentCount.load(ordering: .relaxed) }
    /// Clients disconnected because their unsent backlog passed the bound.
    public var slowConsumerDisconnects: Int { self.slowConsumerCount.load(ordering: .relaxed) }

    func delivered(_ count: Int) {
        self.deliveryCount.add(count, ordering: .relaxed)
    }

    func sent(bytes: Int) {
        self.bytesSentCount.add(bytes, ordering: .relaxed)
    }

    func slowConsumerDisconnected() {
        self.slowConsumerCount.add(1, ordering: .relaxed)
    }
}
