import Journal
import NIOCore
import Restaurant
import Simulator
import SocketIOProtocol
import Testing

@testable import TablecastServer

/// The pure core of the emission path, input by input: synchronous, no clock, no I/O.
@Suite struct EmissionCoreTests {
    static let stamp = EmissionClock.Stamp(monoNanos: 5_000, wallMillis: 1_700_000_000_000)

    static func core(_ durability: Durability = .async) -> EmissionCore {
        EmissionCore(projection: RestaurantState(definition: .default), durability: durability)
    }

    static func text(_ delivery: EventDelivery) -> String {
        String(decoding: delivery.frame.bytes.readableBytesView, as: UTF8.self)
    }

    static func activate(_ table: Int) -> (borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent] {
        { state throws(CommandError) in [try state.activateTable(tableNumber: table)] }
    }

    @Test func commandNumbersJournalsDeliversAndProjects() throws {
        var core = Self.core()
        let (actions, emitted) = try core.command(Self.activate(7), at: Self.stamp)
        #expect(emitted.map(\.seq) == [1])
        #expect(actions.journal.map(\.seq) == [1])
        #expect(actions.journal[0].name == "table:activated")
        #expect(actions.journal[0].monoNanos == Self.stamp.monoNanos)
        #expect(actions.journal[0].wallMillis == Self.stamp.wallMillis)
        #expect(actions.journal[0].payload == emitted[0].payload)
        #expect(actions.deliveries.map(\.seq) == [1])
        #expect(Self.text(actions.deliveries[0])
            == #"42/events,["table:activated","# + String(decoding: emitted[0].payload, as: UTF8.self) + "]")
        #expect(actions.disconnect == nil && actions.release == nil && actions.journalFaults.isEmpty)
        #expect(core.projection.tables[7]?.status == .active)
        #expect(core.snapshot.lastSeq == 1)
        #expect(core.snapshot.state.tables[7]?.status == .active)
        #expect(core.snapshot.emittedByName["table:activated"] == 1)

        let second = try core.command(Self.activate(8), at: Self.stamp)
        #expect(second.emitted.map(\.seq) == [2])
    }

