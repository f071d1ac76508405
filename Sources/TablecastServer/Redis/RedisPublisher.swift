import Logging
import NIOCore
import Redis
import ServiceLifecycle
import SocketIOProtocol
import SocketIORedis
import Synchronization
import TablecastJSON
import Threading

#if canImport(Glibc)
import Glibc
#endif

/// Publishes every event this server numbers into Redis, in one of the socket.io adapters' formats:
///
/// - ``Format/emitter``, `--redis-emit redis://…`: into a Socket.IO cluster that uses the classic Redis adapter
///   (`@socket.io/redis-adapter`), exactly as the official emitter (`@socket.io/redis-emitter`) does, so the cluster's
///   Node servers deliver it to their own clients: `PUBLISH socket.io#/events# <msgpack ["emitter", {type: 2,
///   data: [name, payload], nsp}, {rooms, flags, except}]>`. Past ``maxBacklog`` waiting events, new ones are dropped
///   and counted: pub/sub is not durable, and the emitter must never hold the server back.
/// - ``Format/stream``, the owner of a tablecast cluster (`serve --redis redis://…`): `XADD socket.io MAXLEN ~ N *
///   uid … nsp /events type 3 data {"packet":…,"opts":…}` as `@socket.io/redis-streams-adapter` writes it, plus two
///   fields its readers ignore: `tablecast-seq` (followers drop a republished entry by it) and
///   `tablecast-emitted-ns` (the load test's latency origin). Past ``maxBacklog`` waiting events the output is
///   ``behind``: the pipeline refuses new events (503, the runners wait) until Redis takes them; nothing is dropped.
///
/// An ``EmissionOutput``: the pipeline hands it each delivery in `seq` order; it queues the frame and returns. Its
/// thread converts and publishes in batches (one pipelined write, then the replies). When Redis is unreachable the
/// events wait in the queue, in order, and are published once the link is back (a broken batch is published again:
/// at least once). Drops and refusals are logged, in `/metrics` and in health. Events read from a cluster's stream
/// (``EventDelivery/fromStream``) are never published again.
public final class RedisPublisher: EmissionOutput, Service {
    public enum Format: Sendable, Equatable {
        /// The classic adapter's channel, `socket.io#/events#`.
        case emitter(channel: String)
        /// The Streams adapter's stream, trimmed to about `maxLen` entries, with this node's uid.
        case stream(name: String, maxLen: Int, uid: String)
    }

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
        var queue: [EventDelivery] = []
        var head = 0
        var stopping = false
        var finished = false
        /// The owner's URL, written next to the stream for followers to name (`<stream>:tablecast-owner`).
        var ownerURL: String?
        /// The entry id of this run's first event (seq 1): a follower that starts later reads the stream from there.
        var firstEntry: String?
        var ownerAnnounced = true
        /// Dropping since the last batch published: the warning is logged once per episode.
        var dropping = false
        var statistics = Statistics()

