import Foundation
import Restaurant
import Simulator
import Testing

struct SimulationEngineTests {
    /// The bytes a journal would hold: name, payload and detail of each event, in order.
    private static func bytes(of scenario: Scenario, events: Int) -> [UInt8] {
        var run = SimulationRun(scenario)
        var bytes: [UInt8] = []
        run.run(events: events) { event, _ in
            bytes.append(contentsOf: event.name.rawValue.utf8)
            bytes.append(contentsOf: event.payload)
            bytes.append(contentsOf: event.detail ?? [])
        }
        return bytes
    }

    @Test func theSameScenarioAndSeedGiveTheSameBytes() throws {
        let scenario = try #require(ScenarioLibrary.named("dinner-rush"))
        let first = Self.bytes(of: scenario, events: 20_000)
        let second = Self.bytes(of: scenario, events: 20_000)
        #expect(first.count > 2_000_000)
        #expect(first == second)
        var reseeded = scenario
        reseeded.seed += 1
        #expect(Self.bytes(of: reseeded, events: 20_000) != first)
    }

    /// Each shipped scenario, through the lifecycle rules and payload schemas as `journal verify` checks them.
    ///
    /// 200,000 events each: a debug build verifies about 9,000 events a second, so a million per scenario would take
    /// nearly two minutes each here; the million-event check runs through the CLI on a release build.
    @Test(arguments: ["default", "dinner-rush", "steady-load"])
    func aShippedScenarioVerifiesClean(name: String) throws {
        let scenario = try #require(ScenarioLibrary.named(name))
        var run = SimulationRun(scenario)
        var stream = VerifiedStream(definition: scenario.restaurant)
        var names = Set<EventName>()
        run.run(events: 200_000) { event, _ in
            stream.add(event)
            names.insert(event.name)
        }
        #expect(run.engine.eventsEmitted >= 200_000)
        #expect(stream.verifier.eventCount == run.engine.eventsEmitted)
        #expect(stream.verifier.errorCount == 0)
        #expect(stream.verifier.warningCount == 0)
        // The verifier's rebuilt restaurant is the one the engine drove.
        #expect(stream.verifier.state == run.sink.state)
        // Every event of the catalog appears.
        #expect(names == Set(EventName.allCases), "missing: \(Set(EventName.allCases).subtracting(names))")
    }

    @Test func aScenarioThatDoesNotLoopEndsWithEveryLifecycleClosed() throws {
        var scenario = try #require(ScenarioLibrary.named("dinner-rush"))
        scenario.loop = false
        var run = SimulationRun(scenario)
        var stream = VerifiedStream(definition: scenario.restaurant)
        run.run(until: .infinity) { event, _ in stream.add(event) }
        #expect(run.engine.isFinished)
        #expect(run.engine.nextTime == nil)
        #expect(run.engine.eventsEmitted > 500)
        #expect(stream.verifier.errorCount == 0)
        let state = run.sink.state
        #expect(state.tables.values.allSatisfy { $0.status == .available })
        #expect(state.orders(status: .pending).isEmpty)
        #expect(state.orders(status: .served).isEmpty)
        #expect(state.serviceCalls(status: .pending).isEmpty)
        let statistics = run.engine.statistics
        #expect(statistics.partiesSeated == statistics.partiesLeft + statistics.partiesForgotten)
        #expect(statistics.arrivalsByPhase.last == 0, "the closing pause has no arrivals")
    }

    // MARK: Phases

    /// A restaurant big enough that every party is seated, and phases whose arrival counts are easy to predict.
    private static let phaseScenario = """
        name: phases
        seed: 5
        restaurant:
          tables: [{ numbers: 1..2000, seats: 8 }]
          menu: [{ id: 1, name: Soup, category: Starters, price: 500 }]
          staff: [{ id: 1, username: ana, role: waiter }]
        phases:
          - { name: steady, duration: 10m, arrivalRate: 30/min }
          - { name: ramp, duration: 10m, arrivalRate: 30/min, rampTo: 90/min }
          - { name: lull, pause: 10m }
          - { name: again, duration: 10m, arrivalRate: 60/min }
        traffic:
          chatter: { rate: 0, deleteAllRate: 0 }
          menuChanges: { rate: 0 }
          userChanges: { rate: 0 }
          forceResets: { rate: 0 }
        """

