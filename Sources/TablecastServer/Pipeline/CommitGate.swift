import NIOCore

/// The `committed` durability rule: an event waits here, after its number and its journal append, until the journal
/// reports its transaction committed; then it may reach the clients.
struct CommitGate: Sendable {
    private var waiting = CircularBuffer<EventDelivery>()

    /// How many events wait for their commit.
    var count: Int { self.waiting.count }

    mutating func wait(_ delivery: EventDelivery) {
        self.waiting.append(delivery)
    }

    /// The events committed through `seq`, in order; they leave the gate.
    mutating func release(through seq: Int64) -> [EventDelivery] {
        var released: [EventDelivery] = []
        while let first = self.waiting.first, first.seq <= seq {
            released.append(self.waiting.removeFirst())
        }
        return released
    }
}
