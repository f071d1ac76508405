import Journal
import Logging
import Restaurant
import ServiceLifecycle
import Simulator

/// Replays a journal run to the server's clients with its original spacing: a source of the ``EmissionPipeline``.
///
/// The `n`-th event is due `(mono(n) - mono(anchor)) / speed` after the anchor, the moment the replay started,
/// resumed, sought or changed speed, so that sleeping late never drifts. Each event goes out with its recorded name,
/// payload bytes and fault mark (``EmissionPipeline/replay(_:sends:)``), and the REST state follows: it is the projection of the
/// source run up to the replay's position. A filter hides events from the clients, not from that state. The run's
/// faults that are not events (disconnects, delays) are performed again where they struck.
///
/// Seeking rebuilds the state from the nearest snapshot before the target (one every ``snapshotInterval`` source
/// events, taken on the way), or from the start, applying the events in between without sending them.
public final class ReplayRunner: Service, Sendable {
    /// How fast the replay runs against the original timing.
    public enum Speed: Sendable, Hashable, CustomStringConvertible {
        case factor(Double)
        /// As fast as the server takes the events.
        case max

        /// `0.5`, `1`, `4`, `4x` or `max`.
        public init?(_ text: String) {
            if text == "max" {
                self = .max
            } else if let factor = SimulationUnits.timeScale(text) {
                self = .factor(factor)
            } else {
                return nil
            }
        }

        /// The wall-clock nanoseconds between two events `from` and `to` apart on the journal's monotonic clock, at
        /// this factor. A spacing beyond what a clock holds (a tiny factor, or times far apart) saturates instead of
        /// overflowing: the event is due after as long as a clock can wait.
        static func spacing(from: Int64, to: Int64, factor: Double) -> Int64 {
            let (difference, overflow) = to.subtractingReportingOverflow(from)
            let nanos = (overflow ? Double(to) - Double(from) : Double(difference)) / factor
            guard nanos < 0x1p63 else { return .max }
            guard nanos >= -0x1p63 else { return .min }
            return Int64(nanos)
        }

        public var description: String {
            switch self {
            case .max: "max"
            case .factor(let factor): factor == factor.rounded() && factor < 1e15 ? "\(Int(factor))" : "\(factor)"
            }
        }
    }

    /// What the replay is doing: waiting for clients, playing, paused or finished.
    public typealias State = RunState

    public struct Options: Sendable {
        public var speed: Speed
        public var filter: EventFilter
        public var loop: Bool
        public var waitForClients: Int

        /// - Parameters:
        ///   - only: event name globs (`order:*`) to send; all events when empty.
        ///   - except: event name globs not to send.
        public init(speed: Speed = .factor(1), only: [String] = [], except: [String] = [], loop: Bool = false,
                    waitForClients: Int = 0) {
            self.speed = speed
            self.filter = EventFilter(only: only, except: except)
            self.loop = loop
            self.waitForClients = waitForClients
        }
    }

    /// What the replay is doing, for the control API.
    public struct Status: Sendable {
        public var state: State
        public var speed: Speed
        /// The source `seq` of the last event replayed (sent or filtered out); `nil` before the first.
        public var seq: Int64?
        /// Its original wall-clock time.
        public var wallMillis: Int64?
        /// Source events after the position, up to the end of the range.
        public var eventsLeft: Int64
        /// Events sent to the clients so far.
        public var sent: Int
        /// Passes through the range completed (with `--loop`).
        public var loops: Int
    }

    /// One source event in every this many, the state is kept, so that a seek applies at most this many events.
    public static let snapshotInterval: Int64 = 20_000

    public let source: ReplaySource
    private let options: Options
    private let pipeline: EmissionPipeline
    private let logger: Logger
    private let runner: PacedRunner<ReplayPlayback>

    /// What the control API reads and changes while the replay runs, under the runner's lock.
    struct Progress: Sendable {
        var speed: Speed
        var loop: Bool
        /// The source `seq` of the last event replayed (sent or filtered out), and its original time.
        var lastSeq: Int64?
        var lastWallMillis: Int64?
        var sent = 0
        var loops = 0
        var anchor: Anchor?
    }

    /// The point due times are measured from: an event's original time and the moment it was due.
    struct Anchor: Sendable {
        var wall: ContinuousClock.Instant
        var monoNanos: Int64
    }

    /// - Parameters:
    ///   - clients: how many clients are connected, for `waitForClients`.
    public init(source: ReplaySource, options: Options, pipeline: EmissionPipeline,
                clients: @escaping @Sendable () -> Int, logger: Logger) {
        self.source = source
        self.options = options
        self.pipeline = pipeline
        self.logger = logger
        self.runner = PacedRunner(shared: Progress(speed: options.speed, loop: options.loop),
                                  waitForClients: options.waitForClients, pipeline: pipeline, clients: clients,
                                  logger: logger)
    }

