/// What a simulation has done so far, beyond its events: how parties fared and what no longer applied.
public struct SimulationStatistics: Sendable, Hashable {
    /// Parties that arrived.
    public var arrivals = 0
    /// Parties that arrived in each phase, by phase index (over every pass, when the scenario loops).
    public var arrivalsByPhase: [Int]
    /// Parties seated (at once or after waiting).
    public var partiesSeated = 0
    /// Parties seated after waiting for a table.
    public var partiesSeatedAfterWaiting = 0
    /// Parties that found no table and left, at once or after their patience ran out.
    public var partiesTurnedAway = 0
    /// Parties that checked out.
    public var partiesLeft = 0
    /// Parties the engine stopped driving: their table was force-reset, or someone else changed it under them.
    public var partiesForgotten = 0
    /// Force resets the engine performed.
    public var forceResets = 0
    /// Intents that no longer applied when their time came (a table taken, an order already closed), so emitted
    /// nothing.
    public var intentsDropped = 0
    /// Faults of the scenario's `faults:` section handed to the sink.
    public var faultsInjected = 0

    public init(phaseCount: Int) {
        self.arrivalsByPhase = Array(repeating: 0, count: phaseCount)
    }
}
