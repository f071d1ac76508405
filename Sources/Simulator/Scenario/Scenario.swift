import Restaurant

/// What a simulation runs: a restaurant, the traffic it sees, the phases that shape that traffic over model time, how
/// model time maps onto the wall clock, and a seed.
///
/// Read from YAML with ``load(path:)`` or ``parse(_:path:)`` (the schema is in `Scenarios/README.md`), or taken from
/// ``ScenarioLibrary``. A scenario is a pure value: ``SimulationEngine`` turns it into events.
public struct Scenario: Sendable, Hashable {
    /// How the runner maps model time onto the wall clock.
    public enum Pacing: Sendable, Hashable {
        /// Model seconds per wall-clock second: `60` runs a three-hour dinner in three minutes.
        case timeScale(Double)
        /// A target event rate in events per wall-clock second, for load tests, constant or in stages that ramp it:
        /// the runner emits at that rate and model time runs as fast as it must to supply the events.
        case rate(RateSchedule)
    }

    /// A stretch of model time with its own arrival rate, in Artillery's vocabulary.
    public struct Phase: Sendable, Hashable {
        /// The phase's name, as the control API and the logs show it.
        public var name: String
        /// How long the phase lasts, in model seconds; positive.
        public var duration: Double
        /// Party arrivals per model second at the start of the phase; 0 in a pause.
        public var arrivalRate: Double
        /// Party arrivals per model second at the end of the phase: the rate ramps linearly from ``arrivalRate``.
        /// Equal to ``arrivalRate`` when the phase does not ramp.
        public var rampTo: Double
        /// Whether the phase is a `pause`: no party arrives (seated parties, staff and the kitchen carry on).
        public var isPause: Bool

        public init(name: String, duration: Double, arrivalRate: Double, rampTo: Double? = nil) {
            self.name = name
            self.duration = duration
            self.arrivalRate = arrivalRate
            self.rampTo = rampTo ?? arrivalRate
            self.isPause = false
        }

        /// A pause: `duration` model seconds without arrivals.
        public static func pause(name: String, duration: Double) -> Phase {
            var phase = Phase(name: name, duration: duration, arrivalRate: 0)
            phase.isPause = true
            return phase
        }

        /// The expected number of arrivals in the phase: the area under the (linear) rate.
        public var expectedArrivals: Double {
            self.isPause ? 0 : (self.arrivalRate + self.rampTo) / 2 * self.duration
        }
    }

    /// The scenario's name (`default`, `dinner-rush`).
    public var name: String
    /// What the scenario is for, in a sentence, if the file says.
    public var summary: String?
    /// The restaurant the run starts from.
    public var restaurant: RestaurantDefinition
    /// Where the restaurant came from: `default`, `inline`, or the file's path as resolved.
    public var restaurantSource: String
    /// The traffic model: parties, orders, service calls, staff chatter, menu and user changes, force resets.
    public var traffic: TrafficModel
    /// The phases, in order; at least one, each longer than 0s.
    public var phases: [Phase]
    /// How model time maps onto the wall clock.
    public var pacing: Pacing
    /// Whether the phases start over after the last one (forever); otherwise arrivals and staff activity stop after
    /// the last phase and the run ends when the last party has left.
    public var loop: Bool
    /// The seed of every random draw.
    public var seed: UInt64
    /// The faults injected while the scenario runs; none unless its file has a `faults:` section.
    public var faults: FaultSchedule

    public init(
        name: String,
        summary: String? = nil,
        restaurant: RestaurantDefinition = .default,
        restaurantSource: String = "default",
        traffic: TrafficModel = TrafficModel(),
        phases: [Phase],
        pacing: Pacing = .timeScale(1),
        loop: Bool = false,
        seed: UInt64 = 1,
        faults: FaultSchedule = FaultSchedule()
    ) {
        precondition(!phases.isEmpty, "a scenario needs at least one phase")
        precondition(phases.allSatisfy { $0.duration > 0 }, "every phase must last longer than 0s")
        self.name = name
        self.summary = summary
        self.restaurant = restaurant
        self.restaurantSource = restaurantSource
        self.traffic = traffic
        self.phases = phases
        self.pacing = pacing
        self.loop = loop
        self.seed = seed
        self.faults = faults
    }

    /// The length of one pass through the phases, in model seconds.
    public var cycleDuration: Double {
        self.phases.reduce(0) { $0 + $1.duration }
    }

    /// The phase at a model time, with its index; after the last phase of a scenario that does not loop, the last
    /// phase.
    public func phase(at time: Double) -> (index: Int, phase: Phase) {
        let cycle = self.cycleDuration
        var offset = max(0, time)
        if self.loop, cycle > 0 {
            offset -= (offset / cycle).rounded(.down) * cycle
        }
        var end = 0.0
        for (index, phase) in self.phases.enumerated() {
            end += phase.duration
            if offset < end {
                return (index, phase)
            }
        }
        return (self.phases.count - 1, self.phases[self.phases.count - 1])
    }
}