    public var status: Status {
        self.runner.read { control in
            let progress = control.shared
            let position = progress.lastSeq ?? (self.source.fromSeq - 1)
            return Status(state: control.state, speed: progress.speed, seq: progress.lastSeq,
                          wallMillis: progress.lastWallMillis, eventsLeft: max(0, self.source.toSeq - position),
                          sent: progress.sent, loops: progress.loops)
        }
    }

    /// A one-line summary for the log.
    public var summary: String {
        let source = self.source
        return "replaying run \(source.run.id) of \(source.path): seq \(source.fromSeq) to \(source.toSeq), speed "
            + "\(self.status.speed)"
    }

    // MARK: Control

    /// Pauses or resumes; resuming re-anchors the timing at the next event.
    public func setPaused(_ paused: Bool) {
        self.runner.setPaused(paused)
    }

    /// Pauses and sends the next `count` events at once.
    public func step(_ count: Int) {
        self.runner.step(count)
    }

    /// Moves to a position: the next event sent is the first at or after it, and the REST state becomes the
    /// projection of the source before it.
    public func seek(to position: ReplaySource.Position) {
        self.runner.seek(to: position)
    }

    /// Whether a seek or steps asked for are still to be done.
    public var isBusy: Bool { self.runner.isBusy }

    /// Waits (up to `timeout`) until the seeks and steps asked for are done, so that an answer shows their effect.
    public func settle(timeout: Duration = .seconds(5)) async {
        await self.runner.settle(timeout: timeout)
    }

    public func setSpeed(_ speed: Speed) {
        self.runner.change { $0.speed = speed }
    }

    // MARK: Running

    public func run() async throws {
        // The journal is read on a thread of its own, never on the cooperative pool.
        let reader = try await JournalReadThread(path: self.source.path)
        let playback = ReplayPlayback(source: self.source, filter: self.options.filter, reader: reader,
                                      pipeline: self.pipeline, logger: self.logger)
        do {
            try await self.runner.run(playback)
        } catch {
            await reader.close()
            throw error
        }
        await reader.close()
    }
}

/// A replay as a paced source: the journal run's events, read page by page, sent with their original spacing.
///
/// The n-th event is due `(mono(n) - mono(anchor)) / speed` after the anchor, the moment the replay started, resumed,
/// sought or changed speed. A filter hides events from the clients, not from the projection. The run's faults that
/// are not events (disconnects, delays) are performed again where they struck. Seeking rebuilds the projection from
/// the nearest snapshot before the target (one every ``ReplayRunner/snapshotInterval`` source events, taken on the
/// way), or from the start, applying the events in between without sending them.
struct ReplayPlayback: PacedSource {
    typealias Shared = ReplayRunner.Progress
    typealias Position = ReplaySource.Position
    typealias Item = JournalEvent

    /// The state before a source seq: `seq` is the last source event applied.
    private struct Snapshot {
        var seq: Int64
        var state: RestaurantState
    }

    let source: ReplaySource
    let filter: EventFilter
    let reader: JournalReadThread
    let pipeline: EmissionPipeline
    let logger: Logger
    private var snapshots: [Snapshot]
    private var page: [JournalEvent] = []
    private var pageIndex = 0
    private var faultIndex = 0
    /// The next source seq to consider.
    private var cursor: Int64
    private var lastSeq: Int64?
    private var lastWallMillis: Int64?

    init(source: ReplaySource, filter: EventFilter, reader: JournalReadThread, pipeline: EmissionPipeline,
         logger: Logger) {
        self.source = source
        self.filter = filter
        self.reader = reader
        self.pipeline = pipeline
        self.logger = logger
        self.snapshots = [Snapshot(seq: source.span.firstSeq - 1, state: RestaurantState(definition: source.restaurant))]
        self.cursor = source.fromSeq
    }

    func adopt(_ progress: inout Shared) {}

    mutating func seek(to position: Position?) async throws {
        let runID = self.source.run.id
        let source = self.source
        let target: Int64
        switch position {
        case nil:
            target = source.fromSeq
        case .seq(let seq)?:
            target = seq
        case .wallMillis(let millis)?:
            target = try await self.reader.read { reader in
                try reader.firstSeq(runID: runID, atOrAfterWallMillis: millis) ?? source.toSeq + 1
            }
        case .offset(let seconds)?:
            let millis = ReplaySource.Position.wallMillis(offset: seconds, after: source.span.firstWallMillis)
            target = try await self.reader.read { reader in
                try reader.firstSeq(runID: runID, atOrAfterWallMillis: millis) ?? source.toSeq + 1
            }
        }
        try await self.move(to: min(max(target, source.fromSeq), source.toSeq + 1))
    }

