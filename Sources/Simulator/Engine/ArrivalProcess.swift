/// Party arrivals: a Poisson process whose rate follows the phases, ramping linearly within a phase.
///
/// Drawn by thinning (Lewis and Shedler): candidates come at the phase's peak rate and each is kept with probability
/// rate(t) / peak, which gives exactly the ramped process. A candidate past the end of its phase restarts at the next
/// phase (the exponential has no memory), so a change of rate takes effect at the boundary, not one arrival late.
struct ArrivalProcess: Sendable {
    private let phases: [Scenario.Phase]
    private let loops: Bool
    private let hasArrivals: Bool
    /// The phase the last arrival was drawn in, and when that phase started in model time.
    private var phaseIndex = 0
    private var phaseStart = 0.0

    init(scenario: Scenario) {
        self.phases = scenario.phases
        self.loops = scenario.loop
        self.hasArrivals = scenario.phases.contains { !$0.isPause && max($0.arrivalRate, $0.rampTo) > 0 }
    }

    /// The next arrival after `time` and the index of its phase; `nil` once the phases are over (never, when they
    /// loop and some phase has arrivals).
    mutating func next(after time: Double, random: inout SimulationRandom) -> (time: Double, phase: Int)? {
        var time = time
        while self.phaseIndex < self.phases.count {
            let phase = self.phases[self.phaseIndex]
            let end = self.phaseStart + phase.duration
            let peak = max(phase.arrivalRate, phase.rampTo)
            if time >= end || phase.isPause || peak <= 0 {
                time = max(time, end)
                self.advance()
                continue
            }
            time += random.exponential(rate: peak)
            if time >= end {
                time = end
                self.advance()
                continue
            }
            let progress = (time - self.phaseStart) / phase.duration
            let rate = phase.arrivalRate + (phase.rampTo - phase.arrivalRate) * progress
            if rate >= peak || random.unit() * peak < rate {
                return (time, self.phaseIndex)
            }
        }
        return nil
    }

    private mutating func advance() {
        self.phaseStart += self.phases[self.phaseIndex].duration
        self.phaseIndex += 1
        if self.phaseIndex == self.phases.count, self.loops, self.hasArrivals {
            self.phaseIndex = 0
        }
    }
}