    @Test func refusedCommandChangesNothing() throws {
        var core = Self.core()
        _ = try core.command(Self.activate(7), at: Self.stamp)
        let before = core.snapshot
        #expect(throws: CommandError.self) {
            _ = try core.command(Self.activate(7), at: Self.stamp)
        }
        #expect(core.lastSeq == 1)
        #expect(core.projection == before.state)
        #expect(core.snapshot.emittedByName == before.emittedByName)
    }

    @Test func handFiredEventLeavesTheProjectionAlone() {
        var core = Self.core()
        let before = core.projection
        let (actions, numbered) = core.handFired(name: "table:activated", payload: Array(#"{"tableNumber":7}"#.utf8),
                                                 at: Self.stamp)
        #expect(numbered.seq == 1)
        #expect(actions.journal.map(\.name) == ["table:activated"])
        #expect(actions.journal[0].fault == nil)
        #expect(actions.deliveries.count == 1)
        #expect(core.projection == before)
    }

    @Test func armedExtraFieldsChangeTransitionsAndAreJournaledAsSuch() throws {
        var core = Self.core()
        let armed = try core.fault(.extraFields(count: 1, members: Array(#""extra":true"#.utf8)), at: Self.stamp)
        #expect(armed.actions.isEmpty && armed.seqs.isEmpty)
        #expect(core.snapshot.extraFieldsPending == 1)
        let first = core.handFired(name: "newMessage", payload: Array(#"{"id":1}"#.utf8), at: Self.stamp)
        #expect(first.emitted.payload == Array(#"{"id":1,"extra":true}"#.utf8))
        #expect(first.actions.journal[0].fault == #"{"kind":"extra-fields"}"#)
        #expect(first.actions.journal[0].payload == first.emitted.payload)
        let second = core.handFired(name: "newMessage", payload: Array(#"{"id":2}"#.utf8), at: Self.stamp)
        #expect(second.emitted.payload == Array(#"{"id":2}"#.utf8))
        #expect(core.snapshot.extraFieldsPending == 0)
    }

    @Test func recordedEventKeepsItsMarkAndTheProjectionFollows() throws {
        var core = Self.core()
        var source = RestaurantState(definition: .default)
        let activated = try source.activateTable(tableNumber: 7)
        source.commit(commandEvents: CollectionOfOne(activated))
        let event = JournalEvent(seq: 40, monoNanos: 1, wallMillis: 2, namespace: "/events",
                                 name: activated.name.rawValue, payload: activated.payload, detail: nil, fault: nil)
        let sent = core.recorded(event, sends: true, at: Self.stamp)
        #expect(sent.seq == 1)
        #expect(sent.actions.journal.map(\.seq) == [1])
        #expect(sent.actions.journal[0].monoNanos == Self.stamp.monoNanos)
        #expect(sent.actions.deliveries.map(\.seq) == [1])
        #expect(core.projection == source)

        // A marked event goes out with its mark, and is not a transition a duplicate would copy.
        var marked = event
        marked.fault = #"{"kind":"duplicate","of":39}"#
        let duplicate = core.recorded(marked, sends: true, at: Self.stamp)
        #expect(duplicate.actions.journal[0].fault == marked.fault)
        let copied = try core.fault(.duplicate(seq: nil), at: Self.stamp)
        #expect(copied.actions.journal[0].fault == #"{"kind":"duplicate","of":1}"#)

        // Hidden by a filter: projected under its source seq, nothing numbered or sent.
        var hidden = RestaurantState(definition: .default)
        var hiding = Self.core()
        hidden.commit(commandEvents: CollectionOfOne(activated))
        let filtered = hiding.recorded(event, sends: false, at: Self.stamp)
        #expect(filtered.seq == nil)
        #expect(filtered.actions.isEmpty)
        #expect(hiding.lastSeq == 0)
        #expect(hiding.projection == hidden)
    }

    @Test func streamedEventIsNumberedProjectedAndMarkedForLocalClientsOnly() throws {
        var core = Self.core()
        var source = RestaurantState(definition: .default)
        let activated = try source.activateTable(tableNumber: 3)
        source.commit(commandEvents: CollectionOfOne(activated))
        let event = JournalEvent(seq: 0, monoNanos: 9, wallMillis: 9, namespace: "/events",
                                 name: activated.name.rawValue, payload: activated.payload,
                                 detail: Array("d".utf8), fault: #"{"kind":"extra-fields"}"#)
        let step = core.recorded(event, sends: true, at: Self.stamp, streamed: true, emittedAtNanos: 42)
        #expect(step.seq == 1)
        #expect(step.actions.journal.map(\.seq) == [1])
        #expect(step.actions.journal[0].monoNanos == Self.stamp.monoNanos)  // the journal's clock never goes back
        #expect(step.actions.journal[0].detail == event.detail && step.actions.journal[0].fault == event.fault)
        let delivery = try #require(step.actions.deliveries.first)
        // The owner's emission time is the latency origin; the mark keeps it off the stream.
        #expect(delivery.emittedAtNanos == 42 && delivery.fromStream)
        #expect(delivery.detail == event.detail && delivery.fault == event.fault)
        #expect(core.projection == source)

        // What the core numbers itself is not marked, and carries its own detail and time.
        let own = try core.command(Self.activate(7), at: Self.stamp)
        #expect(own.actions.deliveries.allSatisfy { !$0.fromStream && $0.emittedAtNanos == Self.stamp.monoNanos })
    }

    @Test func duplicateReplayAndUnknownEventFaultsNumberMarkedEvents() throws {
        var core = Self.core()
        #expect(throws: FaultInjector.Refusal.self) { _ = try core.fault(.duplicate(seq: nil), at: Self.stamp) }
        #expect(core.lastSeq == 0)
        _ = try core.command(Self.activate(7), at: Self.stamp)
        _ = try core.command(Self.activate(8), at: Self.stamp)
        let duplicate = try core.fault(.duplicate(seq: 1), at: Self.stamp)
        #expect(duplicate.seqs == [3])
        #expect(duplicate.actions.journal[0].fault == #"{"kind":"duplicate","of":1}"#)
        let replay = try core.fault(.replay(count: 2), at: Self.stamp)
        #expect(replay.seqs == [4, 5])
        #expect(replay.actions.journal.map(\.fault) == [#"{"kind":"replay","of":1}"#, #"{"kind":"replay","of":2}"#])
        #expect(replay.actions.deliveries.map(\.seq) == [4, 5])
        let unknown = try core.fault(.unknownEvent(name: "bogus", payload: Array("{}".utf8)), at: Self.stamp)
        #expect(unknown.actions.journal.map(\.name) == ["bogus"])
        #expect(core.snapshot.faultsInjected == [.duplicate: 1, .replay: 1, .unknownEvent: 1])
        // Fault events do not change the projection.
        #expect(core.projection.tables[7]?.status == .active)
    }

    @Test func disconnectAsksTheOutputsAndIsJournaledWithWhatTheyCut() throws {
        var core = Self.core()
        _ = try core.command(Self.activate(7), at: Self.stamp)
        let (actions, seqs) = try core.fault(.disconnect(clients: .count(3), mode: .transport), at: Self.stamp)
        #expect(seqs.isEmpty && actions.journal.isEmpty && actions.deliveries.isEmpty)
        let disconnect = try #require(actions.disconnect)
        #expect(disconnect.clients == .count(3) && disconnect.mode == .transport)
        let record = try #require(disconnect.record(disconnected: 2))
        #expect(record.afterSeq == 1)
        #expect(record.kind == "disconnect")
        #expect(record.spec == #"{"clients":"3","mode":"transport","disconnected":2}"#)
    }

    @Test func delayHoldsDeliveryUntilItsLatestTimerEnds() throws {
        var core = Self.core()
        let first = try core.fault(.delay(milliseconds: 500), at: Self.stamp)
        #expect(first.actions.journalFaults.map(\.spec) == [#"{"ms":500}"#])
        let release = try #require(first.actions.release)
        #expect(release.milliseconds == 500)
        #expect(core.snapshot.holding)

        let held = try core.command(Self.activate(7), at: Self.stamp)
        #expect(held.actions.journal.map(\.seq) == [1])
        #expect(held.actions.deliveries.isEmpty)

        // A second delay extends the hold: the first timer releases nothing.
        let second = try core.fault(.delay(milliseconds: 200), at: Self.stamp)
        let later = try #require(second.actions.release)
        #expect(later.generation != release.generation)
        _ = try core.command(Self.activate(8), at: Self.stamp)
        #expect(core.holdEnded(generation: release.generation).deliveries.isEmpty)
        #expect(core.snapshot.holding)
        let released = core.holdEnded(generation: later.generation)
        #expect(released.deliveries.map(\.seq) == [1, 2])
        #expect(!core.snapshot.holding)
        #expect(try core.command(Self.activate(9), at: Self.stamp).actions.deliveries.map(\.seq) == [3])
    }

    @Test func committedDurabilityDeliversOnlyWhatTheJournalCommitted() throws {
        var core = Self.core(.committed)
        for table in [7, 8, 9] {
            let step = try core.command(Self.activate(table), at: Self.stamp)
            #expect(step.actions.journal.count == 1)
            #expect(step.actions.deliveries.isEmpty)
        }
        #expect(core.committed(through: 2).deliveries.map(\.seq) == [1, 2])
        #expect(core.committed(through: 2).deliveries.isEmpty)
        // Committed while a delay holds: released into the hold, out when it ends.
        let delay = try core.fault(.delay(milliseconds: 10), at: Self.stamp)
        #expect(core.committed(through: 3).deliveries.isEmpty)
        #expect(core.holdEnded(generation: try #require(delay.actions.release).generation).deliveries.map(\.seq) == [3])
    }

    @Test func restoreReplacesTheProjectionOnly() throws {
        var core = Self.core()
        _ = try core.command(Self.activate(7), at: Self.stamp)
        core.restore(RestaurantState(definition: .default))
        #expect(core.projection.tables[7]?.status == .available)
        #expect(core.lastSeq == 1)
    }

    @Test func countsPastTheirBoundGoUnderOther() {
        var core = Self.core()
        for index in 0..<(EmissionCounts.maxCountedNames + 5) {
            _ = core.handFired(name: "name-\(index)", payload: Array("{}".utf8), at: Self.stamp)
        }
        _ = core.handFired(name: "name-0", payload: Array("{}".utf8), at: Self.stamp)
        let counts = core.snapshot.emittedByName
        #expect(counts.count == EmissionCounts.maxCountedNames + 1)
        #expect(counts[EmissionCounts.otherNames] == 5)
        #expect(counts["name-0"] == 2)
    }

    @Test func aSnapshotKeepsWhatItSawWhileTheCoreMovesOn() throws {
        var core = Self.core()
        _ = try core.command(Self.activate(7), at: Self.stamp)
        let snapshot = core.snapshot
        _ = try core.command(Self.activate(8), at: Self.stamp)
        _ = try core.command({ state throws(CommandError) in
            [try state.createOrder(tableNumber: 7, items: [OrderItemRequest(menuItemId: 1, quantity: 2)],
                                   at: Timestamp(millisecondsSince1970: 0))]
        }, at: Self.stamp)
        #expect(snapshot.lastSeq == 1)
        #expect(snapshot.state.tables[8]?.status == .available)
        #expect(snapshot.state.orders.isEmpty)
        #expect(core.snapshot.state.orders.count == 1)
    }
}