    /// Rebuilds the projection as of just before `target` (on the reader's thread) and moves the cursor there.
    private mutating func move(to target: Int64) async throws {
        let runID = self.source.run.id
        let fromSeq = self.source.fromSeq
        let snapshot = self.snapshots.last { $0.seq < target } ?? self.snapshots[0]
        let (state, previous) = try await self.reader.read { reader -> (RestaurantState, JournalEvent?) in
            var state = snapshot.state
            var next = snapshot.seq + 1
            while next < target {
                let events = try reader.events(runID: runID, fromSeq: next, limit: 5000)
                guard let last = events.last else { break }
                for event in events where event.seq < target {
                    _ = JournalVerifier.project(into: &state, seq: event.seq, name: event.name,
                                                payload: event.payload, detail: event.detail, fault: event.fault)
                }
                next = last.seq + 1
            }
            let previous = target > fromSeq ? try reader.events(runID: runID, fromSeq: target - 1, limit: 1).first : nil
            return (state, previous)
        }
        self.pipeline.restore(state)
        self.page = []
        self.pageIndex = 0
        self.faultIndex = self.source.faults.firstIndex { $0.afterSeq >= target - 1 } ?? self.source.faults.count
        self.cursor = target
        self.lastSeq = previous?.seq
        self.lastWallMillis = previous?.wallMillis
    }

    func sought(_ progress: inout Shared) {
        progress.lastSeq = self.lastSeq
        progress.lastWallMillis = self.lastWallMillis
    }

    mutating func next() async throws -> JournalEvent? {
        if self.pageIndex == self.page.count {
            let runID = self.source.run.id
            let (cursor, toSeq) = (self.cursor, self.source.toSeq)
            self.page = cursor <= toSeq
                ? try await self.reader.read { reader in
                    try reader.events(runID: runID, fromSeq: cursor, limit: 2000).filter { $0.seq <= toSeq }
                }
                : []
            self.pageIndex = 0
            if self.page.isEmpty {
                try self.performFaults(upTo: toSeq)
                return nil
            }
        }
        return self.page[self.pageIndex]
    }

    func due(of event: JournalEvent, _ progress: inout Shared, now: ContinuousClock.Instant) -> Due {
        guard case .factor(let factor) = progress.speed else { return .now }
        let anchor = progress.anchor ?? ReplayRunner.Anchor(wall: now, monoNanos: event.monoNanos)
        progress.anchor = anchor
        let spacing = ReplayRunner.Speed.spacing(from: anchor.monoNanos, to: event.monoNanos, factor: factor)
        return .at(anchor.wall + .nanoseconds(spacing))
    }

    mutating func perform(_ event: JournalEvent) async throws -> Bool {
        try self.performFaults(upTo: event.seq - 1)
        let admitted = self.filter.admits(event.name)
        try self.pipeline.replay(event, sends: admitted)
        self.pageIndex += 1
        self.cursor = event.seq + 1
        self.lastSeq = event.seq
        self.lastWallMillis = event.wallMillis
        if (event.seq - self.source.span.firstSeq + 1) % ReplayRunner.snapshotInterval == 0,
            !self.snapshots.contains(where: { $0.seq == event.seq })
        {
            self.snapshots.append(Snapshot(seq: event.seq, state: self.pipeline.snapshot.state))
            self.snapshots.sort { $0.seq < $1.seq }
        }
        return admitted
    }

    func performed(_ event: JournalEvent, counted: Bool, _ progress: inout Shared) {
        progress.lastSeq = event.seq
        progress.lastWallMillis = event.wallMillis
        if counted {
            progress.sent += 1
        }
    }

    func ended(_ progress: inout Shared) -> Bool {
        progress.loops += 1
        if !progress.loop {
            self.logger.info("replay finished", metadata: ["sent": "\(progress.sent)"])
        }
        return progress.loop
    }

    static func interrupt(_ progress: inout Shared, now: ContinuousClock.Instant) {
        progress.anchor = nil
    }

    /// Performs the recorded faults that struck after events up to `seq`.
    private mutating func performFaults(upTo seq: Int64) throws {
        let faults = self.source.faults
        while self.faultIndex < faults.count, faults[self.faultIndex].afterSeq <= seq {
            let recorded = faults[self.faultIndex]
            self.faultIndex += 1
            // A recording's gap is not a fault to perform: the replay's timing already shows the silence.
            guard recorded.kind != "gap" else { continue }
            guard let fault = Fault(journalKind: recorded.kind, spec: recorded.spec) else {
                self.logger.warning("a recorded fault this tablecast cannot perform was skipped",
                                    metadata: ["kind": "\(recorded.kind)", "spec": "\(recorded.spec)"])
                continue
            }
            do throws(EmissionPipeline.FaultFailure) {
                _ = try self.pipeline.inject(fault)
            } catch {
                if case .journal(let journalError) = error {
                    throw journalError
                }
            }
        }
    }
}
