import Restaurant

/// The traffic synthesizer: a discrete-event simulation of a restaurant over model time.
///
/// The engine keeps an agenda of intents (a party arrives, an order is served, a table checks out, a waiter posts a
/// message…) ordered by model time. ``step(at:sink:)`` runs the next one: it becomes a command that the
/// ``CommandSink`` runs against the restaurant state *as it is then*, so an intent that no longer applies (a REST user
/// reset the table) is dropped instead of emitted, and the party it belonged to is forgotten. Every lifecycle the
/// engine starts it also finishes: orders are served, completed or cancelled, calls handled, tables checked out.
///
/// The engine never reads a clock. Model time is seconds since the start; the runner decides how it maps onto the
/// wall clock (``Scenario/pacing``) and passes the timestamp that payloads carry. The same scenario and seed, driven
/// with the same timestamps against the same states, give the same events byte for byte.
///
/// ```swift
/// var engine = SimulationEngine(scenario: try ScenarioLibrary.resolve("default"))
/// var sink = LocalSink(definition: engine.scenario.restaurant)
/// while let time = engine.nextTime, time < 3600 {
///     let at = Timestamp(millisecondsSince1970: start + Int64(time * 1000))
///     for event in engine.step(at: at, sink: &sink) { … }
/// }
/// ```
public struct SimulationEngine: Sendable {
    /// The scenario being run.
    public let scenario: Scenario
    /// The model time of the last intent run, in seconds since the start.
    public private(set) var currentTime = 0.0
    /// How many events the engine's intents have emitted.
    public private(set) var eventsEmitted = 0
    /// How parties fared, and what no longer applied.
    public internal(set) var statistics: SimulationStatistics

    let traffic: TrafficModel
    var random: SimulationRandom
    /// The faults' own random stream, so that a `faults:` section leaves the traffic as it was.
    var faultRandom: SimulationRandom
    var agenda = Agenda()
    var arrivals: ArrivalProcess
    /// Party slots, reused; an intent names a slot and the generation it was scheduled for.
    var parties: [Party] = []
    var freeSlots: [Int32] = []
    var tables = TablePool()
    var waitlist: [WaitingParty] = []
    /// Whether the engine has read the state's tables (on the first step: the engine only sees the state then).
    var isPrepared = false
    /// When staff activity stops: the end of the phases, or never when they loop.
    let activityEnds: Double

    // Caches of the state's ids, refreshed when the state's counts show a change; sorted, so draws are reproducible.
    var menuIds: [Int] = []
    var menuKey = CacheKey()
    var staffIds: [Int] = []
    var handlerIds: [Int] = []
    var staffKey = CacheKey()

    /// Recent messages the engine posted, to edit, pin or delete.
    var messageIds: [Int] = []
    /// Menu items and users the engine created, the only ones it deletes.
    var createdMenuIds: [Int] = []
    var createdUserIds: [Int] = []
    var dishCount = 0
    var usernameCount = 0
    /// Reused for each order's lines.
    var itemBuffer: [OrderItemRequest] = []

    /// An engine at model time 0 with the first arrival and the staff's first actions scheduled.
    public init(scenario: Scenario) {
        self.scenario = scenario
        self.traffic = scenario.traffic
        self.random = SimulationRandom(seed: scenario.seed)
        self.faultRandom = SimulationRandom(seed: scenario.seed ^ 0x6661_756C_7473_2121)  // "faults!!"
        self.arrivals = ArrivalProcess(scenario: scenario)
        self.activityEnds = scenario.loop ? .infinity : scenario.cycleDuration
        self.statistics = SimulationStatistics(phaseCount: scenario.phases.count)
        self.itemBuffer.reserveCapacity(max(8, scenario.traffic.orders.items.upperBound))
        self.scheduleNextArrival(after: 0)
        self.scheduleActivity(.chatter, rate: self.traffic.chatter.rate, after: 0)
        self.scheduleActivity(.deleteAllMessages, rate: self.traffic.chatter.deleteAllRate, after: 0)
        self.scheduleActivity(.menuChange, rate: self.traffic.menuChanges.rate, after: 0)
        self.scheduleActivity(.userChange, rate: self.traffic.userChanges.rate, after: 0)
        self.scheduleActivity(.forceReset, rate: self.traffic.forceResetRate, after: 0)
        for index in scenario.faults.entries.indices {
            self.scheduleFault(index, after: 0)
        }
    }

    /// The model time of the next intent, in seconds since the start; `nil` when the run is over (a scenario that does
    /// not loop, after its phases, once the last party has left).
    public var nextTime: Double? { self.agenda.first?.time }

    /// Whether nothing is left to do.
    public var isFinished: Bool { self.agenda.isEmpty }

    /// The phase at the current model time.
    public var phase: (index: Int, name: String) {
        let current = self.scenario.phase(at: self.currentTime)
        return (current.index, current.phase.name)
    }

