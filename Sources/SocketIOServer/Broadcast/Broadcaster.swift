import NIOConcurrencyHelpers
import NIOCore
import SocketIOProtocol
import Synchronization

/// Fans encoded events out to every subscribed session, one batch per event loop.
///
/// Events arrive already encoded (one ``EngineIOFrame`` each) with increasing sequence numbers. Each event loop has
/// a ``LoopBroadcaster`` that collects what was published since its last flush; the flush runs on the loop, turns the
/// batch into one coalesced buffer of WebSocket frames, and gives every subscriber on that loop one write and one
/// flush. A batch is whatever accumulated while the loop was busy: at low rates every event leaves at once, at high
/// rates the batching is what keeps the cost per delivery low.
///
/// A small ring of recent events lets a session that moves between loops (the polling-to-WebSocket upgrade) pick up
/// exactly where it left off.
public final class Broadcaster: Sendable {
    /// The events kept for sessions that change loops; far more than a loop switch can ever miss.
    public static let ringCapacity = 16_384
    /// The most bytes of frames the ring keeps (their buffers' storage): beyond it the oldest events go first, so
    /// that large events cannot make the ring hold `ringCapacity` big buffers (16,384 events of 10 KB held 256 MiB,
    /// a 16 KiB buffer each). Twice a client's default backlog bound (8 MiB): a buffer's storage is less than twice
    /// its bytes, so the ring still keeps more than a session may have queued, and a loop switch that missed more
    /// would close the session as a slow consumer anyway. A switch misses a batch or two.
    public static let ringByteBudget = 16 << 20

    let loops: [LoopBroadcaster]
    /// What the transports did: deliveries, bytes, slow consumers.
    public let statistics: TransportStatistics
    private let ring: NIOLockedValueBox<EventRing>
    private let subscriberCount = NIOLockedValueBox(0)
    /// Read on every publish, so an atomic rather than a lock.
    private let tracedCount = Atomic<Int>(0)

    /// - Parameters:
    ///   - group: the event loops that serve connections; every one gets its own loop broadcaster.
    ///   - maxBatchEvents: the most events one write to a connection carries.
    ///   - flushSpacing: the least time between the end of one flush of a loop and the start of the next, so that
    ///     the loop reads its sockets in between (see ``LoopBroadcaster``). An event that finds its loop idle for
    ///     longer leaves at once.
    public init(group: any EventLoopGroup, maxBatchEvents: Int = 64,
                flushSpacing: TimeAmount = LoopBroadcaster.defaultFlushSpacing) {
        let statistics = TransportStatistics()
        self.statistics = statistics
        self.loops = group.makeIterator().map {
            LoopBroadcaster(eventLoop: $0, maxBatchEvents: maxBatchEvents, flushSpacing: flushSpacing,
                            statistics: statistics)
        }
        self.ring = NIOLockedValueBox(EventRing(capacity: Self.ringCapacity, byteBudget: Self.ringByteBudget))
    }

    /// The number of sessions currently subscribed.
    public var subscribers: Int { self.subscriberCount.withLockedValue { $0 } }

    /// Whether any subscriber asked for traced events: only then does a publisher build the traced frames.
    public var hasTracedSubscribers: Bool { self.tracedCount.load(ordering: .relaxed) > 0 }

    /// The sequence number of the last event published, or 0.
    public var lastSeq: Int64 { self.ring.withLockedValue { $0.lastSeq } }

    /// Publishes one encoded event. Callers serialise calls and pass increasing `seq` values: delivery order is call
    /// order.
    /// - Parameters:
    ///   - emittedAtNanos: when the event was emitted (monotonic nanoseconds), the `emittedAt` of its trace.
    ///   - tracedFrame: the same event with its trace argument, for the subscribers that asked for it (built by the
    ///     caller when ``hasTracedSubscribers``). When it is `nil`, a traced subscriber that still gets the event
    ///     (one that joined while it was being published) has it built from `frame`, `seq` and `emittedAtNanos`.
    public func publish(seq: Int64, frame: EngineIOFrame, emittedAtNanos: Int64, tracedFrame: EngineIOFrame? = nil) {
        let event = BroadcastEvent(seq: seq, frame: frame, emittedAtNanos: emittedAtNanos, tracedFrame: tracedFrame)
        self.ring.withLockedValue { $0.append(event) }
        for loop in self.loops {
            loop.enqueue(event)
        }
    }

