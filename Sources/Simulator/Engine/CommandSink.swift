import Restaurant

/// Where ``SimulationEngine`` sends its intents: the owner of the current restaurant state.
///
/// The engine never holds the state. Each intent becomes a command that the sink runs against the state as it is at
/// that moment (in `serve`, REST users change it too), so an intent always resolves against the truth. `LocalSink`
/// owns a state for tests and `simulate`; the server's sink runs the command under the store's lock and emits
/// through the server's emission pipeline.
public protocol CommandSink {
    /// Runs the command on the current state; on success the events are applied and emitted, in order. Nothing
    /// changes on failure.
    ///
    /// A command may return no events (the engine reads the state that way); then nothing is applied or emitted and
    /// the result is a success with no events.
    ///
    /// - Returns: The events applied and emitted, or why the command refused.
    mutating func perform(
        _ command: (borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent]
    ) -> Result<[RestaurantEvent], CommandError>

    /// Injects a fault of the scenario's `faults:` section; what it sends is not a transition, so the engine does
    /// not see it.
    mutating func inject(_ fault: Fault)
}

/// A sink that owns a restaurant state and applies events to it, without a journal or clients: for tests,
/// benchmarks and `simulate`.
public struct LocalSink: CommandSink, Sendable {
    /// The restaurant as the applied events have made it.
    public var state: RestaurantState
    /// Whether ``emitted`` keeps every event applied; off, the sink only counts them.
    public var recordsEvents: Bool
    /// The events applied so far, in order, when ``recordsEvents`` is on.
    public var emitted: [RestaurantEvent] = []
    /// How many events were applied.
    public private(set) var eventCount = 0
    /// The faults injected, in order, when ``recordsEvents`` is on.
    public var faults: [Fault] = []
    /// How many faults were injected.
    public private(set) var faultCount = 0

    /// A sink over `state`.
    public init(state: RestaurantState, recordsEvents: Bool = false) {
        self.state = state
        self.recordsEvents = recordsEvents
    }

    /// A sink over a fresh restaurant.
    public init(definition: RestaurantDefinition, recordsEvents: Bool = false) {
        self.init(state: RestaurantState(definition: definition), recordsEvents: recordsEvents)
    }

    public mutating func perform(
        _ command: (borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent]
    ) -> Result<[RestaurantEvent], CommandError> {
        let events: [RestaurantEvent]
        do throws(CommandError) {
            events = try command(self.state)
        } catch {
            return .failure(error)
        }
        // The command checked its events against this state: commit them without checking again.
        self.state.commit(commandEvents: events)
        if self.recordsEvents {
            self.emitted.append(contentsOf: events)
        }
        self.eventCount += events.count
        return .success(events)
    }

    public mutating func inject(_ fault: Fault) {
        if self.recordsEvents {
            self.faults.append(fault)
        }
        self.faultCount += 1
    }
}
