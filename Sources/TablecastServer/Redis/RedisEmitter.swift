import Logging
import NIOCore
import Redis
import ServiceLifecycle
import SocketIOProtocol
import SocketIORedis
import Synchronization
import Threading

/// `--redis-emit redis://…`: publishes every event this server sends its clients into a Socket.IO cluster that uses
/// the classic Redis adapter (`@socket.io/redis-adapter`), exactly as the official emitter (`@socket.io/redis-emitter`)
/// does, so the cluster's Node servers deliver it to their own clients:
/// `PUBLISH socket.io#/events# <msgpack ["emitter", {type: 2, data: [name, payload], nsp}, {rooms, flags, except}]>`.
///
/// An ``EmissionOutput``: the pipeline hands it each delivery in `seq` order; it queues the frame and returns. Its
/// thread converts and publishes in batches (one pipelined write, then the replies). When Redis is unreachable the
/// events wait in the queue, in order, and are published once the link is back (a broken batch is published again:
/// at least once). Past ``maxBacklog`` waiting events, new ones are dropped and counted — pub/sub is not durable and
/// the emitter must never hold the server back — and the drops are logged, in `/metrics` and in health.
public final class RedisEmitter: EmissionOutput, Service {
    public struct Statistics: Sendable, Equatable {
        public var published = 0
        /// Dropped because the backlog was full.
        public var dropped = 0
        /// Frames that are not an EVENT (a fault's malformed packet): the emitter has no form for them.
        public var skipped = 0
        /// Waiting to be published.
        public var backlog = 0
        public var link = RedisLink.Status()
    }

    private struct Shared: Sendable {
        var queue: [EngineIOFrame] = []
        var head = 0
        var stopping = false
        var finished = false
        /// Dropping since the last batch published: the warning is logged once per episode.
        var dropping = false
        var statistics = Statistics()

        var waiting: Int { self.queue.count - self.head }
    }

    public let channel: String
    public let namespace: String
    public let maxBacklog: Int
    /// Events published per pipelined write.
    static let batchSize = 256
    private let link: RedisLink
    private let shared = ConditionLock(Shared(), conditionCount: 2)
    private let logger: Logger

    private static let work = ConditionLock<Shared>.Condition(0)
    private static let done = ConditionLock<Shared>.Condition(1)

    /// Starts the emitter's thread; it connects at once and keeps reconnecting while Redis is away.
    public init(endpoint: RedisEndpoint, key: String = "socket.io", namespace: String = "/events",
                maxBacklog: Int = 100_000, logger: Logger)
    {
        self.channel = ClassicAdapter.channel(key: key, namespace: namespace)
        self.namespace = namespace
        self.maxBacklog = maxBacklog
        self.link = RedisLink(endpoint: endpoint, name: "tablecast-emit")
        self.logger = logger
        let code = DetachedThread.start { [self] in
            self.runThread()
        }
        precondition(code == 0, "cannot start the Redis emitter's thread: error \(code)")
    }

    public var endpoint: RedisEndpoint { self.link.endpoint }

    public var statistics: Statistics {
        var statistics = self.shared.withLock { shared in
            var statistics = shared.statistics
            statistics.backlog = shared.waiting
            return statistics
        }
        statistics.link = self.link.status
        return statistics
    }

    public func deliver(_ deliveries: [EventDelivery]) {
        let firstDrop = self.shared.withLock { shared -> Bool in
            guard !shared.stopping else { return false }
            let room = max(0, self.maxBacklog - shared.waiting)
            let accepted = min(room, deliveries.count)
            for delivery in deliveries.prefix(accepted) {
                shared.queue.append(delivery.frame)
            }
            guard accepted < deliveries.count else { return false }
            shared.statistics.dropped += deliveries.count - accepted
            defer { shared.dropping = true }
            return !shared.dropping
        }
        self.shared.signal(Self.work)
        if firstDrop {
            self.logger.warning("Redis emit backlog full: dropping events until Redis takes them again (tablecast_redis_emit_dropped_total counts them)",
                                metadata: ["backlog": "\(self.maxBacklog)", "redis": "\(self.link.endpoint)"])
        }
    }

