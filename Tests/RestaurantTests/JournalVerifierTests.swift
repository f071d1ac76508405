import Restaurant
import Testing

struct JournalVerifierTests {
    /// Feeds records with seqs from 101.
    private static func verify(_ records: [JournalRecord]) -> JournalVerifier {
        var verifier = JournalVerifier(definition: .default)
        for (index, record) in records.enumerated() {
            verifier.verify(seq: Int64(101 + index), name: record.name, payload: record.payload, detail: record.detail)
        }
        return verifier
    }

    @Test(arguments: RuleCase.all)
    func reportsTheBrokenRuleAtItsSeq(_ rule: RuleCase) throws {
        let records = (rule.prefix + [rule.violating]).map(\.record)
        let verifier = Self.verify(records)
        let seq = Int64(100 + records.count)
        #expect(verifier.issues.count == 1)
        let issue = try #require(verifier.issues.first)
        #expect(issue.seq == seq)
        #expect(issue.rule == rule.rule)
        #expect(issue.severity == .error)
        #expect(issue.eventName == rule.violating.name.rawValue)
        #expect(issue.message.contains(rule.messageContains))
        #expect(!verifier.isClean)
        #expect(verifier.appliedCount == rule.prefix.count)
        // The refused event left the rebuilt state as it was.
        #expect(verifier.state == (try Fixture.state(after: rule.prefix)))
    }

