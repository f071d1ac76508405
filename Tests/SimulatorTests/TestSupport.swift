import Restaurant
import Simulator
import Testing

/// Drives an engine through a `LocalSink` on a virtual clock: model second `t` is `start + t`.
struct SimulationRun {
    /// 2026-11-26T12:00:00.000Z.
    static let start: Int64 = 1_795_694_400_000

    var engine: SimulationEngine
    var sink: LocalSink

    init(_ scenario: Scenario) {
        self.engine = SimulationEngine(scenario: scenario)
        self.sink = LocalSink(definition: scenario.restaurant)
    }

    static func timestamp(_ modelTime: Double) -> Timestamp {
        Timestamp(millisecondsSince1970: Self.start + Int64((modelTime * 1000).rounded(.down)))
    }

    /// Steps until `count` events were emitted (or the run ends), handing each event and its model time to `body`.
    mutating func run(events count: Int, _ body: (RestaurantEvent, Double) -> Void = { _, _ in }) {
        while self.engine.eventsEmitted < count, let time = self.engine.nextTime {
            for event in self.engine.step(at: Self.timestamp(time), sink: &self.sink) {
                body(event, time)
            }
        }
    }

    /// Steps while the next intent is before `end` (the whole run when `end` is infinite).
    mutating func run(until end: Double, _ body: (RestaurantEvent, Double) -> Void = { _, _ in }) {
        while let time = self.engine.nextTime, time < end {
            for event in self.engine.step(at: Self.timestamp(time), sink: &self.sink) {
                body(event, time)
            }
        }
    }
}

/// Feeds events to a `JournalVerifier` as a journal would hold them.
struct VerifiedStream {
    var verifier: JournalVerifier
    private var seq: Int64 = 0

    init(definition: RestaurantDefinition) {
        self.verifier = JournalVerifier(definition: definition, collectsIssues: false)
    }

    mutating func add(_ event: RestaurantEvent) {
        self.seq += 1
        let issues = self.verifier.verify(seq: self.seq, name: event.name.rawValue, payload: event.payload,
                                          detail: event.detail)
        for issue in issues.prefix(3) {
            Issue.record("\(issue)")
        }
    }
}

extension Scenario {
    /// A scenario from YAML text, for tests.
    static func make(_ text: String) throws -> Scenario {
        try Scenario.parse(text, path: "test.yaml")
    }
}