    @Test func phasesShapeTheArrivals() throws {
        let scenario = try Scenario.make(Self.phaseScenario)
        var run = SimulationRun(scenario)
        var arrivalTimes: [Double] = []
        var phaseNames: [Int: Set<String>] = [:]
        while let time = run.engine.nextTime {
            let before = run.engine.statistics.arrivals
            _ = run.engine.step(at: SimulationRun.timestamp(time), sink: &run.sink)
            if run.engine.statistics.arrivals > before {
                arrivalTimes.append(time)
                phaseNames[Int(time / 600), default: []].insert(run.engine.phase.name)
            }
        }
        let byPhase = run.engine.statistics.arrivalsByPhase
        // Expected 300, 600, 0 and 600; Poisson, so a standard deviation of about √n. Five of them is the bound.
        #expect(abs(byPhase[0] - 300) < 90, "\(byPhase)")
        #expect(abs(byPhase[1] - 600) < 125, "\(byPhase)")
        #expect(byPhase[2] == 0, "a pause has no arrivals: \(byPhase)")
        #expect(abs(byPhase[3] - 600) < 125, "\(byPhase)")
        #expect(run.engine.statistics.partiesTurnedAway == 0)
        // The counts by time agree with the counts by phase, and the engine names the phase it is in.
        for phase in 0..<4 {
            let count = arrivalTimes.filter { Int($0 / 600) == phase }.count
            #expect(count == byPhase[phase])
        }
        #expect(phaseNames == [0: ["steady"], 1: ["ramp"], 3: ["again"]])
        // The ramp rises: from 30/min to 90/min, so 225 expected in its first half and 375 in its second.
        let firstHalf = arrivalTimes.filter { (600..<900).contains($0) }.count
        let secondHalf = arrivalTimes.filter { (900..<1200).contains($0) }.count
        #expect(secondHalf - firstHalf > 60, "\(firstHalf) then \(secondHalf)")
        // Arrivals are a Poisson process: exponential gaps, whose standard deviation equals their mean, never bunched.
        let steady = arrivalTimes.filter { $0 >= 1800 }
        let gaps = zip(steady.dropFirst(), steady).map { $0 - $1 }
        let mean = gaps.reduce(0, +) / Double(gaps.count)
        let deviation = (gaps.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(gaps.count)).squareRoot()
        #expect(abs(mean - 1) < 0.15, "mean gap \(mean) s at 60/min")
        #expect(abs(deviation / mean - 1) < 0.15, "coefficient of variation \(deviation / mean)")
        #expect(Set(arrivalTimes).count == arrivalTimes.count)
    }

    @Test func rampToIncreasesArrivals() throws {
        let base = """
            name: ramp
            seed: 9
            phases:
              - { name: p, duration: 1h, arrivalRate: 60/h%@ }
            """
        func arrivals(_ ramp: String) throws -> Int {
            let text = base.replacingOccurrences(of: "%@", with: ramp)
            var run = SimulationRun(try Scenario.make(text))
            run.run(until: .infinity)
            return run.engine.statistics.arrivals
        }
        let flat = try arrivals("")
        let up = try arrivals(", rampTo: 240/h")
        let down = try arrivals(", rampTo: 0/h")
        // Expected 60, 150 and 30.
        #expect(up > flat + 40, "flat \(flat), ramped up \(up)")
        #expect(down < flat - 10, "flat \(flat), ramped down \(down)")
    }

    @Test func aLoopingScenarioStartsOverAfterItsLastPhase() throws {
        var scenario = try Scenario.make(Self.phaseScenario)
        scenario.loop = true
        var run = SimulationRun(scenario)
        run.run(until: 2400 + 300)
        #expect(run.engine.phase.index == 0)
        #expect(run.engine.phase.name == "steady")
        // Expected 300 in the first pass and 150 in the half of the second.
        #expect(run.engine.statistics.arrivalsByPhase[0] > 360, "\(run.engine.statistics.arrivalsByPhase)")
        #expect(run.engine.nextTime != nil)
    }

    // MARK: The state changing under the engine

