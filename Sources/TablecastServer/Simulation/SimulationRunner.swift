import Logging
import Restaurant
import ServiceLifecycle
import Simulator
import Synchronization

/// Drives a scenario in real time against the live restaurant: the `serve` side of the simulator.
///
/// Each intent of the engine is performed through the ``EmissionPipeline`` at its due time. With a time scale, an
/// intent at model time `t` is due `t / timeScale` after the start; with a target rate, the `n`-th event is due when
/// the rate's schedule has supplied `n` events (`n / rate` for a constant rate), whatever the model says (the model's
/// time then runs as fast as the rate needs).
/// Due times are kept against one anchor, so that sleeping late never accumulates drift; an event that is less than
/// 100 µs early leaves at once rather than paying for a sleep.
public final class SimulationRunner: Service, Sendable {
    /// What the runner is doing; read by the control API.
    public struct Status: Sendable {
        public var scenario: String
        public var phase: String
        public var paused: Bool
        public var timeScale: Double
        /// The target rate now (it moves during a ramp).
        public var targetRate: Double?
        /// The name of the rate stage now, while a staged rate runs its stages.
        public var rateStage: String?
        public var events: Int
        public var achievedRate: Double
    }

    private struct Control {
        var engine: SimulationEngine
        var scenario: Scenario
        var paused = false
        var timeScale: Double
        var rate: RateSchedule?
        /// Where the rate's schedule stood at the anchor: seconds and events into it, so that a pause or a pace
        /// change of another kind resumes a ramp where it was.
        var scheduleOffset = (seconds: 0.0, events: 0.0)
        var events = 0
        var startedAt: ContinuousClock.Instant?
        /// The event count when `startedAt` was set, so that the achieved rate covers the current pace only.
        var eventsAtStart = 0
        var anchor: Anchor?
    }

    /// The point due times are measured from; reset when the pace changes.
    private struct Anchor {
        var wall: ContinuousClock.Instant
        var modelTime: Double
        var events: Int
    }

    /// Seconds since `instant`.
    /// A delay of `seconds`, saturated at about 30 years either way: a time scale of 1e-300 or a rate of 1e-300/s is
    /// valid input (positive and finite) whose delays a `Duration` cannot hold; the simulation then simply waits.
    static func delay(seconds: Double) -> Duration {
        let bound = 1e9
        guard !seconds.isNaN else { return .seconds(bound) }
        return .seconds(min(max(seconds, -bound), bound))
    }

    private static func seconds(since instant: ContinuousClock.Instant, now: ContinuousClock.Instant) -> Double {
        let elapsed = (now - instant).components
        return Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
    }


    private let control: Mutex<Control>
    private let pipeline: EmissionPipeline
    private let logger: Logger

    public init(scenario: Scenario, pipeline: EmissionPipeline, logger: Logger) {
        let timeScale: Double
        let rate: RateSchedule?
        switch scenario.pacing {
        case .timeScale(let scale):
            timeScale = scale
            rate = nil
        case .rate(let schedule):
            timeScale = 1
            rate = schedule
        }
        self.control = Mutex(Control(engine: SimulationEngine(scenario: scenario), scenario: scenario,
                                     timeScale: timeScale, rate: rate))
        self.pipeline = pipeline
        self.logger = logger
    }

