import Restaurant
import Testing

/// A long seeded run of valid and refused commands: the state rebuilt from what was emitted equals the live state.
struct RandomSequenceTests {
    /// 20,000 commands, run once for the suite.
    static let run = RandomRestaurant.run(seed: 0x7AB1_ECA5_7000_0001, steps: 20_000)

    @Test func commandsOnlyReturnEventsThatApply() {
        let run = Self.run
        #expect(run.applyFailures.isEmpty, "\(run.applyFailures.prefix(5))")
        #expect(run.records.count > 15_000)
        // Every kind of refusal happened, and every event of the catalog was emitted.
        #expect(Set(run.refusals.keys) == ["invalid", "notFound", "conflict"])
        #expect(Set(run.events.map(\.name)) == Set(EventName.allCases))
    }

    @Test func runIsDeterministic() {
        let again = RandomRestaurant.run(seed: 0x7AB1_ECA5_7000_0001, steps: 2_000)
        #expect(Array(Self.run.records.prefix(again.records.count)) == again.records)
    }

    @Test func stateRebuiltFromTheEmittedEventsEqualsTheLiveState() {
        let run = Self.run
        var rebuilt = RestaurantState(definition: .default)
        var problems: [String] = []
        for (index, record) in run.records.enumerated() {
            let decoded = rebuilt.decodeEvent(name: record.name, payload: record.payload, detail: record.detail)
            guard case .decoded(let event, let warnings) = decoded, warnings.isEmpty else {
                problems.append("#\(index) \(record.name): \(decoded)")
                continue
            }
            if event != run.events[index] || event.payload != record.payload {
                problems.append("#\(index) \(record.name): decoded \(event), emitted \(run.events[index])")
            }
            do {
                try rebuilt.apply(event)
            } catch {
                problems.append("#\(index) \(record.name): \(error)")
            }
            if problems.count > 5 { break }
        }
        #expect(problems.isEmpty, "\(problems)")
        #expect(rebuilt == run.state)
        #expect(rebuilt.orders(status: .completed) == run.state.orders(status: .completed))
        #expect(rebuilt.nextOrderId == run.state.nextOrderId)
    }

    @Test func openOrderQueriesAgreeWithAScanOfEveryOrder() {
        let state = Self.run.state
        for status in [OrderStatus.pending, .served] {
            let scanned = state.orders.values.filter { $0.status == status }.sorted { $0.id < $1.id }
            #expect(state.orders(status: status) == scanned)
            for table in state.tables.keys {
                #expect(state.orders(status: status, tableNumber: table) == scanned.filter { $0.tableNumber == table })
            }
        }
        #expect(!state.orders(status: .pending).isEmpty || !state.orders(status: .served).isEmpty)
    }

    @Test func verifierIsCleanOnTheRun() {
        let run = Self.run
        var verifier = JournalVerifier(definition: .default)
        for (index, record) in run.records.enumerated() {
            verifier.verify(seq: Int64(index + 1), name: record.name, payload: record.payload, detail: record.detail)
        }
        #expect(verifier.issues.isEmpty, "\(verifier.issues.prefix(5))")
        #expect(verifier.isClean)
        #expect(verifier.eventCount == run.records.count)
        #expect(verifier.appliedCount == run.records.count)
        #expect(verifier.state == run.state)
    }

    @Test func stateRebuiltWithoutMenuDetailDiffersOnlyInTheMenu() throws {
        // A journal recorded from a real backend has no detail: the projection then knows names, not prices.
        let run = RandomRestaurant.run(seed: 99, steps: 3_000)
        var verifier = JournalVerifier(definition: .default)
        for (index, record) in run.records.enumerated() {
            verifier.verify(seq: Int64(index), name: record.name, payload: record.payload, detail: nil)
        }
        #expect(verifier.isClean, "\(verifier.issues.prefix(5))")
        #expect(verifier.state.orders == run.state.orders)
        #expect(verifier.state.tables == run.state.tables)
        #expect(Set(verifier.state.menu.keys) == Set(run.state.menu.keys))
    }
}
