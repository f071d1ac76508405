import Journal
import Logging
import Redis
import SocketIORedis
import Synchronization
import TablecastJSON
import Threading
import UnixSignals

/// `tablecast record --redis redis://… --namespace /events --out FILE`: journals every broadcast a Socket.IO cluster
/// makes through Redis, without being one of its clients or servers.
///
/// - **pub/sub** (the classic `@socket.io/redis-adapter`, the default): `PSUBSCRIBE socket.io#/events#*`. A pattern
///   subscription is invisible to the cluster (NUMSUB does not count it, so no server waits for the recorder's
///   answers). Pub/sub keeps nothing: messages published while the recorder is disconnected are lost to it, so
///   each disconnection is journaled as a `gap` row, as `record URL` does.
/// - **Streams** (`@socket.io/redis-streams-adapter`, `--redis-stream`): `XREAD` from the last entry id read, on its
///   own connection. A reconnection resumes where it stopped and misses nothing, unless the stream was trimmed
///   (`MAXLEN`) past that entry meanwhile, which is journaled as a gap.
///
/// Each event is journaled with the bytes a Node server sends its clients: the packet as the adapter decodes it
/// (msgpack or JSON), written as `JSON.stringify` writes it (``JSValue``), with the recorder's argument rule (one
/// argument: its JSON; several: an array; a `Buffer`: its attachment placeholder). Broadcasts to other namespaces
/// and non-EVENT packets are skipped; a message that cannot be decoded is journaled as an `undecodable` fault row
/// (with the reason) and the recording goes on.
public enum RedisRecorder {
    public enum Format: Sendable, Equatable {
        /// The classic adapter's channels, under this key (`socket.io`).
        case pubSub(key: String)
        /// The Streams adapter's stream, read from `start` (`$`: new entries only; `0`: everything retained; an id).
        case stream(name: String, start: String)
    }

    public struct Options: Sendable {
        public var endpoint: RedisEndpoint
        public var namespace: String
        public var format: Format
        public var journalPath: String
        public var duration: Double?
        public var untilIdle: Double?

        public init(endpoint: RedisEndpoint, namespace: String = "/events", format: Format = .pubSub(key: "socket.io"),
                    journalPath: String, duration: Double? = nil, untilIdle: Double? = nil)
        {
            self.endpoint = endpoint
            self.namespace = namespace
            self.format = format
            self.journalPath = journalPath
            self.duration = duration
            self.untilIdle = untilIdle
        }
    }