    /// Runs the next intent.
    ///
    /// - Parameters:
    ///   - time: The time the events' payloads carry (`createdAt`, `servedAt`…), usually the wall-clock time the
    ///     runner maps the intent's model time (``nextTime``) to.
    ///   - sink: Runs the intent's command on the current state, applies and emits what it returns.
    /// - Returns: The events emitted, in order: usually one; none when the intent no longer applied (or a party found
    ///   no table); several for a force reset (its orders' cancellations, then `table:forceReset`).
    public mutating func step<Sink: CommandSink>(at time: Timestamp, sink: inout Sink) -> [RestaurantEvent] {
        guard let intent = self.agenda.removeFirst() else { return [] }
        self.currentTime = max(self.currentTime, intent.time)
        if !self.isPrepared {
            self.prepare(sink: &sink)
        }
        let events: [RestaurantEvent]
        switch intent.kind {
        case .arrival: events = self.arrive(intent, at: time, sink: &sink)
        case .seatWaiting: events = self.seatWaiting(intent, at: time, sink: &sink)
        case .placeOrder: events = self.placeOrder(intent, at: time, sink: &sink)
        case .serveOrder: events = self.serveOrder(intent, at: time, sink: &sink)
        case .completeOrder: events = self.completeOrder(intent, at: time, sink: &sink)
        case .cancelOrder: events = self.cancelOrder(intent, at: time, sink: &sink)
        case .serviceCall: events = self.callService(intent, at: time, sink: &sink)
        case .handleCall: events = self.handleCall(intent, at: time, sink: &sink)
        case .startCheckout: events = self.startCheckout(intent, at: time, sink: &sink)
        case .completeCheckout: events = self.completeCheckout(intent, at: time, sink: &sink)
        case .chatter: events = self.chatter(intent, at: time, sink: &sink)
        case .deleteAllMessages: events = self.deleteAllMessages(intent, at: time, sink: &sink)
        case .menuChange: events = self.changeMenu(intent, at: time, sink: &sink)
        case .userChange: events = self.changeUsers(intent, at: time, sink: &sink)
        case .forceReset: events = self.forceReset(intent, at: time, sink: &sink)
        case .fault: events = self.injectFault(intent, sink: &sink)
        }
        self.eventsEmitted += events.count
        self.discardVoidIntents()
        return events
    }

    // MARK: Scheduling

    /// Schedules the next arrival, if the phases have one.
    mutating func scheduleNextArrival(after time: Double) {
        if let next = self.arrivals.next(after: time, random: &self.random) {
            self.agenda.schedule(.arrival, at: next.time, extra: Int32(next.phase))
        }
    }

    /// Schedules the next action of a Poisson process of staff activity, until the phases end.
    mutating func scheduleActivity(_ kind: Intent.Kind, rate: Double, after time: Double) {
        guard rate > 0 else { return }
        let next = time + self.random.exponential(rate: rate)
        if next < self.activityEnds {
            self.agenda.schedule(kind, at: next)
        }
    }

    /// Schedules the next strike of the scenario's fault entry `index`, until the phases end.
    mutating func scheduleFault(_ index: Int, after time: Double) {
        let next = time + self.faultRandom.exponential(rate: self.scenario.faults.entries[index].rate)
        if next < self.activityEnds, self.scenario.faults.entries[index].rate > 0 {
            self.agenda.schedule(.fault, at: next, argument: index)
        }
    }

    /// A fault strikes: the sink injects it (it emits no transition of its own).
    private mutating func injectFault<Sink: CommandSink>(_ intent: Intent, sink: inout Sink) -> [RestaurantEvent] {
        self.scheduleFault(intent.argument, after: intent.time)
        sink.inject(self.scenario.faults.entries[intent.argument].template.draw(using: &self.faultRandom))
        self.statistics.faultsInjected += 1
        return []
    }

    /// Drops the intents at the head of the agenda that belong to parties gone since, so that ``nextTime`` names an
    /// intent that still means something.
    private mutating func discardVoidIntents() {
        while let first = self.agenda.first, first.kind.isPartyBound,
            self.parties[Int(first.slot)].generation != first.generation
        {
            _ = self.agenda.removeFirst()
        }
    }

    // MARK: Preparation

    /// Reads the dining room on the first step, and adopts what is already going on: a table occupied before the
    /// engine started (a restored state, a scenario switched at run time) gets a party that sees its open orders
    /// through and checks out; a pending service call gets handled.
    private mutating func prepare<Sink: CommandSink>(sink: inout Sink) {
        self.isPrepared = true
        let now = self.currentTime
        _ = sink.perform { (state: borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent] in
            self.tables = TablePool(state: state)
            for index in self.tables.numbers.indices {
                let number = self.tables.numbers[index]
                guard let table = state.tables[number], table.status != .available else { continue }
                self.adopt(tableIndex: index, table: table, openOrders: state.openOrders(tableNumber: number),
                           now: now)
            }
            for call in state.serviceCalls(status: .pending) {
                let handleAt = now + self.traffic.serviceCalls.handleAfter.draw(using: &self.random)
                self.agenda.schedule(.handleCall, at: handleAt, argument: call.id)
            }
            return []
        }
    }
}

/// A party at a table, as the engine drives it.
struct Party: Sendable {
    /// Increased when the party leaves or is forgotten, voiding its pending intents.
    var generation: UInt32 = 0
    var isSeated = false
    var tableIndex = 0
    var tableNumber = 0
    /// The earliest model time it asks for the check.
    var dwellEnds = 0.0
    var ordersToPlace = 0
    /// Its orders that are still pending or served.
    var openOrders = 0
    var inCheckout = false
}

/// A party waiting for a table.
struct WaitingParty: Sendable {
    var arrivedAt: Double
    var size: Int
}

/// Counts that change whenever a set of ids does (ids only grow, so a creation raises the last id and a deletion alone
/// lowers the count).
struct CacheKey: Sendable, Equatable {
    var count = -1
    var lastId = -1
}