    /// Events with `seq` in `range`, from the ring; `nil` when some of them are no longer kept.
    func recentEvents(in range: ClosedRange<Int64>) -> [BroadcastEvent]? {
        self.ring.withLockedValue { $0.events(in: range) }
    }

    func loopBroadcaster(for eventLoop: any EventLoop) -> LoopBroadcaster {
        for loop in self.loops where loop.eventLoop === eventLoop {
            return loop
        }
        // An event loop outside the group (a test's own loop): fall back to the first one, correct but slower.
        return self.loops[0]
    }

    func subscriberAdded(traced: Bool) {
        self.subscriberCount.withLockedValue { $0 += 1 }
        if traced {
            self.tracedCount.add(1, ordering: .relaxed)
        }
    }

    func subscriberRemoved(traced: Bool) {
        self.subscriberCount.withLockedValue { $0 -= 1 }
        if traced {
            self.tracedCount.subtract(1, ordering: .relaxed)
        }
    }
}

/// One published event.
struct BroadcastEvent: Sendable {
    var seq: Int64
    var frame: EngineIOFrame
    var emittedAtNanos: Int64
    /// The frame with the trace argument, when any subscriber asked for it at publication.
    var tracedFrame: EngineIOFrame?

    /// The frame a subscriber gets. A traced subscriber always gets the trace: built here for an event published
    /// before anyone asked for traces (a subscriber joining while it was published, or catching up from the ring).
    func frame(traced: Bool) -> EngineIOFrame {
        guard traced else { return self.frame }
        return self.tracedFrame
            ?? SocketIOPacket.tracedEventFrame(self.frame, seq: self.seq, emittedAtNanos: self.emittedAtNanos)
    }
}

/// A ring of the most recent events, indexed by sequence number: at most `capacity` events, and no more frame bytes
/// than `byteBudget` beyond the latest event.
struct EventRing: Sendable {
    private var storage: [BroadcastEvent?]
    private let byteBudget: Int
    private(set) var lastSeq: Int64 = 0
    private var count = 0
    /// The storage bytes of the frames kept.
    private(set) var bytes = 0

    init(capacity: Int, byteBudget: Int = .max) {
        self.storage = Array(repeating: nil, count: capacity)
        self.byteBudget = byteBudget
    }

    mutating func append(_ event: BroadcastEvent) {
        let seq = event.seq
        if self.count > 0, seq != self.lastSeq + 1 {
            // A gap in the sequence: forget what was kept, so lookups never return a partial range.
            while self.count > 0 {
                self.dropOldest()
            }
        }
        if self.count == self.storage.count {
            self.dropOldest()
        }
        self.storage[self.slot(seq)] = event
        self.bytes += Self.bytes(of: event)
        self.lastSeq = seq
        self.count += 1
        while self.bytes > self.byteBudget, self.count > 1 {
            self.dropOldest()
        }
    }

    func events(in range: ClosedRange<Int64>) -> [BroadcastEvent]? {
        guard range.upperBound <= self.lastSeq, range.lowerBound > self.lastSeq - Int64(self.count) else {
            return nil
        }
        return range.map { self.storage[self.slot($0)]! }
    }

    /// Releases the oldest event kept.
    private mutating func dropOldest() {
        let slot = self.slot(self.lastSeq - Int64(self.count) + 1)
        if let event = self.storage[slot] {
            self.bytes -= Self.bytes(of: event)
        }
        self.storage[slot] = nil
        self.count -= 1
    }

    private func slot(_ seq: Int64) -> Int {
        Int(seq % Int64(self.storage.count))
    }

    private static func bytes(of event: BroadcastEvent) -> Int {
        event.frame.bytes.storageCapacity + (event.tracedFrame?.bytes.storageCapacity ?? 0)
    }
}