    /// Records until the duration, idleness or SIGINT/SIGTERM.
    /// - Throws: ``Recorder/Failure`` when Redis cannot be reached at the start (no journal is touched) or refuses a
    ///   command; ``JournalError`` when the journal cannot be opened or refuses an event (what it accepted is
    ///   committed).
    public static func record(options: Options, logger: Logger, trapSignals: Bool = true) async throws
        -> Recorder.Summary
    {
        let session = Session(options: options, logger: logger)
        let clock = ContinuousClock()
        let started = clock.now
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            if trapSignals {
                tasks.addTask {
                    for await signal in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
                        session.stop(because: "signal \(signal)")
                        return
                    }
                }
            }
            if let duration = options.duration {
                tasks.addTask {
                    try await clock.sleep(until: started + .seconds(duration))
                    session.stop(because: "duration \(CommandLineFormat.seconds(duration)) reached")
                }
            }
            if let idle = options.untilIdle {
                tasks.addTask {
                    while true {
                        let deadline = session.lastEventAt + .seconds(idle)
                        if clock.now >= deadline {
                            session.stop(because: "no event for \(CommandLineFormat.seconds(idle))")
                            return
                        }
                        try await clock.sleep(until: deadline)
                    }
                }
            }
            let outcome: Result<Void, any Error> = await withCheckedContinuation { continuation in
                let code = DetachedThread.start {
                    continuation.resume(returning: Result { try session.runBlocking() })
                }
                if code != 0 {
                    continuation.resume(returning: .failure(Recorder.Failure(
                        description: "cannot start the recorder's thread: error \(code)")))
                }
            }
            tasks.cancelAll()
            var summary = try session.finish(outcome: outcome)
            summary.seconds = Double((clock.now - started).components.seconds)
                + Double((clock.now - started).components.attoseconds) * 1e-18
            return summary
        }
    }

    /// One recording: the Redis link and the journal, driven by the recorder's thread.
    private final class Session: Sendable {
        let options: Options
        let logger: Logger
        let link: RedisLink
        private let state = Mutex(State())
        private let stopReason = Mutex<String?>(nil)
        private let lastEvent = Mutex(ContinuousClock.now)

        struct State: Sendable {
            var writer: JournalWriter?
            var seq: Int64 = 0
            var summary = Recorder.Summary(runID: 0, events: 0, bytes: 0, eventsByName: [:], gaps: [], seconds: 0,
                                           stoppedBecause: "")
            var gap: Recorder.Gap?
            var otherNamespaces = 0
            var notEvents = 0
            var toRooms = 0
            var attachments = 0
            var undecodable = 0
            /// The last stream entry read: where a reconnection resumes.
            var lastID: String?
            /// Where the recorder stands against the stream's own count of entries.
            var progress = StreamProgress()
        }

        init(options: Options, logger: Logger) {
            self.options = options
            self.logger = logger
            self.link = RedisLink(endpoint: options.endpoint, name: "tablecast-record")
        }

        var lastEventAt: ContinuousClock.Instant { self.lastEvent.withLock { $0 } }

        func stop(because reason: String) {
            self.stopReason.withLock { current in
                if current == nil {
                    current = reason
                }
            }
            self.link.stop()
        }

        /// The recorder's thread: connect, read, journal, until stopped.
        func runBlocking() throws {
            var journalError: JournalError?
            do {
                try self.link.run(giveUpBeforeFirstConnection: true, onEvent: { event in
                    do throws(JournalError) {
                        try self.linkEvent(event)
                    } catch {
                        journalError = error
                        self.link.stop()
                    }
                }) { connection throws(RedisError) in
                    do {
                        switch self.options.format {
                        case .pubSub(let key):
                            try self.readPubSub(connection, pattern: ClassicAdapter.pattern(key: key,
                                                                                             namespace: self.options.namespace))
                        case .stream(let name, let start):
                            try self.readStream(connection, name: name, start: start)
                        }
                    } catch let error as RedisError {
                        throw error
                    } catch let error as JournalError {
                        journalError = error
                        throw .interrupted
                    } catch {
                        throw .protocolError("\(error)")
                    }
                }
            } catch {
                if self.state.withLock({ $0.writer == nil }) {
                    throw Recorder.Failure(description: "cannot record \(self.options.endpoint): \(error)")
                }
                throw error
            }
            if let journalError {
                throw journalError
            }
        }

        private func linkEvent(_ event: RedisLink.Event) throws(JournalError) {
            switch event {
            case .connected(let first):
                if first {
                    let writer = try JournalWriter(
                        path: self.options.journalPath,
                        run: RunDescriptor(source: "record", tablecastVersion: tablecastVersion,
                                           metaJSON: self.metadata(), startedAtMillis: EmissionClock.wallMillis())
                    )
                    self.state.withLock { state in
                        state.writer = writer
                        state.summary.runID = writer.runID
                    }
                    self.logger.info("recording", metadata: ["redis": "\(self.options.endpoint)",
                                                             "format": "\(self.formatName)",
                                                             "run": "\(writer.runID)"])
                } else {
                    try self.endGap()
                    self.logger.notice("Redis connection back", metadata: ["redis": "\(self.options.endpoint)"])
                }
            case .lost(let error):
                self.state.withLock { state in
                    if state.gap == nil {
                        state.gap = Recorder.Gap(fromWallMillis: EmissionClock.wallMillis(), toWallMillis: 0,
                                                 reason: Recorder.oneLine(error.description),
                                                 fromMonoNanos: RedisLink.nowNanos())
                    }
                }
                self.logger.warning("Redis connection lost; reconnecting", metadata: ["error": "\(error)"])
            case .attemptFailed(let error, let everConnected):
                guard everConnected else { return }
                self.state.withLock { state in
                    state.gap?.failedAttempts += 1
                    state.gap?.lastFailure = Recorder.oneLine(error.description)
                }
            }
        }

        /// Journals the gap that a reconnection ends. With Streams it is a gap only if entries were trimmed away.
        private func endGap() throws(JournalError) {
            try self.state.withLock { (state) throws(JournalError) in
                guard var gap = state.gap, let writer = state.writer else { return }
                state.gap = nil
                if case .stream = self.options.format {
                    // The reconnection resumes after `lastID`: nothing is missed but what MAXLEN trimmed meanwhile,
                    // which `readStream` checks and journals itself.
                    return
                }
                gap.toWallMillis = EmissionClock.wallMillis()
                try Recorder.journal(gap, afterSeq: state.seq, into: writer)
                state.summary.gaps.append(gap)
            }
        }

        // MARK: Reading

        private func readPubSub(_ connection: RedisConnection, pattern: String) throws {
            try connection.setTimeout(nil)
            let reply = try connection.command(["PSUBSCRIBE", pattern])
            guard case .array(let confirmation) = reply, confirmation.first?.text == "psubscribe" else {
                throw RedisError.unexpected(command: "PSUBSCRIBE", reply: "\(reply)")
            }
            while true {
                let message = try connection.readReply()
                // ["pmessage", pattern, channel, payload]
                guard case .array(let parts) = message, parts.count == 4, parts[0].text == "pmessage",
                      let channel = parts[2].text, let payload = parts[3].bytes
                else { continue }
                let event: AdapterEvent?
                var rooms: [String] = []
                do {
                    let broadcast = try ClassicAdapter.decodeBroadcast(payload)
                    if broadcast.namespace != self.options.namespace {
                        self.state.withLock { $0.otherNamespaces += 1 }
                        continue
                    }
                    event = broadcast.packetType == 2 || broadcast.packetType == 5
                        ? try AdapterEvent(data: broadcast.data) : nil
                    rooms = broadcast.rooms
                } catch {
                    try self.undecodable(reason: error.description, source: channel, bytes: payload.count)
                    continue
                }
                try self.journal(event, rooms: rooms)
            }
        }

        private func readStream(_ connection: RedisConnection, name: String, start: String) throws {
            var lastID = try self.resolveStart(connection, name: name, start: start)
            // A blocked XREAD answers within 2 s; a connection silent for longer than that and a margin is dead.
            try connection.setTimeout(.seconds(12))
            while true {
                let reply = try connection.command(["XREAD", "COUNT", "500", "BLOCK", "2000", "STREAMS", name, lastID])
                if case .null = reply { continue }
                if case .error(let message) = reply {
                    throw RedisError.reply(command: "XREAD", message: message)
                }
                // [[stream, [[id, [field, value, …]], …]]]
                guard let streams = reply.elements, let stream = streams.first?.elements, stream.count == 2,
                      let entries = stream[1].elements
                else {
                    throw RedisError.unexpected(command: "XREAD", reply: "\(reply)")
                }
                if let last = entries.last?.elements?.first?.text {
                    try self.checkTrimmed(connection, name: name, batch: entries.count, batchLastID: last)
                }
                for entry in entries {
                    guard let parts = entry.elements, parts.count == 2, let id = parts[0].text,
                          let fields = parts[1].elements
                    else { continue }
                    lastID = id
                    self.state.withLock { $0.lastID = id }
                    do {
                        let decoded = try StreamsAdapter.decodeEntry(fields: fields.map { $0.bytes ?? [] })
                        guard decoded.namespace == self.options.namespace else {
                            self.state.withLock { $0.otherNamespaces += 1 }
                            continue
                        }
                        let event = try decoded.event()
                        try self.journal(event?.event, rooms: event?.rooms ?? [])
                    } catch let error as AdapterFormatError {
                        try self.undecodable(reason: error.description, source: "\(name) \(id)",
                                             bytes: fields.reduce(0) { $0 + ($1.bytes?.count ?? 0) })
                    }
                }
            }
        }

        /// Where reading starts on this connection: after the last entry read, or the option's start; `$` becomes
        /// the stream's current last id at once, so that a reconnection before the first entry misses nothing.
        private func resolveStart(_ connection: RedisConnection, name: String, start: String) throws -> String {
            if let lastID = self.state.withLock({ $0.lastID }) {
                return lastID
            }
            guard start == "$" else {
                self.state.withLock { $0.lastID = start }
                return start
            }
            let reply = try connection.command(["XREVRANGE", name, "+", "-", "COUNT", "1"])
            let id = reply.elements?.first?.elements?.first?.text ?? "0-0"
            self.state.withLock { $0.lastID = id }
            // Caught up by definition: later trimming is measured from here.
            try self.checkTrimmed(connection, name: name, batch: 0, batchLastID: id)
            return id
        }

        /// Journals a gap when entries were trimmed (`MAXLEN`) before the recorder read them: while it lagged, or
        /// while it was disconnected (``StreamProgress``).
        ///
        /// - Parameters:
        ///   - batch: entries about to be journaled, and the id of the last one.
        private func checkTrimmed(_ connection: RedisConnection, name: String, batch: Int, batchLastID: String) throws {
            var progress = self.state.withLock { $0.progress }
            let observation = try progress.observe(connection, stream: name, batch: batch, lastID: batchLastID)
            try self.state.withLock { (state) throws(JournalError) in
                state.progress = progress
                guard observation.trimmed > 0, let writer = state.writer else { return }
                let now = EmissionClock.wallMillis()
                let gap = Recorder.Gap(fromWallMillis: now, toWallMillis: now,
                                       reason: "\(observation.trimmed) entries of stream \(name) were trimmed (MAXLEN) "
                                           + "before the recorder read them",
                                       fromMonoNanos: RedisLink.nowNanos())
                try Recorder.journal(gap, afterSeq: state.seq, into: writer)
                state.summary.gaps.append(gap)
            }
        }

        // MARK: Journaling

        private func journal(_ event: AdapterEvent?, rooms: [String]) throws(JournalError) {
            guard let event else {
                self.state.withLock { $0.notEvents += 1 }
                return
            }
            let wall = EmissionClock.wallMillis()
            let mono = RedisLink.nowNanos()
            try self.state.withLock { (state) throws(JournalError) in
                guard let writer = state.writer else { return }
                state.seq += 1
                try writer.append(JournalEvent(seq: state.seq, monoNanos: mono, wallMillis: wall,
                                               namespace: self.options.namespace, name: event.name,
                                               payload: event.payload))
                state.summary.events += 1
                state.summary.bytes += event.payload.count
                state.summary.eventsByName[event.name, default: 0] += 1
                state.attachments += event.attachments
                if !rooms.isEmpty {
                    state.toRooms += 1
                }
            }
            self.lastEvent.withLock { $0 = .now }
        }

        private func undecodable(reason: String, source: String, bytes: Int) throws(JournalError) {
            let count = try self.state.withLock { (state) throws(JournalError) -> Int in
                state.undecodable += 1
                guard let writer = state.writer else { return state.undecodable }
                var spec = JSONWriter()
                spec.beginObject()
                spec.key("reason"); spec.value(reason)
                spec.key("from"); spec.value(source)
                spec.key("bytes"); spec.value(bytes)
                spec.endObject()
                try writer.append(fault: JournalFault(afterSeq: state.seq, monoNanos: RedisLink.nowNanos(),
                                                      wallMillis: EmissionClock.wallMillis(), kind: "undecodable",
                                                      spec: spec.text))
                return state.undecodable
            }
            if count <= 10 {
                self.logger.warning("a message could not be decoded; journaled as an undecodable fault",
                                    metadata: ["reason": "\(reason)", "from": "\(source)"])
            }
        }

        private var formatName: String {
            switch self.options.format {
            case .pubSub: "pubsub"
            case .stream: "streams"
            }
        }

        private func metadata() -> String {
            var meta = JSONWriter()
            meta.beginObject()
            meta.key("recordedFrom"); meta.value(self.options.endpoint.description)
            meta.key("format"); meta.value(self.formatName)
            switch self.options.format {
            case .pubSub(let key):
                meta.key("pattern"); meta.value(ClassicAdapter.pattern(key: key, namespace: self.options.namespace))
            case .stream(let name, _):
                meta.key("stream"); meta.value(name)
            }
            meta.key("namespace"); meta.value(self.options.namespace)
            meta.endObject()
            return meta.text
        }

        /// After the thread ended: an open gap is journaled, the journal closed, the summary completed.
        func finish(outcome: Result<Void, any Error>) throws -> Recorder.Summary {
            let (writer, summary) = try self.state.withLock { (state) throws(JournalError) in
                if var open = state.gap, let writer = state.writer {
                    open.toWallMillis = EmissionClock.wallMillis()
                    open.reason += " (not reconnected before the recording stopped)"
                    try Recorder.journal(open, afterSeq: state.seq, into: writer)
                    state.summary.gaps.append(open)
                    state.gap = nil
                }
                var summary = state.summary
                if state.toRooms > 0 {
                    summary.notes.append("\(state.toRooms) broadcasts were addressed to rooms (a replay sends them to every client)")
                }
                if state.attachments > 0 {
                    summary.notes.append("\(state.attachments) binary attachments were journaled as their placeholders")
                }
                if state.notEvents > 0 {
                    summary.notes.append("\(state.notEvents) messages were not EVENT packets and were skipped")
                }
                if state.otherNamespaces > 0 {
                    summary.notes.append("\(state.otherNamespaces) broadcasts to other namespaces were skipped")
                }
                if state.undecodable > 0 {
                    summary.notes.append("\(state.undecodable) messages could not be decoded (journaled as undecodable faults)")
                }
                return (state.writer, summary)
            }
            if let writer {
                try writer.close()
            }
            try outcome.get()
            guard writer != nil else {
                throw Recorder.Failure(description: "cannot record \(self.options.endpoint): the recording stopped before connecting")
            }
            var finished = summary
            finished.stoppedBecause = self.stopReason.withLock { $0 } ?? "stopped"
            return finished
        }
    }
}
