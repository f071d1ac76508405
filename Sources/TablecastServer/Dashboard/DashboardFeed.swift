import HTTPTypes
import Hummingbird
import Journal
import NIOCore
import ServiceLifecycle
import Simulator
import SocketIOProtocol
import SocketIOServer
import Synchronization
import TablecastJSON

/// The dashboard's live data: `GET /_tablecast/dashboard/feed` streams server-sent events, and, as a service, keeps
/// the history of the last minutes (one sample a second) that a page opened now starts its charts with.
///
/// Each feed is one HTTP response that never ends on its own: a `hello` event, then a `tick` every `interval`
/// milliseconds (`?interval=100…2000`, 250 by default) with the figures and a sample of the events since the last
/// tick, filtered by `?only=` and `?except=` globs (as `replay --only`). A feed ends when the page goes away (the
/// write fails) or when the server shuts down (within one interval), so it never holds shutdown up.
final class DashboardFeed: Service, Sendable {
    /// How many seconds of history a page starts with.
    static let historySeconds = 300
    /// Bounds on a feed's `only` and `except` globs, each: a filter is matched on the emission path.
    static let maxGlobs = 32
    static let maxGlobBytes = 256

    struct Sample: Sendable {
        var wallMillis: Int64
        var lastSeq: Int64
        var deliveries: Int
        var clients: Int
    }

    let mode: String
    let pipeline: EmissionPipeline
    let engine: EngineServer
    let tap: DashboardTap
    let simulation: SimulationRunner?
    let replay: ReplayRunner?
    let connections: ConnectionRegistry
    let journalPath: String
    /// `GET /_tablecast/health`'s body: a cluster node's Redis state, for one.
    let health: @Sendable () -> [UInt8]
    private let history = Mutex<[Sample]>([])
    private let stopping = Atomic<Bool>(false)

    init(mode: String, pipeline: EmissionPipeline, engine: EngineServer, tap: DashboardTap,
         simulation: SimulationRunner?, replay: ReplayRunner?, connections: ConnectionRegistry, journalPath: String,
         health: @escaping @Sendable () -> [UInt8])
    {
        self.health = health
        self.mode = mode
        self.pipeline = pipeline
        self.engine = engine
        self.tap = tap
        self.simulation = simulation
        self.replay = replay
        self.connections = connections
        self.journalPath = journalPath
    }

    // MARK: The history

