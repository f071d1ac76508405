import Restaurant
import Simulator
import Testing

struct FaultInjectorTests {
    private static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// An injector that saw transitions 1...count, each `{"n":seq}` named `e<seq>`.
    private static func injector(transitions count: Int) -> FaultInjector {
        var injector = FaultInjector()
        for seq in 1...Int64(count) {
            injector.transition(seq: seq, name: "e\(seq)", payload: Self.bytes(#"{"n":\#(seq)}"#))
        }
        return injector
    }

    @Test func largeTransitionsAreKeptWithinTheByteBudgetTheLatestAlways() throws {
        var injector = FaultInjector()
        let megabyte = [UInt8](repeating: UInt8(ascii: "7"), count: 1 << 20)
        for seq in 1...Int64(20) {
            injector.transition(seq: seq, name: "e\(seq)", payload: megabyte)
        }
        // 8 MiB of payloads: the latest 7 (names and payloads just over 1 MiB each) and no older one.
        #expect(try injector.emissions(for: .duplicate(seq: 20)).map(\.name) == ["e20"])
        #expect(try injector.emissions(for: .duplicate(seq: 14)).map(\.name) == ["e14"])
        #expect(throws: FaultInjector.Refusal.self) { try injector.emissions(for: .duplicate(seq: 13)) }
        let replayed = try injector.emissions(for: .replay(count: 20))
        #expect(replayed.map(\.name) == (14...20).map { "e\($0)" })
        // A transition larger than the whole budget is still kept, alone.
        injector.transition(seq: 21, name: "e21", payload: [UInt8](repeating: 0x31, count: 9 << 20))
        #expect(try injector.emissions(for: .replay(count: 5)).map(\.name) == ["e21"])
    }

    @Test func aDuplicateSendsTheLatestTransitionAgainByteForByte() throws {
        var injector = Self.injector(transitions: 3)
        let emissions = try injector.emissions(for: .duplicate(seq: nil))
        #expect(emissions == [FaultInjector.Emission(name: "e3", payload: Self.bytes(#"{"n":3}"#),
                                                     fault: #"{"kind":"duplicate","of":3}"#)])
        #expect(injector.injected[.duplicate] == 1)
    }

    @Test func aDuplicateOfANamedSeqFindsItOrSaysWhatIsKept() throws {
        var injector = Self.injector(transitions: 1200)
        #expect(try injector.emissions(for: .duplicate(seq: 250)).map(\.name) == ["e250"])
        #expect(throws: FaultInjector.Refusal.self) { try injector.emissions(for: .duplicate(seq: 100)) }
        do {
            _ = try injector.emissions(for: .duplicate(seq: 100))
        } catch {
            #expect(error.description == "seq 100 is not among the last 1000 transitions (kept: seq 201 to 1200)")
        }
    }

    @Test func nothingToDuplicateOrReplayBeforeTheFirstTransition() {
        var injector = FaultInjector()
        #expect(throws: FaultInjector.Refusal.self) { try injector.emissions(for: .duplicate(seq: nil)) }
        #expect(throws: FaultInjector.Refusal.self) { try injector.emissions(for: .replay(count: 3)) }
        #expect(injector.injected.isEmpty)
    }

    @Test func aReplaySendsTheLastTransitionsInTheirOrderAcrossTheRingsWrap() throws {
        var injector = Self.injector(transitions: 1003)
        let emissions = try injector.emissions(for: .replay(count: 5))
        #expect(emissions.map(\.name) == ["e999", "e1000", "e1001", "e1002", "e1003"])
        #expect(emissions.map(\.fault) == (999...1003).map { #"{"kind":"replay","of":\#($0)}"# })
        // Asking for more than was emitted replays what there is.
        var short = Self.injector(transitions: 2)
        #expect(try short.emissions(for: .replay(count: 10)).map(\.name) == ["e1", "e2"])
    }

    @Test func extraFieldsChangeTheNextObjectPayloadsOnly() throws {
        var injector = FaultInjector()
        #expect(try injector.emissions(for: .extraFields(count: 2, members: Self.bytes(#""x":1"#))).isEmpty)
        #expect(injector.extraFieldsPending == 2)
        let first = injector.payload(for: Self.bytes(#"{"id":7,"items":[{"a":1}]}"#))
        #expect(first.payload == Self.bytes(#"{"id":7,"items":[{"a":1}],"x":1}"#))
        #expect(first.fault == #"{"kind":"extra-fields"}"#)
        // Not an object: sent as it is, and the fault waits for the next object.
        let array = injector.payload(for: Self.bytes("[1,2]"))
        #expect(array.payload == Self.bytes("[1,2]") && array.fault == nil)
        let empty = injector.payload(for: Self.bytes("{}"))
        #expect(empty.payload == Self.bytes(#"{"x":1}"#))
        let after = injector.payload(for: Self.bytes(#"{"id":8}"#))
        #expect(after.payload == Self.bytes(#"{"id":8}"#) && after.fault == nil)
        #expect(injector.extraFieldsPending == 0)
    }

    @Test func anUnknownEventIsSentAsGiven() throws {
        var injector = FaultInjector()
        let emissions = try injector.emissions(for: .unknownEvent(name: "order:archived", payload: Self.bytes("[]")))
        #expect(emissions == [FaultInjector.Emission(name: "order:archived", payload: Self.bytes("[]"),
                                                     fault: #"{"kind":"unknown-event"}"#)])
    }

    @Test func disconnectsAndDelaysAreJournaledAsRowsOfTheirOwn() throws {
        var injector = Self.injector(transitions: 1)
        #expect(try injector.emissions(for: .disconnect(clients: .share(0.25), mode: .transport)).isEmpty)
        #expect(Fault.disconnect(clients: .share(0.25), mode: .transport).journalSpec(disconnected: 3)
            == #"{"clients":"25%","mode":"transport","disconnected":3}"#)
        #expect(Fault.delay(milliseconds: 1500).journalSpec() == #"{"ms":1500}"#)
        #expect(Fault.duplicate(seq: nil).journalSpec() == nil)
    }

    @Test func clientCountsResolveAgainstTheClientsConnected() {
        #expect(Fault.ClientCount("all") == .all)
        #expect(Fault.ClientCount("3") == .count(3))
        #expect(Fault.ClientCount("25%") == .share(0.25))
        #expect(Fault.ClientCount("-1") == nil)
        #expect(Fault.ClientCount("101%") == nil)
        #expect(Fault.ClientCount.share(0.25).resolve(connected: 1) == 1)
        #expect(Fault.ClientCount.share(0.5).resolve(connected: 10) == 5)
        #expect(Fault.ClientCount.count(20).resolve(connected: 4) == 4)
        #expect(Fault.ClientCount.all.resolve(connected: 7) == 7)
    }
}

struct ScenarioFaultTests {
    @Test func chaosHasEveryFaultKindAndTheDefaultTraffic() throws {
        let chaos = try #require(ScenarioLibrary.named("chaos"))
        let standard = try #require(ScenarioLibrary.named("default"))
        #expect(chaos.traffic == standard.traffic)
        #expect(chaos.phases == standard.phases)
        #expect(chaos.faults.entries.count == Fault.Kind.allCases.count)
        #expect(standard.faults.isEmpty)
    }

    /// Faults draw from their own random stream: a scenario's traffic is the same, byte for byte, with or without
    /// them.
    @Test func faultsLeaveTheTrafficAsItWas() throws {
        let chaos = try #require(ScenarioLibrary.named("chaos"))
        var plain = chaos
        plain.faults = FaultSchedule()
        var withFaults = SimulationRun(chaos)
        withFaults.sink.recordsEvents = true
        var without = SimulationRun(plain)
        without.sink.recordsEvents = true
        withFaults.run(until: 10 * 3600)
        without.run(until: 10 * 3600)
        #expect(withFaults.sink.emitted.count > 1000)
        #expect(withFaults.sink.emitted == without.sink.emitted)
        #expect(without.sink.faults.isEmpty)
        #expect(withFaults.sink.faults.count == withFaults.engine.statistics.faultsInjected)
    }

    /// Each kind strikes at about its rate (a Poisson count over 40 model hours: within five standard deviations),
    /// with the parameters its entry allows.
    @Test func faultsStrikeAtTheirRatesWithTheirParameters() throws {
        let chaos = try #require(ScenarioLibrary.named("chaos"))
        var run = SimulationRun(chaos)
        run.sink.recordsEvents = true
        let hours = 40.0
        run.run(until: hours * 3600)
        var counts: [Fault.Kind: Int] = [:]
        for fault in run.sink.faults {
            counts[fault.kind, default: 0] += 1
            switch fault {
            case .replay(let count):
                #expect((3...8).contains(count))
            case .extraFields(let count, let members):
                #expect((1...3).contains(count))
                #expect(members == Fault.defaultExtraMembers)
            case .unknownEvent(let name, _):
                #expect(["order:archived", "kitchen:ticketPrinted", "table:merged"].contains(name))
            case .disconnect(let clients, let mode):
                #expect(clients == .share(0.5) && mode == .transport)
            case .delay(let milliseconds):
                #expect((1000...4000).contains(milliseconds))
            case .duplicate(let seq):
                #expect(seq == nil)
            }
        }
        for entry in chaos.faults.entries {
            let kind = entry.template.kind
            let expected = entry.rate * hours * 3600
            let tolerance = 5 * expected.squareRoot()
            #expect(abs(Double(counts[kind] ?? 0) - expected) <= tolerance, "\(kind): \(counts[kind] ?? 0), expected \(expected)")
        }
    }

    @Test func theSameSeedGivesTheSameFaults() throws {
        let chaos = try #require(ScenarioLibrary.named("chaos"))
        var first = SimulationRun(chaos)
        var second = SimulationRun(chaos)
        first.sink.recordsEvents = true
        second.sink.recordsEvents = true
        first.run(until: 3 * 3600)
        second.run(until: 3 * 3600)
        #expect(!first.sink.faults.isEmpty)
        #expect(first.sink.faults == second.sink.faults)
    }
}

struct JournaledFaultTests {
    /// The `faults` row of a disconnect or a delay reads back as the fault, for a replay to perform again.
    @Test(arguments: [
        Fault.disconnect(clients: .all, mode: .transport), .disconnect(clients: .count(3), mode: .namespace),
        .disconnect(clients: .share(0.25), mode: .transport), .delay(milliseconds: 1500),
    ])
    func aJournaledFaultReadsBack(fault: Fault) throws {
        let spec = try #require(fault.journalSpec(disconnected: 2))
        #expect(Fault(journalKind: fault.kind.rawValue, spec: spec) == fault)
    }

    @Test(arguments: [
        ("delay", #"{"ms":0}"#), ("delay", #"{"ms":-5}"#), ("delay", #"{"ms":2.5}"#), ("delay", #"{"ms":"500"}"#),
        ("delay", #"[500]"#), ("delay", "not json"), ("disconnect", #"{"clients":3,"mode":"transport"}"#),
        ("disconnect", #"{"clients":"all","mode":"shout"}"#), ("disconnect", #"{"mode":"transport"}"#),
        ("gap", #"{"from":"a","to":"b","reason":"c"}"#), ("duplicate", #"{"ms":500}"#),
    ])
    func anUnknownSpecIsNoFault(kind: String, spec: String) {
        #expect(Fault(journalKind: kind, spec: spec) == nil)
    }

    /// A spec another writer spaced, or that holds a fraction that is a whole number, is read all the same.
    @Test func aSpecIsReadAsJSON() {
        #expect(Fault(journalKind: "delay", spec: #" { "ms" : 2.0e3 } "#) == .delay(milliseconds: 2000))
    }
}
