import Journal
import Logging
import Redis
import ServiceLifecycle
import SocketIOProtocol
import SocketIORedis
import Synchronization
import TablecastJSON
import Threading

/// Every node of a tablecast cluster reads the Redis stream (`@socket.io/redis-streams-adapter`'s format) on a thread
/// of its own and delivers what it reads to its own clients, in stream order:
///
/// - an entry this node published itself (an owner's, by uid) was numbered, journaled and projected when it was
///   emitted: it goes to the local clients only;
/// - any other entry (every entry on a follower; on an owner, a Node server's broadcast) enters the pipeline as a
///   streamed event (``EmissionPipeline/streamed(_:emittedAtNanos:)``): numbered in this node's journal, projected
///   into its restaurant (so its REST API agrees with what its clients were sent), and delivered locally.
///
/// `XREAD COUNT 500 BLOCK 2000 STREAMS <stream> <last id>`: the first id is the stream's last entry when the node
/// starts (`$`, resolved at once so a reconnection before the first entry misses nothing); after that the last entry
/// read. A lost connection (`CLIENT KILL`, Redis restarted with persistence, a network cut) reconnects with backoff
/// and resumes from that id: the entries published meanwhile arrive in order. An entry a broken publisher wrote twice
/// (same uid, `tablecast-seq` not above the last one seen) is dropped.
public final class StreamReader: Service, Sendable {
    public struct Status: Sendable {
        public var link = RedisLink.Status()
        /// The last entry read.
        public var lastID: String?
        public var read = 0
        /// Entries skipped: other namespaces, other message types, republished duplicates, undecodable.
        public var skipped = 0
        /// How far the last entry read is behind the stream's newest one, by their ids' milliseconds.
        public var lagSeconds = 0.0
        /// The owner's URL, as the owner wrote it next to the stream.
        public var ownerURL: String?
        /// Entries trimmed (`MAXLEN`) before this node read them: its clients never got them.
        public var trimmed = 0
    }

