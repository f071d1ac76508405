import NIOConcurrencyHelpers
import NIOCore
import SocketIOProtocol

/// Something that receives broadcast batches on its event loop: a WebSocket connection or a polling session.
protocol BroadcastSubscriber: AnyObject {
    /// Delivers `batch.events[index...]`, traced (each event with its trace argument) when the subscriber asked for
    /// it. Called on the loop the subscriber registered with.
    func deliver(_ batch: BroadcastBatch, from index: Int, traced: Bool)
}

/// The events one flush hands to the subscribers of one loop, with their WebSocket framing built once.
final class BroadcastBatch {
    let events: ArraySlice<BroadcastEvent>

    init(events: ArraySlice<BroadcastEvent>) {
        self.events = events
    }

    /// All events as consecutive WebSocket frames in one buffer.
    lazy var webSocketFrames = WebSocketFrameBatch(self.events.map { $0.frame(traced: false) })
    /// The same with each event's trace argument, built only when a traced subscriber asks.
    lazy var tracedWebSocketFrames = WebSocketFrameBatch(self.events.map { $0.frame(traced: true) })

    /// The frames from `index` on, as one buffer sharing the batch's storage.
    func webSocketBytes(from index: Int, traced: Bool) -> ByteBuffer {
        let position = index - self.events.startIndex
        return traced ? self.tracedWebSocketFrames.bytes(from: position) : self.webSocketFrames.bytes(from: position)
    }
}

/// The broadcast state of one event loop: the events published since its last flush, and its subscribers.
///
/// A flush is a task on the loop. NIO runs a loop's tasks until none is left before it polls its sockets again, so a
/// flush that was simply `execute`d whenever an event arrived during the previous one would, at a high event rate,
/// keep the loop in its task queue for good: no pong read, no HTTP request answered, no socket found writable again,
/// until the clients time out or pass the backlog bound. So a flush that would start less than `flushSpacing` after
/// the previous one ended is scheduled for then instead: the loop polls its sockets in between. An event that finds
/// the loop idle for longer leaves at once, so at low rates nothing waits.
public final class LoopBroadcaster: Sendable {
    /// The default least time between two flushes of a loop.
    public static let defaultFlushSpacing = TimeAmount.microseconds(200)

    let eventLoop: any EventLoop
    private let maxBatchEvents: Int
    private let flushSpacingNanos: UInt64
    private let statistics: TransportStatistics
    private let pending = NIOLockedValueBox(Pending())
    private let confined: NIOLoopBoundBox<Confined>

    private struct Pending {
        var events: [BroadcastEvent] = []
        var flushScheduled = false
        /// When the last flush ended, in `NIODeadline` uptime nanoseconds.
        var lastFlushEnded: UInt64 = 0
    }

    /// State touched only on `eventLoop`.
    private struct Confined {
        var subscribers: [ObjectIdentifier: Subscription] = [:]
        var flushedUpTo: Int64 = 0
    }

    /// A class, so that advancing `nextSeq` during a delivery never writes to (and so never copies) the dictionary
    /// the delivery iterates over. Loop-confined, like the dictionary holding it.
    private final class Subscription {
        let subscriber: any BroadcastSubscriber
        var nextSeq: Int64
        /// Whether it receives each event with its trace argument (a load client asked for it).
        let traced: Bool

        init(subscriber: any BroadcastSubscriber, nextSeq: Int64, traced: Bool) {
            self.subscriber = subscriber
            self.nextSeq = nextSeq
            self.traced = traced
        }
    }

    init(eventLoop: any EventLoop, maxBatchEvents: Int, flushSpacing: TimeAmount, statistics: TransportStatistics) {
        self.eventLoop = eventLoop
        self.maxBatchEvents = maxBatchEvents
        self.flushSpacingNanos = UInt64(max(0, flushSpacing.nanoseconds))
        self.statistics = statistics
        self.confined = NIOLoopBoundBox.makeBoxSendingValue(Confined(), eventLoop: eventLoop)
    }