    /// A REST user keeps changing the restaurant while the simulation runs: the engine never emits a refused event,
    /// drops what no longer applies, and the whole stream stays consistent.
    @Test func userChangesBetweenStepsNeverBreakALifecycle() throws {
        var scenario = try #require(ScenarioLibrary.named("default"))
        // Ten lunches, then the run ends, so that the end state can be checked.
        scenario.phases = Array(repeating: scenario.phases, count: 10).flatMap { $0 }
        scenario.loop = false
        var run = SimulationRun(scenario)
        var stream = VerifiedStream(definition: scenario.restaurant)
        var random = SimulationRandom(seed: 77)
        var userEvents = 0
        var steps = 0
        while let time = run.engine.nextTime {
            for event in run.engine.step(at: SimulationRun.timestamp(time), sink: &run.sink) {
                stream.add(event)
            }
            steps += 1
            guard steps % 5 == 0 else { continue }
            let at = SimulationRun.timestamp(time)
            let table = random.int(in: 1...20)
            let roll = random.index(6)
            let result = run.sink.perform {
                (state: borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent] in
                switch roll {
                case 0: return try state.forceReset(tableNumber: table, at: at)
                case 1: return [try state.startCheckout(tableNumber: table)]
                case 2: return [try state.activateTable(tableNumber: table)]
                case 3:
                    guard let order = state.openOrders(tableNumber: table).first else { return [] }
                    return [try state.cancelOrder(id: order.id, at: at)]
                case 4:
                    guard let order = state.openOrders(tableNumber: table).first(where: { $0.status == .pending })
                    else { return [] }
                    return [try state.serveOrder(id: order.id, at: at)]
                default:
                    guard let call = state.pendingServiceCall(tableNumber: table) else { return [] }
                    return [try state.handleServiceCall(id: call.id, byUserId: nil, at: at)]
                }
            }
            if case .success(let events) = result {
                for event in events {
                    stream.add(event)
                    userEvents += 1
                }
            }
        }
        #expect(userEvents > 200)
        #expect(run.engine.eventsEmitted > 3000)
        #expect(stream.verifier.errorCount == 0)
        #expect(run.engine.statistics.partiesForgotten > run.engine.statistics.forceResets)
        #expect(run.engine.statistics.intentsDropped > 0)
        // Every order the engine placed was seen through, by it or by the user.
        #expect(run.sink.state.orders(status: .pending).isEmpty)
        #expect(run.sink.state.orders(status: .served).isEmpty)
    }

    /// An engine started over a restaurant already in service takes over its tables and closes what is open.
    @Test func tablesOccupiedBeforeTheStartAreSeenThrough() throws {
        let scenario = try Scenario.make("name: closing\nphases:\n  - { name: closed, pause: 4h }\n")
        var state = RestaurantState(definition: scenario.restaurant)
        let at = SimulationRun.timestamp(0)
        for event in try [
            state.activateTable(tableNumber: 1), state.activateTable(tableNumber: 2),
        ] {
            try state.apply(event)
        }
        try state.apply(try state.createOrder(tableNumber: 1, items: [.init(menuItemId: 12, quantity: 2)], at: at))
        try state.apply(try state.createOrder(tableNumber: 2, items: [.init(menuItemId: 3, quantity: 1)], at: at))
        try state.apply(try state.serveOrder(id: 2, at: at))
        try state.apply(try state.startCheckout(tableNumber: 2))
        try state.apply(try state.callService(tableNumber: 1, type: .water, at: at))
        try state.apply(try state.activateTable(tableNumber: 3))

        var engine = SimulationEngine(scenario: scenario)
        var sink = LocalSink(state: state, recordsEvents: true)
        while let time = engine.nextTime {
            _ = engine.step(at: SimulationRun.timestamp(time), sink: &sink)
        }
        let end = sink.state
        #expect(end.tables.values.allSatisfy { $0.status == .available })
        #expect(end.orders[1]?.status == .completed || end.orders[1]?.status == .cancelled)
        #expect(end.orders[2]?.status == .completed || end.orders[2]?.status == .cancelled)
        #expect(end.serviceCalls(status: .pending).isEmpty)
        #expect(sink.emitted.contains(.tableCheckoutCompleted(tableNumber: 3)))
    }

    @Test func aRestaurantWithoutTablesOrMenuOnlyChatters() throws {
        let scenario = try Scenario.make(
            """
            name: empty
            restaurant: { tables: [], menu: [], staff: [{ id: 1, username: ana, role: waiter }] }
            phases: [{ name: p, duration: 2h, arrivalRate: 60/h }]
            traffic: { chatter: { rate: 60/h } }
            """
        )
        var run = SimulationRun(scenario)
        var stream = VerifiedStream(definition: scenario.restaurant)
        run.run(until: .infinity) { event, _ in stream.add(event) }
        #expect(run.engine.statistics.arrivals > 50)
        #expect(run.engine.statistics.partiesSeated == 0)
        #expect(run.engine.eventsEmitted > 50)
        #expect(stream.verifier.errorCount == 0)
    }
}