    /// A duplicate, a replayed copy or an unknown event that a fault sent is not a transition: skipped, not reported.
    /// An extra-fields transition is applied, and its extra keys are expected.
    @Test func faultRowsAreSkippedOrAppliedAsTheirKindSays() {
        let o1 = Fixture.pending(1)
        let served = Fixture.served(o1)
        var verifier = JournalVerifier(definition: .default)
        let activated = RestaurantEvent.tableActivated(tableNumber: 7)
        verifier.verify(seq: 1, name: activated.name.rawValue, payload: activated.payload, detail: nil)
        verifier.verify(seq: 2, name: "order:created", payload: RestaurantEvent.orderCreated(o1).payload, detail: nil)
        verifier.verify(seq: 3, name: "order:created", payload: RestaurantEvent.orderCreated(o1).payload, detail: nil,
                        fault: #"{"kind":"duplicate","of":2}"#)
        verifier.verify(seq: 4, name: "order:created", payload: RestaurantEvent.orderCreated(o1).payload, detail: nil,
                        fault: #"{"kind":"replay","of":2}"#)
        verifier.verify(seq: 5, name: "order:archived", payload: Array("{}".utf8), detail: nil,
                        fault: #"{"kind":"unknown-event"}"#)
        var extended = RestaurantEvent.orderServed(served).payload
        extended.removeLast()
        extended += Array(#","tablecastExtra":{"note":"x"}}"#.utf8)
        verifier.verify(seq: 6, name: "order:served", payload: extended, detail: nil,
                        fault: #"{"kind":"extra-fields"}"#)
        #expect(verifier.issues.isEmpty, "\(verifier.issues)")
        #expect(verifier.faultCount == 4)
        #expect(verifier.appliedCount == 3)
        #expect(verifier.state.orders[1]?.status == .served)
    }

    /// Without its fault mark, the same duplicate breaks the lifecycle, and an unknown mark is reported.
    @Test func anUnmarkedDuplicateIsAnErrorAndAnUnknownMarkAWarning() {
        let o1 = Fixture.pending(1)
        var verifier = JournalVerifier(definition: .default)
        let activated = RestaurantEvent.tableActivated(tableNumber: 7)
        verifier.verify(seq: 1, name: activated.name.rawValue, payload: activated.payload, detail: nil)
        verifier.verify(seq: 2, name: "order:created", payload: RestaurantEvent.orderCreated(o1).payload, detail: nil)
        verifier.verify(seq: 3, name: "order:created", payload: RestaurantEvent.orderCreated(o1).payload, detail: nil)
        #expect(verifier.errorCount == 1)
        verifier.verify(seq: 4, name: "table:activated", payload: Array(#"{"tableNumber":8}"#.utf8), detail: nil,
                        fault: #"{"kind":"gremlin"}"#)
        #expect(verifier.issues.last?.rule == JournalVerifier.Rule.unknownFault)
        #expect(verifier.state.tables[8]?.status == .active)
    }

    @Test func oneBadEventDoesNotCascade() {
        let o1 = Fixture.pending(1)
        let records: [RestaurantEvent] = [
            .tableActivated(tableNumber: 7), .orderCreated(o1), .orderServed(Fixture.served(o1)),
            .orderServed(Fixture.served(o1)),  // replayed: breaks order.serve.requiresPending
            .orderCompleted(Fixture.completed(Fixture.served(o1))), .tableCheckoutStarted(tableNumber: 7),
            .tableCheckoutCompleted(tableNumber: 7),
        ]
        let verifier = Self.verify(records.map(\.record))
        #expect(verifier.issues.map(\.rule) == ["order.serve.requiresPending"])
        #expect(verifier.issues.map(\.seq) == [104])
        #expect(verifier.state.tables[7]?.status == .available)
    }

    @Test func unknownEventsAreWarnings() {
        let verifier = Self.verify([
            RestaurantEvent.tableActivated(tableNumber: 7).record,
            JournalRecord(name: "table:cleaned", json: #"{"tableNumber":7}"#),
        ])
        #expect(verifier.issues == [
            VerificationIssue(seq: 102, eventName: "table:cleaned", severity: .warning, rule: "event.unknownName",
                              message: "table:cleaned is not an event of the contract; clients should ignore it"),
        ])
        #expect(verifier.isClean)
        #expect(verifier.warningCount == 1 && verifier.errorCount == 0)
    }

    @Test func schemaErrorsAreReportedAndTheEventIsSkipped() {
        let verifier = Self.verify([
            JournalRecord(name: "table:activated", json: #"{"tableNumber":"7"}"#),
            JournalRecord(name: "table:activated", json: #"{"tableNumber":7}"#),
            JournalRecord(name: "user.created", json: #"{"id":12,"username":"nina","role":"cook","x":1}"#),
        ])
        #expect(verifier.issues.map(\.rule) == ["schema.type", "schema.enum", "schema.extraKey"])
        #expect(verifier.issues.map(\.seq) == [101, 103, 103])
        #expect(verifier.issues.map(\.severity) == [.error, .error, .warning])
        #expect(verifier.issues.first?.message == "tableNumber must be an integer, got string")
        #expect(verifier.appliedCount == 1)
        #expect(verifier.state.tables[7]?.status == .active)
        #expect(verifier.errorCount == 2)
    }

    @Test func warningsOfADecodedEventComeBeforeItsViolation() {
        let verifier = Self.verify([JournalRecord(name: "table:checkoutStarted", json: #"{"tableNumber":7,"x":0}"#)])
        #expect(verifier.issues.map(\.rule) == ["schema.extraKey", "table.checkoutStart.requiresActive"])
    }

    @Test func seqMustIncrease() {
        var verifier = JournalVerifier(definition: .default)
        let record = RestaurantEvent.allMessagesDeleted.record
        verifier.verify(seq: 5, name: record.name, payload: record.payload, detail: nil)
        let issues = verifier.verify(seq: 5, name: record.name, payload: record.payload, detail: nil)
        #expect(issues.map(\.rule) == ["journal.seqOrder"])
        #expect(issues.first?.message == "seq 5 follows seq 5; a journal's seq increases")
        #expect(issues.first?.description
            == "seq 5 allMessagesDeleted error journal.seqOrder: seq 5 follows seq 5; a journal's seq increases")
    }

    @Test func issuesCanBeStreamedWithoutCollecting() {
        var verifier = JournalVerifier(definition: .default, collectsIssues: false)
        let record = RestaurantEvent.tableCheckoutCompleted(tableNumber: 7).record
        let issues = verifier.verify(seq: 1, name: record.name, payload: record.payload, detail: nil)
        #expect(issues.map(\.rule) == ["table.checkoutComplete.requiresCheckout"])
        #expect(verifier.issues.isEmpty)
        #expect(verifier.errorCount == 1)
    }

    @Test func aDifferentRestaurantDefinitionChangesWhatIsKnown() {
        let small = RestaurantDefinition(tables: [.init(number: 1, seats: 2)], menu: [], users: [])
        var verifier = JournalVerifier(definition: small)
        let record = RestaurantEvent.tableActivated(tableNumber: 7).record
        let issues = verifier.verify(seq: 1, name: record.name, payload: record.payload, detail: nil)
        #expect(issues.map(\.rule) == ["table.requiresKnownNumber"])
    }
}