    /// Adds an event to the next flush, scheduling one if none is pending: at once, or `flushSpacing` after the
    /// previous flush ended. Thread-safe.
    func enqueue(_ event: BroadcastEvent) {
        let wait = self.pending.withLockedValue { pending -> UInt64? in
            pending.events.append(event)
            if pending.flushScheduled { return nil }
            pending.flushScheduled = true
            let due = pending.lastFlushEnded + self.flushSpacingNanos
            let now = NIODeadline.now().uptimeNanoseconds
            return due > now ? due - now : 0
        }
        switch wait {
        case nil:
            break
        case 0:
            self.eventLoop.execute { self.flush() }
        case let nanos?:
            self.eventLoop.scheduleTask(in: .nanoseconds(Int64(nanos))) { self.flush() }
        }
    }

    /// Delivers the pending events. The flush stays scheduled while it runs, so that events published meanwhile do
    /// not queue a flush right behind it; it schedules the next one itself, `flushSpacing` after it ends.
    private func flush() {
        let events = self.pending.withLockedValue { pending in
            let events = pending.events
            pending.events.removeAll(keepingCapacity: true)
            return events
        }
        if let lastSeq = events.last?.seq {
            var start = events.startIndex
            while start < events.endIndex {
                let end = min(start + self.maxBatchEvents, events.endIndex)
                self.deliver(BroadcastBatch(events: events[start..<end]))
                start = end
            }
            self.confined.value.flushedUpTo = lastSeq
        }
        let ended = NIODeadline.now().uptimeNanoseconds
        let more = self.pending.withLockedValue { pending in
            pending.lastFlushEnded = ended
            pending.flushScheduled = !pending.events.isEmpty
            return pending.flushScheduled
        }
        if more {
            self.eventLoop.scheduleTask(in: .nanoseconds(Int64(self.flushSpacingNanos))) { self.flush() }
        }
    }

    private func deliver(_ batch: BroadcastBatch) {
        guard let lastSeq = batch.events.last?.seq else { return }
        // A delivery may close a connection, which unsubscribes it: iterate over the dictionary as it was (a cheap
        // reference unless someone unsubscribes meanwhile).
        let subscriptions = self.confined.value.subscribers
        var delivered = 0
        defer { self.statistics.delivered(delivered) }
        for subscription in subscriptions.values where subscription.nextSeq <= lastSeq {
            let index: Int
            if let first = batch.events.first, subscription.nextSeq <= first.seq {
                index = batch.events.startIndex
            } else {
                index = batch.events.startIndex + Int(subscription.nextSeq - batch.events.first!.seq)
            }
            subscription.nextSeq = lastSeq + 1
            delivered += batch.events.endIndex - index
            subscription.subscriber.deliver(batch, from: index, traced: subscription.traced)
        }
    }

    /// Subscribes on this loop: the subscriber receives every event after `after`. Events this loop has already
    /// flushed past that point come from the broadcaster's ring, at once. Must be called on `eventLoop`.
    /// - Parameters:
    ///   - after: the last sequence number the subscriber already has (or had no interest in).
    /// - Returns: `false` if events after `after` are no longer available (the caller closes the session).
    func subscribe(_ subscriber: any BroadcastSubscriber, after: Int64, traced: Bool, broadcaster: Broadcaster)
        -> Bool
    {
        self.eventLoop.preconditionInEventLoop()
        let key = ObjectIdentifier(subscriber)
        let flushedUpTo = self.confined.value.flushedUpTo
        var nextSeq = after + 1
        if after < flushedUpTo {
            guard let missed = broadcaster.recentEvents(in: (after + 1)...flushedUpTo) else { return false }
            subscriber.deliver(BroadcastBatch(events: missed[...]), from: 0, traced: traced)
            nextSeq = flushedUpTo + 1
        }
        let subscription = Subscription(subscriber: subscriber, nextSeq: nextSeq, traced: traced)
        if let previous = self.confined.value.subscribers.updateValue(subscription, forKey: key) {
            broadcaster.subscriberRemoved(traced: previous.traced)
        }
        broadcaster.subscriberAdded(traced: traced)
        return true
    }

    /// Removes a subscriber. Must be called on `eventLoop`.
    func unsubscribe(_ subscriber: any BroadcastSubscriber, broadcaster: Broadcaster) {
        self.eventLoop.preconditionInEventLoop()
        if let removed = self.confined.value.subscribers.removeValue(forKey: ObjectIdentifier(subscriber)) {
            broadcaster.subscriberRemoved(traced: removed.traced)
        }
    }
}