    /// Waits for graceful shutdown, then publishes what is queued (for up to `drainTimeout`) and stops.
    public func run() async throws {
        try? await gracefulShutdown()
        await self.stop()
    }

    /// Stops accepting events, publishes the backlog if Redis is there (up to `drainTimeout`), and ends the thread.
    public func stop(drainTimeout: Duration = .seconds(3)) async {
        self.shared.withLock { $0.stopping = true }
        self.shared.broadcast(Self.work)
        let deadline = ContinuousClock.now + drainTimeout
        while !self.shared.withLock({ $0.finished }) {
            if ContinuousClock.now >= deadline {
                self.link.stop()
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        let left = self.shared.withLock { $0.waiting }
        if left > 0 {
            self.logger.error("Redis emit stopped with events never published",
                              metadata: ["events": "\(left)", "redis": "\(self.link.endpoint)"])
        }
    }

    // MARK: - The thread

    private func runThread() {
        defer {
            self.shared.withLock { $0.finished = true }
            self.shared.broadcast(Self.done)
        }
        do {
            try self.link.run(onEvent: self.report) { connection throws(RedisError) in
                try self.publishLoop(connection)
            }
        } catch {
            self.logger.error("Redis emit stopped: \(error)", metadata: ["redis": "\(self.link.endpoint)"])
        }
    }

    private func report(_ event: RedisLink.Event) {
        switch event {
        case .connected(let first):
            let waiting = self.shared.withLock { $0.waiting }
            self.logger.notice(first ? "publishing to Redis" : "Redis connection back",
                               metadata: ["redis": "\(self.link.endpoint)", "channel": "\(self.channel)",
                                          "waiting": "\(waiting)"])
        case .lost(let error):
            self.logger.warning("Redis connection lost; events wait in order until it is back",
                                metadata: ["redis": "\(self.link.endpoint)", "error": "\(error)"])
        case .attemptFailed(let error, _):
            if self.link.status.failedAttempts == 1 {
                self.logger.warning("cannot reach Redis; retrying with backoff",
                                    metadata: ["redis": "\(self.link.endpoint)", "error": "\(error)"])
            }
        }
    }

    /// Publishes batches until stopped with nothing left; throws when the connection breaks.
    private func publishLoop(_ connection: RedisConnection) throws(RedisError) {
        let channel = Array(self.channel.utf8)
        while true {
            let batch = self.shared.withLock(waitingOn: Self.work, until: { $0.waiting > 0 || $0.stopping }) {
                shared -> [EngineIOFrame] in
                Array(shared.queue[shared.head..<min(shared.queue.count, shared.head + Self.batchSize)])
            }
            if batch.isEmpty {
                return  // stopping, and everything is published
            }
            var commands: [[[UInt8]]] = []
            commands.reserveCapacity(batch.count)
            var skipped = 0
            for frame in batch {
                if let message = self.message(for: frame) {
                    commands.append([Array("PUBLISH".utf8), channel, message])
                } else {
                    skipped += 1
                }
            }
            let replies = try connection.pipeline(commands)
            for reply in replies {
                if case .error(let message) = reply {
                    throw .reply(command: "PUBLISH", message: message)
                }
            }
            self.shared.withLock { shared in
                shared.head += batch.count
                shared.statistics.published += commands.count
                shared.statistics.skipped += skipped
                shared.dropping = false
                if shared.head > 4096, shared.head * 2 > shared.queue.count {
                    shared.queue.removeFirst(shared.head)
                    shared.head = 0
                }
            }
        }
    }

    /// The emitter's message for an event frame (`42/events,[…]`); `nil` for anything else.
    private func message(for frame: EngineIOFrame) -> [UInt8]? {
        guard !frame.isBinary, frame.bytes.readableBytes > 1 else { return nil }
        let packetBytes = frame.bytes.getSlice(at: frame.bytes.readerIndex + 1, length: frame.bytes.readableBytes - 1)!
        guard let packet = try? SocketIOPacket.decode(packetBytes), packet.type == .event,
              let payload = packet.payload
        else { return nil }
        return try? ClassicAdapter.emitterMessage(namespace: packet.namespace,
                                                  dataJSON: Array(payload.readableBytesView))
    }
}
