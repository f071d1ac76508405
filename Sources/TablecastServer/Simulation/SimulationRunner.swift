import Logging
import Restaurant
import ServiceLifecycle
import Simulator

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

    /// What the control API reads and changes while the simulation runs, under the runner's lock.
    struct Pace: Sendable {
        var scenario: Scenario
        /// A new scenario's engine, for the runner to take before its next intent.
        var newEngine: SimulationEngine?
        var phase: String
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
    struct Anchor: Sendable {
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


    private let runner: PacedRunner<SimulationSource>
    private let engine: SimulationEngine

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
        let engine = SimulationEngine(scenario: scenario)
        self.engine = engine
        self.runner = PacedRunner(
            shared: Pace(scenario: scenario, phase: engine.phase.name, timeScale: timeScale, rate: rate),
            waitForClients: 0, pipeline: pipeline, clients: { 0 }, logger: logger
        )
        self.pipeline = pipeline
        self.logger = logger
    }

    private let pipeline: EmissionPipeline
    private let logger: Logger

    public var status: Status {
        self.runner.read { control in
            let pace = control.shared
            let now = ContinuousClock.now
            let seconds = pace.startedAt.map { Self.seconds(since: $0, now: now) } ?? 0
            let target = pace.rate.map {
                $0.rate(at: Self.schedulePosition(pace, paused: control.state != .playing, now: now))
            }
            return Status(scenario: pace.scenario.name, phase: pace.phase, paused: control.state == .paused,
                          timeScale: pace.timeScale, targetRate: target?.rate, rateStage: target?.stage,
                          events: pace.events,
                          achievedRate: seconds > 0 ? Double(pace.events - pace.eventsAtStart) / seconds : 0)
        }
    }

    public func run() async throws {
        self.runner.change { $0.startedAt = ContinuousClock.now }
        do {
            try await self.runner.run(SimulationSource(engine: self.engine, pipeline: self.pipeline,
                                                       logger: self.logger))
        } catch is EmissionPipeline.Failure {
            // The journal refused an event (logged): the simulation stops, the server goes on serving.
        }
    }

    /// Pauses or resumes; a resumed run re-anchors its pace at the moment it resumes.
    public func setPaused(_ paused: Bool) {
        self.runner.setPaused(paused)
    }

    /// Waits (up to `timeout`) until no event is on its way out: after a pause, nothing more leaves.
    public func settle(timeout: Duration = .seconds(5)) async {
        await self.runner.settle(timeout: timeout)
    }

    /// Where the rate's schedule stands now, in seconds into it.
    private static func schedulePosition(_ pace: Pace, paused: Bool, now: ContinuousClock.Instant) -> Double {
        guard let anchor = pace.anchor, !paused, pace.rate != nil else {
            return pace.scheduleOffset.seconds
        }
        return pace.scheduleOffset.seconds + Self.seconds(since: anchor.wall, now: now)
    }

    /// Switches to another scenario from now on, with its own pace. The restaurant stays as it is (tables, menu,
    /// staff, open orders): the new engine takes over the occupied tables and sees their parties out, so no
    /// lifecycle breaks.
    public func switchScenario(_ scenario: Scenario) {
        let engine = SimulationEngine(scenario: scenario)
        self.runner.change { pace in
            pace.newEngine = engine
            pace.scenario = scenario
            pace.phase = engine.phase.name
            Self.setPacing(scenario.pacing, &pace)
        }
        self.runner.resumeIfFinished()
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
        self.runner.change { pace in
            Self.setPacing(pacing, &pace)
        }
    }

    /// A new pace from now on; a new rate schedule starts from its beginning.
    private static func setPacing(_ pacing: Scenario.Pacing, _ pace: inout Pace) {
        switch pacing {
        case .timeScale(let scale):
            pace.timeScale = scale
            pace.rate = nil
        case .rate(let rate):
            pace.rate = rate
        }
        pace.scheduleOffset = (0, 0)
        pace.anchor = nil
        pace.startedAt = ContinuousClock.now
        pace.eventsAtStart = pace.events
    }
}

/// The simulation as a paced source: the engine, owned by the runner's task; its intents go into the pipeline.
struct SimulationSource: PacedSource {
    typealias Shared = SimulationRunner.Pace
    typealias Position = Never
    /// The model time of the next intent.
    typealias Item = Double

    var engine: SimulationEngine
    var sink: PipelineSink
    let logger: Logger

    init(engine: SimulationEngine, pipeline: EmissionPipeline, logger: Logger) {
        self.engine = engine
        self.sink = PipelineSink(pipeline: pipeline)
        self.logger = logger
    }

    mutating func adopt(_ pace: inout Shared) {
        if let engine = pace.newEngine {
            self.engine = engine
            pace.newEngine = nil
        }
    }

    mutating func seek(to position: Never?) async throws {}

    mutating func next() async throws -> Double? {
        self.engine.nextTime
    }

    func due(of next: Double, _ pace: inout Shared, now: ContinuousClock.Instant) -> Due {
        let anchor = pace.anchor ?? SimulationRunner.Anchor(wall: now, modelTime: next, events: pace.events)
        pace.anchor = anchor
        if let rate = pace.rate {
            let offset = pace.scheduleOffset
            let event = offset.events + Double(pace.events - anchor.events)
            // A rate that ended at 0 emits nothing more: wait as when paused.
            guard let due = rate.time(ofEvent: event) else { return .never }
            return .at(anchor.wall + SimulationRunner.delay(seconds: due - offset.seconds))
        }
        return .at(anchor.wall + SimulationRunner.delay(seconds: (next - anchor.modelTime) / pace.timeScale))
    }

    /// How many events the last step emitted, for ``performed(_:counted:_:)``.
    private var lastStepEvents = 0

    mutating func perform(_ next: Double) async throws -> Bool {
        let events = self.engine.step(at: Timestamp(millisecondsSince1970: EmissionClock.wallMillis()), sink: &self.sink)
        self.lastStepEvents = events.count
        if let failure = self.sink.failure {
            self.logger.error("simulation stopped: \(failure)")
            throw failure
        }
        return true
    }

    func performed(_ next: Double, counted: Bool, _ pace: inout Shared) {
        pace.events += self.lastStepEvents
        pace.phase = self.engine.phase.name
    }

    func sought(_ pace: inout Shared) {}

    mutating func ended(_ pace: inout Shared) -> Bool {
        false
    }

    /// Remembers how far into the rate's schedule the run got, before the anchor is dropped, so that the schedule
    /// resumes there rather than from its start.
    static func interrupt(_ pace: inout Shared, now: ContinuousClock.Instant) {
        if let anchor = pace.anchor, let rate = pace.rate {
            let events = pace.scheduleOffset.events + Double(pace.events - anchor.events)
            pace.scheduleOffset = (rate.time(ofEvent: events) ?? pace.scheduleOffset.seconds, events)
        }
        pace.anchor = nil
    }
}