    public var status: Status {
        self.control.withLock { control in
            let now = ContinuousClock.now
            let seconds = control.startedAt.map { Self.seconds(since: $0, now: now) } ?? 0
            let target = control.rate.map { $0.rate(at: Self.schedulePosition(control, now: now)) }
            return Status(scenario: control.scenario.name, phase: control.engine.phase.name, paused: control.paused,
                          timeScale: control.timeScale, targetRate: target?.rate, rateStage: target?.stage,
                          events: control.events,
                          achievedRate: seconds > 0 ? Double(control.events - control.eventsAtStart) / seconds : 0)
        }
    }

    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await self.loop()
            }
        } catch is CancellationError {
            // Graceful shutdown cancels the loop between two intents: a normal end.
        }
    }

    private func loop() async throws {
        let clock = ContinuousClock()
        var sink = PipelineSink(pipeline: self.pipeline)
        self.control.withLock { $0.startedAt = clock.now }
        while !Task.isCancelled {
            let due: ContinuousClock.Instant? = self.control.withLock { control in
                guard !control.paused, let next = control.engine.nextTime else { return nil }
                let now = clock.now
                let anchor = control.anchor ?? Anchor(wall: now, modelTime: next, events: control.events)
                control.anchor = anchor
                if let rate = control.rate {
                    let offset = control.scheduleOffset
                    let event = offset.events + Double(control.events - anchor.events)
                    // A rate that ended at 0 emits nothing more: wait as when paused.
                    guard let due = rate.time(ofEvent: event) else { return nil }
                    return anchor.wall + Self.delay(seconds: due - offset.seconds)
                }
                return anchor.wall + Self.delay(seconds: (next - anchor.modelTime) / control.timeScale)
            }
            guard let due else {
                // Paused or finished: check again soon; resuming re-anchors.
                try await clock.sleep(for: .milliseconds(50))
                continue
            }
            guard try await Pacing.wait(until: due, clock: clock) else { continue }
            // A journal past its backlog bound holds the simulation back (it catches up on its schedule after).
            if self.pipeline.journalIsBehind {
                try await Pacing.waitWhileJournalBehind(self.pipeline, clock: clock, logger: self.logger)
                continue
            }
            let wallMillis = EmissionClock.wallMillis()
            self.control.withLock { control in
                let events = control.engine.step(at: Timestamp(millisecondsSince1970: wallMillis), sink: &sink)
                control.events += events.count
            }
            if let failure = sink.failure {
                self.logger.error("simulation stopped: \(failure)")
                return
            }
        }
    }

    /// Pauses or resumes; a resumed run re-anchors its pace at the moment it resumes.
    public func setPaused(_ paused: Bool) {
        self.control.withLock { control in
            guard control.paused != paused else { return }
            if paused {
                Self.holdSchedule(&control)
            }
            control.paused = paused
            control.anchor = nil
        }
    }

    /// Where the rate's schedule stands now, in seconds into it.
    private static func schedulePosition(_ control: Control, now: ContinuousClock.Instant) -> Double {
        guard let anchor = control.anchor, !control.paused, control.rate != nil else {
            return control.scheduleOffset.seconds
        }
        return control.scheduleOffset.seconds + Self.seconds(since: anchor.wall, now: now)
    }

    /// Remembers how far into the rate's schedule the run got, before the anchor is dropped, so that the schedule
    /// resumes there rather than from its start.
    private static func holdSchedule(_ control: inout Control) {
        guard let anchor = control.anchor, let rate = control.rate else { return }
        let events = control.scheduleOffset.events + Double(control.events - anchor.events)
        control.scheduleOffset = (rate.time(ofEvent: events) ?? control.scheduleOffset.seconds, events)
    }

    /// Switches to another scenario from now on, with its own pace. The restaurant stays as it is (tables, menu,
    /// staff, open orders): the new engine takes over the occupied tables and sees their parties out, so no
    /// lifecycle breaks.
    public func switchScenario(_ scenario: Scenario) {
        self.control.withLock { control in
            control.engine = SimulationEngine(scenario: scenario)
            control.scenario = scenario
            Self.setPacing(scenario.pacing, &control)
        }
    }

    /// One line for the log: which scenario runs, at what pace.
    public var summary: String {
        let status = self.status
        let pace = status.targetRate.map { rate in
            status.rateStage == nil ? "\(Int(rate)) events/s" : "a staged rate, starting at \(Int(rate)) events/s"
        } ?? "\(status.timeScale)x"
        return "simulating scenario \(status.scenario) at \(pace); GET /_tablecast/simulation for progress"
    }

    /// Changes the pace from now on, keeping every lifecycle as it is.
    public func setPace(_ pacing: Scenario.Pacing) {
        self.control.withLock { control in
            Self.setPacing(pacing, &control)
        }
    }

    /// A new pace from now on; a new rate schedule starts from its beginning.
    private static func setPacing(_ pacing: Scenario.Pacing, _ control: inout Control) {
        switch pacing {
        case .timeScale(let scale):
            control.timeScale = scale
            control.rate = nil
        case .rate(let rate):
            control.rate = rate
        }
        control.scheduleOffset = (0, 0)
        control.anchor = nil
        control.startedAt = ContinuousClock.now
        control.eventsAtStart = control.events
    }
}