    public let stream: String
    public let namespace: String
    /// This node's uid when it publishes too (an owner); `nil` for a follower.
    public let ownUID: String?
    private let link: RedisLink
    private let pipeline: EmissionPipeline
    private let local: LocalDelivery
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var status = Status()
        var ready = false
        var finished = false
        /// The last `tablecast-seq` seen from each publishing uid.
        var lastSeqByUID: [String: Int64] = [:]
        var ownersFirstEntry: String?
        var progress = StreamProgress()
    }

    public init(endpoint: RedisEndpoint, stream: String, namespace: String, ownUID: String?,
                pipeline: EmissionPipeline, local: LocalDelivery, logger: Logger)
    {
        self.stream = stream
        self.namespace = namespace
        self.ownUID = ownUID
        self.link = RedisLink(endpoint: endpoint, name: ownUID == nil ? "tablecast-follow" : "tablecast-read")
        self.pipeline = pipeline
        self.local = local
        self.logger = logger
    }

    public var endpoint: RedisEndpoint { self.link.endpoint }

    /// Whether the reader knows where the stream stood when it started: an owner publishes only after that.
    public var isReady: Bool { self.state.withLock { $0.ready } }

    public var status: Status {
        var status = self.state.withLock { $0.status }
        status.link = self.link.status
        return status
    }

    /// Starts reading on a thread of its own.
    public func start() {
        let code = DetachedThread.start { [self] in
            self.runThread()
        }
        precondition(code == 0, "cannot start the Redis stream reader's thread: error \(code)")
    }

    /// Reads until graceful shutdown, then stops the thread.
    public func run() async throws {
        try? await gracefulShutdown()
        self.link.stop()
        while !self.state.withLock({ $0.finished }) {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    // MARK: - The thread

    private func runThread() {
        defer { self.state.withLock { $0.finished = true } }
        do {
            try self.link.run(onEvent: self.report) { connection throws(RedisError) in
                try self.readLoop(connection)
            }
        } catch {
            self.logger.error("Redis stream reading stopped: \(error)", metadata: ["redis": "\(self.link.endpoint)"])
        }
    }

    private func report(_ event: RedisLink.Event) {
        switch event {
        case .connected(let first):
            let lastID = self.state.withLock { $0.status.lastID }
            self.logger.notice(first ? "reading the Redis stream" : "Redis connection back; resuming the stream",
                               metadata: ["redis": "\(self.link.endpoint)", "stream": "\(self.stream)",
                                          "after": "\(lastID ?? "$")"])
        case .lost(let error):
            self.logger.warning("Redis connection lost; will resume the stream from the last entry read",
                                metadata: ["redis": "\(self.link.endpoint)", "error": "\(error)"])
        case .attemptFailed(let error, _):
            if self.link.status.failedAttempts == 1 {
                self.logger.warning("cannot reach Redis; retrying with backoff",
                                    metadata: ["redis": "\(self.link.endpoint)", "error": "\(error)"])
            }
        }
    }

    private func readLoop(_ connection: RedisConnection) throws(RedisError) {
        var lastID: String
        if let resume = self.state.withLock({ $0.status.lastID }) {
            lastID = resume
            try self.fetchOwner(connection)
        } else {
            let reply = try connection.command(["XREVRANGE", self.stream, "+", "-", "COUNT", "1"])
            lastID = reply.elements?.first?.elements?.first?.text ?? "0-0"
            try self.fetchOwner(connection)
            if self.ownUID == nil, let first = try self.ownersFirstEntry(connection) {
                // A follower that starts after the owner reads the owner's run from its first event, so that its
                // journal and restaurant are the owner's.
                lastID = first
            }
            self.state.withLock { state in
                state.status.lastID = lastID
                state.ready = true
            }
            // Where the stream stands now: trimming after this is counted.
            try self.observe(connection, batch: 0, lastID: lastID)
        }
        // A blocked XREAD answers within 2 s; a connection silent for much longer than that is dead.
        try connection.setTimeout(.seconds(12))
        var sinceOwnerCheck = 0
        while true {
            let reply = try connection.command(["XREAD", "COUNT", "500", "BLOCK", "2000", "STREAMS", self.stream, lastID])
            if case .error(let message) = reply {
                throw .reply(command: "XREAD", message: message)
            }
            sinceOwnerCheck += 1
            if self.ownUID == nil, sinceOwnerCheck >= 5 {
                sinceOwnerCheck = 0
                try self.fetchOwner(connection)
            }
            guard case .array = reply else { continue }  // nil: nothing new within the block time
            guard let streams = reply.elements, let stream = streams.first?.elements, stream.count == 2,
                  let entries = stream[1].elements
            else {
                throw .unexpected(command: "XREAD", reply: "\(reply)")
            }
            for entry in entries {
                guard let parts = entry.elements, parts.count == 2, let id = parts[0].text,
                      let fields = parts[1].elements
                else { continue }
                lastID = id
                self.handle(id: id, fields: fields.map { $0.bytes ?? [] })
            }
            try self.observe(connection, batch: entries.count, lastID: lastID)
        }
    }

    private func handle(id: String, fields: [[UInt8]]) {
        let outcome: (event: AdapterEvent, entry: StreamsAdapter.Entry)?
        do {
            let entry = try StreamsAdapter.decodeEntry(fields: fields)
            // A tablecast owner's entry carries the payload its clients got, byte for byte: pass it through. A Node
            // server's is what `JSON.stringify` writes of the parsed packet, as its clients get it.
            let verbatim = entry.tablecastSeq != nil && entry.type == StreamsAdapter.broadcastType
                ? entry.rawData.flatMap(StreamsAdapter.verbatimEvent(data:)) : nil
            if entry.namespace == self.namespace, let event = try verbatim ?? entry.event()?.event,
               !self.isRepublished(entry)
            {
                outcome = (event, entry)
            } else {
                outcome = nil
            }
        } catch {
            self.logger.warning("a stream entry could not be decoded; skipped", metadata: ["id": "\(id)",
                                                                                        "reason": "\(error)"])
            outcome = nil
        }
        guard let (event, entry) = outcome else {
            self.state.withLock { state in
                state.status.lastID = id
                state.status.skipped += 1
            }
            return
        }
        if let own = self.ownUID, entry.uid == own {
            self.local.deliverOwn(SocketIOPacket.eventFrame(namespace: self.namespace, name: event.name,
                                                            payload: event.payload),
                                  emittedAtNanos: entry.emittedAtNanos ?? RedisLink.nowNanos())
        } else {
            let stamp = EmissionClock.now()
            do throws(JournalError) {
                try self.pipeline.streamed(
                    JournalEvent(seq: 0, monoNanos: stamp.monoNanos, wallMillis: stamp.wallMillis,
                                 namespace: self.namespace, name: event.name, payload: event.payload,
                                 detail: entry.detail, fault: entry.fault),
                    emittedAtNanos: entry.emittedAtNanos
                )
            } catch {
                // The journal failed: health reports it; the clients still get what the stream says.
                self.logger.error("the journal refused a stream entry: \(error)", metadata: ["id": "\(id)"])
            }
        }
        self.state.withLock { state in
            state.status.lastID = id
            state.status.read += 1
        }
    }

    /// An entry a publisher wrote again after a broken connection: its `tablecast-seq` is not above the last one
    /// seen from its uid.
    private func isRepublished(_ entry: StreamsAdapter.Entry) -> Bool {
        guard let seq = entry.tablecastSeq else { return false }
        return self.state.withLock { state in
            if let last = state.lastSeqByUID[entry.uid], seq <= last {
                return true
            }
            state.lastSeqByUID[entry.uid] = seq
            return false
        }
    }

    /// The lag behind the stream's newest entry, and entries trimmed before this node read them: those are logged,
    /// counted, and journaled as a `gap` row, never silent.
    private func observe(_ connection: RedisConnection, batch: Int, lastID: String) throws(RedisError) {
        var progress = self.state.withLock { $0.progress }
        let observation = try progress.observe(connection, stream: self.stream, batch: batch, lastID: lastID)
        self.state.withLock { state in
            state.progress = progress
            if let lag = observation.lagSeconds {
                state.status.lagSeconds = lag
            }
            state.status.trimmed += observation.trimmed
        }
        guard observation.trimmed > 0 else { return }
        self.logger.error("entries of the stream were trimmed (MAXLEN) before this node read them: its clients missed them",
                          metadata: ["stream": "\(self.stream)", "trimmed": "\(observation.trimmed)"])
        var spec = JSONWriter()
        spec.beginObject()
        spec.key("reason")
        spec.value("\(observation.trimmed) entries of stream \(self.stream) were trimmed (MAXLEN) before this node read them")
        spec.endObject()
        let stamp = EmissionClock.now()
        do throws(JournalError) {
            try self.pipeline.journal.append(fault: JournalFault(afterSeq: self.pipeline.lastSeq,
                                                                 monoNanos: stamp.monoNanos,
                                                                 wallMillis: stamp.wallMillis, kind: "gap",
                                                                 spec: spec.text))
        } catch {
            self.logger.error("the journal refused the gap row: \(error)")
        }
    }

    /// Reads `<stream>:tablecast-owner` (`{"url":…,"uid":…,"firstEntry":…}`), which the owner writes.
    private func fetchOwner(_ connection: RedisConnection) throws(RedisError) {
        let reply = try connection.command(["GET", "\(self.stream):tablecast-owner"])
        guard let bytes = reply.bytes, case .object(let members)? = try? JSONParser.parse(bytes).value else { return }
        var url: String?
        var firstEntry: String?
        for member in members {
            switch (member.key, member.value) {
            case ("url", .string(let text)): url = text
            case ("firstEntry", .string(let text)): firstEntry = text
            default: continue
            }
        }
        self.state.withLock { state in
            state.status.ownerURL = url
            state.ownersFirstEntry = firstEntry
        }
    }

    /// Where to read from to get the owner's whole run: just before its first entry, if the stream still holds it.
    private func ownersFirstEntry(_ connection: RedisConnection) throws(RedisError) -> String? {
        guard let first = self.state.withLock({ $0.ownersFirstEntry }) else { return nil }
        let reply = try connection.command(["XRANGE", self.stream, first, first])
        guard let found = reply.elements, !found.isEmpty else {
            self.logger.warning(
                "the stream no longer holds the owner's first event (MAXLEN trimmed it): this follower starts from now, and its restaurant from the definition, so its REST answers may differ from the owner's",
                metadata: ["stream": "\(self.stream)", "firstEntry": "\(first)"])
            return nil
        }
        return Self.entryBefore(first)
    }

    /// The id just before `id`, so that `XREAD` from it returns `id` first.
    static func entryBefore(_ id: String) -> String? {
        let parts = id.split(separator: "-")
        guard parts.count == 2, let ms = UInt64(parts[0]), let seq = UInt64(parts[1]) else { return nil }
        if seq > 0 { return "\(ms)-\(seq - 1)" }
        return ms > 0 ? "\(ms - 1)-\(UInt64.max)" : "0-0"
    }

}