        var waiting: Int { self.queue.count - self.head }
    }

    public let format: Format
    public let namespace: String
    public let maxBacklog: Int
    /// Publishing waits until this holds: an owner's own reader must know where the stream stood first.
    private let ready: @Sendable () -> Bool
    /// Events published per pipelined write.
    static let batchSize = 256
    private let link: RedisLink
    private let shared = ConditionLock(Shared(), conditionCount: 2)
    private let logger: Logger

    private static let work = ConditionLock<Shared>.Condition(0)
    private static let done = ConditionLock<Shared>.Condition(1)

    /// Starts the publisher's thread; it connects at once and keeps reconnecting while Redis is away.
    public init(endpoint: RedisEndpoint, format: Format, namespace: String = "/events", maxBacklog: Int = 100_000,
                ready: @escaping @Sendable () -> Bool = { true }, logger: Logger)
    {
        self.format = format
        self.namespace = namespace
        self.maxBacklog = maxBacklog
        self.ready = ready
        switch format {
        case .emitter: self.link = RedisLink(endpoint: endpoint, name: "tablecast-emit")
        case .stream: self.link = RedisLink(endpoint: endpoint, name: "tablecast-publish")
        }
        self.logger = logger
        let code = DetachedThread.start { [self] in
            self.runThread()
        }
        precondition(code == 0, "cannot start the Redis emitter's thread: error \(code)")
    }

    public var endpoint: RedisEndpoint { self.link.endpoint }

    /// Where events go: the channel or the stream.
    public var destination: String {
        switch self.format {
        case .emitter(let channel): channel
        case .stream(let name, _, _): name
        }
    }

    private var isStream: Bool {
        if case .stream = self.format { true } else { false }
    }

    /// Writes the owner's URL next to the stream, for followers' errors (`<stream>:tablecast-owner`).
    public func announce(ownerURL: String) {
        self.shared.withLock { shared in
            shared.ownerURL = ownerURL
            shared.ownerAnnounced = false
        }
        self.shared.signal(Self.work)
    }

    public var behind: String? {
        guard self.isStream else { return nil }
        let waiting = self.shared.withLock { $0.waiting }
        guard waiting >= self.maxBacklog else { return nil }
        return "Redis at \(self.link.endpoint) is out of reach: \(waiting) events wait to be published to stream "
            + "\(self.destination) (the most --redis-backlog allows); new events are refused until Redis takes them"
    }

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
        let isStream = self.isStream
        let firstDrop = self.shared.withLock { shared -> Bool in
            guard !shared.stopping else { return false }
            // A stream never drops: the pipeline refuses new events while this output is behind, and what it had
            // admitted already waits here.
            let room = isStream ? deliveries.count : max(0, self.maxBacklog - shared.waiting)
            var accepted = 0
            for delivery in deliveries where !delivery.fromStream {
                guard accepted < room else { break }
                shared.queue.append(delivery)
                accepted += 1
            }
            let dropped = deliveries.reduce(0) { $0 + ($1.fromStream ? 0 : 1) } - accepted
            guard dropped > 0 else { return false }
            shared.statistics.dropped += dropped
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
            self.logger.error("Redis publishing stopped with events never published",
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
            self.logger.error("Redis publishing stopped: \(error)", metadata: ["redis": "\(self.link.endpoint)"])
        }
    }

    private func report(_ event: RedisLink.Event) {
        switch event {
        case .connected(let first):
            let waiting = self.shared.withLock { $0.waiting }
            self.logger.notice(first ? "publishing to Redis" : "Redis connection back",
                               metadata: ["redis": "\(self.link.endpoint)", "to": "\(self.destination)",
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
        while !self.ready() {
            if self.shared.withLock({ $0.stopping }) { return }
            var pause = timespec(tv_sec: 0, tv_nsec: 10_000_000)
            nanosleep(&pause, nil)
        }
        while true {
            let (batch, announce) = self.shared.withLock(
                waitingOn: Self.work,
                until: { $0.waiting > 0 || $0.stopping || !$0.ownerAnnounced }
            ) { shared -> ([EventDelivery], String??) in
                let announce: String?? = shared.ownerAnnounced ? nil : .some(shared.ownerURL)
                shared.ownerAnnounced = true
                return (Array(shared.queue[shared.head..<min(shared.queue.count, shared.head + Self.batchSize)]),
                        announce)
            }
            if let announce, case .stream(let name, _, let uid) = self.format {
                try self.announce(announce, uid: uid, stream: name, on: connection)
            }
            if batch.isEmpty {
                if self.shared.withLock({ $0.stopping && $0.waiting == 0 }) {
                    return  // stopping, and everything is published
                }
                continue
            }
            var commands: [[[UInt8]]] = []
            commands.reserveCapacity(batch.count)
            var skipped = 0
            for delivery in batch {
                if let command = self.command(for: delivery) {
                    commands.append(command)
                } else {
                    skipped += 1
                }
            }
            let replies = try connection.pipeline(commands)
            for reply in replies {
                if case .error(let message) = reply {
                    throw .reply(command: self.isStream ? "XADD" : "PUBLISH", message: message)
                }
            }
            if self.isStream, batch.first?.seq == 1, skipped == 0, let id = replies.first?.text {
                self.shared.withLock { shared in
                    shared.firstEntry = id
                    shared.ownerAnnounced = false
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

    private static func base64(_ bytes: [UInt8]) -> [UInt8] {
        var buffer = ByteBuffer()
        Base64.encode(bytes, into: &buffer)
        return Array(buffer.readableBytesView)
    }

    /// `SET <stream>:tablecast-owner {"url":…,"uid":…,"firstEntry":…}`: who owns the stream, for followers.
    private func announce(_ url: String?, uid: String, stream: String, on connection: RedisConnection)
        throws(RedisError)
    {
        let firstEntry = self.shared.withLock { $0.firstEntry }
        var value = JSONWriter()
        value.beginObject()
        value.key("url"); value.value(url)
        value.key("uid"); value.value(uid)
        value.key("firstEntry"); value.value(firstEntry)
        value.endObject()
        let reply = try connection.command(["SET", "\(stream):tablecast-owner", value.text])
        if case .error(let message) = reply {
            throw .reply(command: "SET", message: message)
        }
    }

    /// The Redis command that publishes a delivery; `nil` for a frame that is not an EVENT (a fault's malformed
    /// packet), which neither format can carry.
    private func command(for delivery: EventDelivery) -> [[UInt8]]? {
        let frame = delivery.frame
        guard !frame.isBinary, frame.bytes.readableBytes > 1 else { return nil }
        let packetBytes = frame.bytes.getSlice(at: frame.bytes.readerIndex + 1, length: frame.bytes.readableBytes - 1)!
        guard let packet = try? SocketIOPacket.decode(packetBytes), packet.type == .event,
              let payload = packet.payload
        else { return nil }
        let data = Array(payload.readableBytesView)
        switch self.format {
        case .emitter(let channel):
            guard let message = try? ClassicAdapter.emitterMessage(namespace: packet.namespace, dataJSON: data) else {
                return nil
            }
            return [Array("PUBLISH".utf8), Array(channel.utf8), message]
        case .stream(let name, let maxLen, let uid):
            return [Array("XADD".utf8), Array(name.utf8), Array("MAXLEN".utf8), Array("~".utf8),
                    Array(String(maxLen).utf8), Array("*".utf8)]
                + StreamsAdapter.broadcastFields(uid: uid, namespace: packet.namespace, dataJSON: data)
                + [Array(StreamsAdapter.tablecastSeqField.utf8), Array(String(delivery.seq).utf8),
                   Array(StreamsAdapter.tablecastEmittedField.utf8), Array(String(delivery.emittedAtNanos).utf8)]
                + (delivery.detail.map { [Array(StreamsAdapter.tablecastDetailField.utf8), Self.base64($0)] } ?? [])
                + (delivery.fault.map { [Array(StreamsAdapter.tablecastFaultField.utf8), Array($0.utf8)] } ?? [])
        }
    }
}
