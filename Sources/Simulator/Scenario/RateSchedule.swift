/// A target event rate over wall-clock time, for load tests: a constant, or stages that hold or ramp it linearly, in
/// Artillery's vocabulary (`duration`, `rate`, `rampTo`). After the last stage the rate stays where it ended.
///
/// The runner asks when the `n`-th event is due (``time(ofEvent:)``): the moment the area under the rate curve reaches
/// `n`. So a ramp spreads its events as evenly as the rate allows, and no rounding accumulates.
public struct RateSchedule: Sendable, Hashable {
    /// A stretch of wall-clock time with a rate that holds or ramps linearly.
    public struct Stage: Sendable, Hashable {
        public var name: String
        /// Seconds, positive.
        public var duration: Double
        /// Events per second at the start.
        public var rate: Double
        /// Events per second at the end: equal to ``rate`` when the stage holds.
        public var rampTo: Double

        public init(name: String, duration: Double, rate: Double, rampTo: Double? = nil) {
            precondition(duration > 0 && rate >= 0 && (rampTo ?? rate) >= 0, "a stage lasts and its rates are >= 0")
            self.name = name
            self.duration = duration
            self.rate = rate
            self.rampTo = rampTo ?? rate
        }

        /// The events due within the stage: the area under its rate.
        var events: Double { (self.rate + self.rampTo) / 2 * self.duration }

        /// Seconds into the stage at which `n` of its events are due (`n` at most ``events``).
        func time(ofEvent n: Double) -> Double {
            guard n > 0 else { return 0 }
            let slope = (self.rampTo - self.rate) / self.duration
            guard abs(slope) > 1e-12 else { return n / self.rate }
            // n = rate·t + slope·t²/2, solved for the root within the stage, in the form that stays exact when
            // the slope is tiny.
            let discriminant = max(0, self.rate * self.rate + 2 * slope * n)
            return 2 * n / (self.rate + discriminant.squareRoot())
        }
    }

    /// The stages, in order; empty for a constant rate.
    public private(set) var stages: [Stage]
    /// The rate after the last stage (or always, without stages).
    public private(set) var finalRate: Double

    /// A rate that never changes.
    public static func constant(_ rate: Double) -> RateSchedule {
        RateSchedule(stages: [], finalRate: rate)
    }

    /// Stages, then the last stage's final rate for ever.
    public init(stages: [Stage]) {
        precondition(!stages.isEmpty, "a staged rate needs a stage")
        self.init(stages: stages, finalRate: stages[stages.count - 1].rampTo)
    }

    private init(stages: [Stage], finalRate: Double) {
        self.stages = stages
        self.finalRate = finalRate
    }

    /// A ramp from `rate` to `rampTo` over `duration` seconds, then `rampTo`.
    public static func ramp(from rate: Double, to rampTo: Double, over duration: Double) -> RateSchedule {
        RateSchedule(stages: [Stage(name: "ramp", duration: duration, rate: rate, rampTo: rampTo)])
    }

    /// Whether the rate never changes.
    public var isConstant: Bool { self.stages.isEmpty }

    /// The seconds since the start at which the `n`-th event is due (`n` from 0); `nil` if it never is (the rate ends
    /// at 0 before it).
    public func time(ofEvent n: Double) -> Double? {
        var start = 0.0
        var remaining = n
        for stage in self.stages {
            let events = stage.events
            if remaining <= events, !(stage.rate == 0 && stage.rampTo == 0) {
                return start + stage.time(ofEvent: remaining)
            }
            remaining -= events
            start += stage.duration
        }
        guard self.finalRate > 0 else { return nil }
        return start + remaining / self.finalRate
    }

    /// The rate and the stage's name at `time` seconds since the start (the name is `nil` after the stages).
    public func rate(at time: Double) -> (rate: Double, stage: String?) {
        var start = 0.0
        for stage in self.stages {
            if time < start + stage.duration {
                let progress = (time - start) / stage.duration
                return (stage.rate + (stage.rampTo - stage.rate) * max(0, progress), stage.name)
            }
            start += stage.duration
        }
        return (self.finalRate, nil)
    }
}