    func run() async throws {
        // Shutdown (or another service failing: the port was taken, say) cancels the sampler mid-sleep.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                self.record()
                try await Task.sleep(for: .seconds(1))
            }
        }
        // Feeds still open end at their next tick.
        self.stopping.store(true, ordering: .relaxed)
    }

    private func record() {
        let sample = Sample(wallMillis: EmissionClock.wallMillis(), lastSeq: self.pipeline.lastSeq,
                            deliveries: self.engine.broadcaster?.statistics.deliveries ?? 0,
                            clients: self.engine.broadcaster?.subscribers ?? 0)
        self.history.withLock { history in
            history.append(sample)
            if history.count > Self.historySeconds + 1 {
                history.removeFirst(history.count - Self.historySeconds - 1)
            }
        }
    }

    // MARK: A feed

    func response(to request: Request) throws -> Response {
        let query = request.uri.queryParameters
        var interval = 250
        if let text = query["interval"] {
            guard let value = Int(String(text)), (100...2000).contains(value) else {
                throw HTTPFailure.badField("interval", "interval must be a number of milliseconds from 100 to 2000")
            }
            interval = value
        }
        func globs(_ field: String) throws -> [String] {
            let globs = query.getAll(field).flatMap { $0.split(separator: ",") }.map { String($0).trimmed }
                .filter { !$0.isEmpty }
            guard globs.count <= Self.maxGlobs, globs.allSatisfy({ $0.utf8.count <= Self.maxGlobBytes }) else {
                throw HTTPFailure.badField(field, "\(field) takes at most \(Self.maxGlobs) globs of at most "
                                                  + "\(Self.maxGlobBytes) bytes each")
            }
            return globs
        }
        let filter = EventFilter(only: try globs("only"), except: try globs("except"))
        let period = interval
        var headers: HTTPFields = [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store"]
        // A proxy in front (nginx) passes each event on at once instead of buffering the stream.
        headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        guard self.tap.openFeeds < DashboardTap.maxFeeds else {
            throw HTTPFailure(status: .serviceUnavailable,
                              message: "\(DashboardTap.maxFeeds) dashboard feeds are open already: close a page first")
        }
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            // The feed is opened here, where its close is certain; one that lost a race for the last place ends.
            guard let id = self.tap.openFeed(filter: filter) else {
                try await writer.finish(nil)
                return
            }
            defer { self.tap.close(id) }
            try await writer.write(Self.event(self.hello(filter: filter, interval: period)))
            while !self.stopping.load(ordering: .relaxed) {
                try await Task.sleep(for: .milliseconds(period))
                try await writer.write(Self.event(self.tick(self.tap.take(id))))
            }
            try await writer.finish(nil)
        })
    }

    /// One server-sent event: `data:` lines (a payload posted with line breaks is split over several, which the
    /// page joins again with `\n`), then a blank line.
    static func event(_ json: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(json.count + 16)
        buffer.writeStaticString("data: ")
        var index = 0
        while index < json.count {
            let byte = json[index]
            if byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") {
                if byte == UInt8(ascii: "\r"), index + 1 < json.count, json[index + 1] == UInt8(ascii: "\n") {
                    index += 1
                }
                buffer.writeStaticString("\ndata: ")
            } else {
                buffer.writeInteger(byte)
            }
            index += 1
        }
        buffer.writeStaticString("\n\n")
        return buffer
    }

    private func hello(filter: EventFilter, interval: Int) -> [UInt8] {
        var body = JSONWriter()
        body.beginObject()
        body.key("type"); body.value("hello")
        body.key("mode"); body.value(self.mode)
        body.key("version"); body.value(tablecastVersion)
        body.key("namespace"); body.value(self.pipeline.namespace)
        body.key("journal"); body.value(self.journalPath)
        body.key("interval"); body.value(interval)
        body.key("sampleCapacity"); body.value(DashboardTap.sampleCapacity)
        body.key("only"); body.beginArray(); filter.only.forEach { body.value($0) }; body.endArray()
        body.key("except"); body.beginArray(); filter.except.forEach { body.value($0) }; body.endArray()
        body.key("history")
        body.beginArray()
        for sample in self.history.withLock({ $0 }) {
            body.beginArray()
            body.value(Int(sample.wallMillis))
            body.value(Int(sample.lastSeq))
            body.value(sample.deliveries)
            body.value(sample.clients)
            body.endArray()
        }
        body.endArray()
        body.endObject()
        return body.bytes
    }

    /// The largest payload a tick carries in full; a larger one is announced with its size only.
    static let maxPayloadShown = 16 << 10

    private func tick(_ batch: DashboardTap.Batch) -> [UInt8] {
        let now = EmissionClock.now()
        // Emission times are monotonic: placed on the wall clock through the offset between the two clocks now.
        let offsetMillis = now.wallMillis - now.monoNanos / 1_000_000
        let counts = self.engine.sessionCounts()
        let snapshot = self.pipeline.snapshot
        let journal = self.pipeline.journal.statistics
        var body = JSONWriter(capacity: 4096)
        body.beginObject()
        body.key("type"); body.value("tick")
        body.key("t"); body.value(Int(now.wallMillis))
        body.key("lastSeq"); body.value(Int(snapshot.lastSeq))
        body.key("clients")
        body.beginObject()
        body.key("websocket"); body.value(counts.subscribed[.websocket] ?? 0)
        body.key("polling"); body.value(counts.subscribed[.polling] ?? 0)
        body.endObject()
        body.key("sessions"); body.value(counts.sessions.values.reduce(0, +))
        body.key("connections"); body.value(self.connections.openCount)
        if let statistics = self.engine.broadcaster?.statistics {
            body.key("deliveries"); body.value(statistics.deliveries)
            body.key("bytesSent"); body.value(statistics.bytesSent)
            body.key("slowConsumerDisconnects"); body.value(statistics.slowConsumerDisconnects)
        }
        body.key("journal")
        body.beginObject()
        body.key("path"); body.value(self.journalPath)
        body.key("committed"); body.value(journal.committed)
        body.key("lastCommittedSeq"); body.value(journal.lastCommittedSeq.map(Int.init))
        body.key("backlog"); body.value(journal.backlog)
        body.key("backlogBytes"); body.value(self.pipeline.journal.backlogBytes)
        body.key("lost"); body.value(journal.lost)
        body.key("lastCommitMillis"); body.rawValue(JSNumber.json(Double(journal.lastCommitNanos) / 1e6).utf8)
        body.key("error"); body.value(journal.failure?.description)
        body.endObject()
        body.key("simulation"); body.rawValue(SimulationAPI.statusJSON(self.simulation).readableBytesView)
        body.key("replay"); body.rawValue(ReplayAPI.statusJSON(self.replay).readableBytesView)
        body.key("faults"); body.rawValue(FaultAPI.statusJSON(snapshot).utf8)
        body.key("health"); body.rawValue(self.health())
        body.key("matched"); body.value(batch.matched)
        body.key("seen"); body.value(batch.seen)
        body.key("events")
        body.beginArray()
        for sample in batch.samples {
            body.beginObject()
            body.key("seq"); body.value(Int(sample.seq))
            body.key("t"); body.value(Int(offsetMillis + sample.emittedAtNanos / 1_000_000))
            if let (name, payload) = EventFrame.parts(of: sample.frame) {
                body.key("name"); body.value(name)
                body.key("bytes"); body.value(payload?.count ?? 0)
                body.key("payload")
                if let payload, payload.count <= Self.maxPayloadShown {
                    body.rawValue(payload)
                } else {
                    body.null()
                }
            } else {
                // Not an event (a malformed-packet fault): its text, as clients received it.
                body.key("name"); body.value("(not an event)")
                body.key("bytes"); body.value(sample.frame.bytes.readableBytes)
                body.key("payload"); body.value(String(decoding: sample.frame.bytes.readableBytesView.prefix(Self.maxPayloadShown), as: UTF8.self))
            }
            body.key("fault")
            if let fault = sample.fault {
                if (try? fault.utf8.withContiguousStorageIfAvailable({ try JSONScanner.validate(UnsafeRawBufferPointer($0)) })) != nil {
                    body.rawValue(fault.utf8)
                } else {
                    body.value(fault)
                }
            } else {
                body.null()
            }
            body.endObject()
        }
        body.endArray()
        body.endObject()
        return body.bytes
    }
}

extension String {
    fileprivate var trimmed: String {
        String(self.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
