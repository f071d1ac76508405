import Journal
import Logging
import Restaurant
import ServiceLifecycle
import Simulator
import Synchronization

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

    public enum State: String, Sendable {
        /// Holding the start until enough clients are connected.
        case waiting
        case playing
        case paused
        /// Past the last event (the server keeps serving; a seek starts it again).
        case finished
    }

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
    private let pipeline: EmissionPipeline
    private let clients: @Sendable () -> Int
    private let logger: Logger
    private let control: Mutex<Control>

    private struct Control {
        var state: State
        var speed: Speed
        var filter: EventFilter
        var loop: Bool
        var waitForClients: Int
        /// The next source seq to consider.
        var cursor: Int64
        var lastSeq: Int64?
        var lastWallMillis: Int64?
        var sent = 0
        var loops = 0
        var anchor: Anchor?
        /// Events to send at once while paused.
        var steps = 0
        /// A seek asked for and not yet done.
        var seek: ReplaySource.Position?
    }

    private struct Anchor {
        var wall: ContinuousClock.Instant
        var monoNanos: Int64
    }

    /// The state before a source seq: `seq` is the last source event applied.
    private struct Snapshot {
        var seq: Int64
        var state: RestaurantState
    }

    /// - Parameters:
    ///   - clients: how many clients are connected, for `waitForClients`.
    public init(source: ReplaySource, options: Options, pipeline: EmissionPipeline, clients: @escaping @Sendable () -> Int,
                logger: Logger) {
        self.source = source
        self.pipeline = pipeline
        self.clients = clients
        self.logger = logger
        self.control = Mutex(
            Control(state: options.waitForClients > 0 ? .waiting : .playing, speed: options.speed,
                    filter: options.filter, loop: options.loop, waitForClients: options.waitForClients,
                    cursor: source.fromSeq)
        )
    }

    public var status: Status {
        self.control.withLock { control in
            let position = control.lastSeq ?? (self.source.fromSeq - 1)
            return Status(state: control.state, speed: control.speed, seq: control.lastSeq,
                          wallMillis: control.lastWallMillis, eventsLeft: max(0, self.source.toSeq - position),
                          sent: control.sent, loops: control.loops)
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
        self.control.withLock { control in
            switch (control.state, paused) {
            case (.playing, true), (.waiting, true):
                control.state = .paused
            case (.paused, false):
                control.state = .playing
                control.anchor = nil
            default:
                break
            }
        }
    }

    /// Pauses and sends the next `count` events at once.
    public func step(_ count: Int) {
        self.control.withLock { control in
            if control.state != .finished {
                control.state = .paused
            }
            control.steps += count
        }
    }

    /// Moves to a position: the next event sent is the first at or after it, and the REST state becomes the
    /// projection of the source before it.
    public func seek(to position: ReplaySource.Position) {
        self.control.withLock { $0.seek = position }
    }

    /// Whether a seek or steps asked for are still to be done.
    public var isBusy: Bool {
        self.control.withLock { $0.seek != nil || ($0.steps > 0 && $0.state != .finished) }
    }

    /// Waits (up to `timeout`) until the seeks and steps asked for are done, so that an answer shows their effect.
    public func settle(timeout: Duration = .seconds(5)) async {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while self.isBusy, clock.now < deadline {
            try? await clock.sleep(for: .milliseconds(2))
        }
    }

    public func setSpeed(_ speed: Speed) {
        self.control.withLock { control in
            control.speed = speed
            control.anchor = nil
        }
    }

    // MARK: Running

    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await self.loop()
            }
        } catch is CancellationError {
            // Graceful shutdown cancels the loop between two events: a normal end.
        }
    }

    private func loop() async throws {
        let clock = ContinuousClock()
        // The reader is this task's alone: SQLite connections are used by one thread at a time.
        let reader = try JournalReader(path: self.source.path)
        let runID = self.source.run.id
        var snapshots = [Snapshot(seq: self.source.span.firstSeq - 1,
                                  state: RestaurantState(definition: self.source.restaurant))]
        var page: [JournalEvent] = []
        var pageIndex = 0
        var faultIndex = 0

        /// Rebuilds the state as of just before `target` and moves the cursor there.
        func move(to target: Int64) throws {
            let snapshot = snapshots.last { $0.seq < target } ?? snapshots[0]
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
            self.pipeline.restore(state)
            page = []
            pageIndex = 0
            faultIndex = self.source.faults.firstIndex { $0.afterSeq >= target - 1 } ?? self.source.faults.count
            let previous = target > self.source.fromSeq
                ? try reader.events(runID: runID, fromSeq: target - 1, limit: 1).first : nil
            self.control.withLock { control in
                control.cursor = target
                control.anchor = nil
                control.lastSeq = previous?.seq
                control.lastWallMillis = previous?.wallMillis
            }
        }

        try move(to: self.source.fromSeq)
        while !Task.isCancelled {
            // A seek first: resolve it against this run, then rebuild the state.
            if let seek = self.control.withLock({ $0.seek }) {
                let target: Int64
                switch seek {
                case .seq(let seq):
                    target = seq
                case .wallMillis(let millis):
                    target = try reader.firstSeq(runID: runID, atOrAfterWallMillis: millis) ?? self.source.toSeq + 1
                case .offset(let seconds):
                    let millis = ReplaySource.Position.wallMillis(offset: seconds,
                                                                  after: self.source.span.firstWallMillis)
                    target = try reader.firstSeq(runID: runID, atOrAfterWallMillis: millis) ?? self.source.toSeq + 1
                }
                try move(to: min(max(target, self.source.fromSeq), self.source.toSeq + 1))
                self.control.withLock { control in
                    if control.state == .finished {
                        control.state = .playing
                    }
                    if control.seek == seek {
                        control.seek = nil
                    }
                }
            }

            // What to do now: wait, or the next event and when it is due.
            let state = self.control.withLock { control -> (State, Bool) in
                if control.state == .waiting, self.clients() >= control.waitForClients {
                    control.state = .playing
                    control.anchor = nil
                }
                return (control.state, control.steps > 0)
            }
            guard state.0 == .playing || state.1 else {
                try await clock.sleep(for: .milliseconds(20))
                continue
            }

            if pageIndex == page.count {
                let cursor = self.control.withLock { $0.cursor }
                page = cursor <= self.source.toSeq
                    ? try reader.events(runID: runID, fromSeq: cursor, limit: 2000).filter { $0.seq <= self.source.toSeq }
                    : []
                pageIndex = 0
                if page.isEmpty {
                    try self.performFaults(upTo: self.source.toSeq, from: &faultIndex)
                    let loops = self.control.withLock { control -> Bool in
                        control.loops += 1
                        control.steps = 0
                        if !control.loop {
                            control.state = .finished
                        }
                        return control.loop
                    }
                    if loops {
                        try move(to: self.source.fromSeq)
                    } else {
                        self.logger.info("replay finished", metadata: ["sent": "\(self.status.sent)"])
                    }
                    continue
                }
            }
            let event = page[pageIndex]

            // When it is due: now for a step or at full speed; otherwise at its original spacing from the anchor.
            let due = self.control.withLock { control -> ContinuousClock.Instant? in
                guard control.steps == 0, case .factor(let factor) = control.speed else { return nil }
                let anchor = control.anchor ?? Anchor(wall: clock.now, monoNanos: event.monoNanos)
                control.anchor = anchor
                let spacing = Speed.spacing(from: anchor.monoNanos, to: event.monoNanos, factor: factor)
                return anchor.wall + .nanoseconds(spacing)
            }
            if let due, !(try await Pacing.wait(until: due, clock: clock)) {
                continue
            }

            if self.pipeline.journalIsBehind {
                try await Pacing.waitWhileJournalBehind(self.pipeline, clock: clock, logger: self.logger)
            }
            try self.performFaults(upTo: event.seq - 1, from: &faultIndex)
            let admitted = self.control.withLock { $0.filter.admits(event.name) }
            try self.pipeline.replay(event, sends: admitted)
            pageIndex += 1
            self.control.withLock { control in
                control.cursor = event.seq + 1
                control.lastSeq = event.seq
                control.lastWallMillis = event.wallMillis
                if admitted {
                    control.sent += 1
                    if control.steps > 0 {
                        control.steps -= 1
                        control.anchor = nil
                    }
                }
            }
            if (event.seq - self.source.span.firstSeq + 1) % Self.snapshotInterval == 0,
                !snapshots.contains(where: { $0.seq == event.seq })
            {
                snapshots.append(Snapshot(seq: event.seq, state: self.pipeline.snapshot.state))
                snapshots.sort { $0.seq < $1.seq }
            }
        }
    }

    /// Performs the recorded faults that struck after events up to `seq`.
    private func performFaults(upTo seq: Int64, from index: inout Int) throws {
        let faults = self.source.faults
        while index < faults.count, faults[index].afterSeq <= seq {
            let recorded = faults[index]
            index += 1
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
