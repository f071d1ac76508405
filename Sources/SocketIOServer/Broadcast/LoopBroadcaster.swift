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
///
/// Within a flush, at most `subscribersPerTurn` connections are written to in one turn of the loop; the rest wait for
/// the next turn, after the loop has polled its sockets. A flush to 500 connections takes milliseconds, and an HTTP
/// request (REST, health, metrics) or a pong arriving meanwhile would wait for all of it: sliced, it waits for one
/// slice. A flush stays the loop's only flush until its last slice, so each connection still gets its events once
/// and in order; a subscriber that joins during a flush catches up from the ring.
public final class LoopBroadcaster: Sendable {
    /// The default least time between two flushes of a loop.
    public static let defaultFlushSpacing = TimeAmount.microseconds(200)
    /// The default number of connections written to in one turn of the loop.
    public static let defaultSubscribersPerTurn = 128

    let eventLoop: any EventLoop
    private let maxBatchEvents: Int
    private let subscribersPerTurn: Int
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
        /// Cleared when it is unsubscribed or replaced: a flush in progress skips it.
        var isActive = true

        init(subscriber: any BroadcastSubscriber, nextSeq: Int64, traced: Bool) {
            self.subscriber = subscriber
            self.nextSeq = nextSeq
            self.traced = traced
        }
    }

    init(eventLoop: any EventLoop, maxBatchEvents: Int, flushSpacing: TimeAmount,
         subscribersPerTurn: Int = LoopBroadcaster.defaultSubscribersPerTurn, statistics: TransportStatistics) {
        precondition(subscribersPerTurn > 0, "subscribersPerTurn must be at least 1")
        self.eventLoop = eventLoop
        self.maxBatchEvents = maxBatchEvents
        self.subscribersPerTurn = subscribersPerTurn
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

    /// Delivers the pending events. The flush stays scheduled while it runs (over several turns of the loop when it
    /// has many subscribers), so that events published meanwhile do not queue a flush right behind it; it schedules
    /// the next one itself, `flushSpacing` after it ends.
    private func flush() {
        let events = self.pending.withLockedValue { pending in
            let events = pending.events
            pending.events.removeAll(keepingCapacity: true)
            return events
        }
        guard let lastSeq = events.last?.seq else {
            self.flushEnded()
            return
        }
        var batches: [BroadcastBatch] = []
        var start = events.startIndex
        while start < events.endIndex {
            let end = min(start + self.maxBatchEvents, events.endIndex)
            batches.append(BroadcastBatch(events: events[start..<end]))
            start = end
        }
        // From now on a subscriber that joins catches up from the ring with these events; those subscribed now
        // get them from this flush.
        self.confined.value.flushedUpTo = lastSeq
        self.deliver(batches, to: Array(self.confined.value.subscribers.values), from: 0)
    }

    /// Delivers `batches` to the subscriptions from `first` on, `subscribersPerTurn` of them in this turn of the loop.
    private func deliver(_ batches: [BroadcastBatch], to subscriptions: [Subscription], from first: Int) {
        let end = min(first + self.subscribersPerTurn, subscriptions.count)
        var delivered = 0
        for subscription in subscriptions[first..<end] {
            for batch in batches {
                delivered += self.deliver(batch, to: subscription)
            }
        }
        self.statistics.delivered(delivered)
        if end < subscriptions.count {
            // After the loop has polled its sockets: an HTTP request or a pong waits for one slice at most.
            self.eventLoop.scheduleTask(in: .zero) { self.deliver(batches, to: subscriptions, from: end) }
        } else {
            self.flushEnded()
        }
    }

    /// Sends `batch` to one subscription, from its next event on.
    /// - Returns: how many events it got.
    private func deliver(_ batch: BroadcastBatch, to subscription: Subscription) -> Int {
        // A delivery may close a connection, which unsubscribes it.
        guard subscription.isActive, let first = batch.events.first, let lastSeq = batch.events.last?.seq,
            subscription.nextSeq <= lastSeq
        else { return 0 }
        let index = subscription.nextSeq <= first.seq
            ? batch.events.startIndex : batch.events.startIndex + Int(subscription.nextSeq - first.seq)
        subscription.nextSeq = lastSeq + 1
        subscription.subscriber.deliver(batch, from: index, traced: subscription.traced)
        return batch.events.endIndex - index
    }

    /// Schedules the next flush if events came in meanwhile.
    private func flushEnded() {
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
            previous.isActive = false
            broadcaster.subscriberRemoved(traced: previous.traced)
        }
        broadcaster.subscriberAdded(traced: traced)
        return true
    }

    /// Removes a subscriber. Must be called on `eventLoop`.
    func unsubscribe(_ subscriber: any BroadcastSubscriber, broadcaster: Broadcaster) {
        self.eventLoop.preconditionInEventLoop()
        if let removed = self.confined.value.subscribers.removeValue(forKey: ObjectIdentifier(subscriber)) {
            removed.isActive = false
            broadcaster.subscriberRemoved(traced: removed.traced)
        }
    }
}
