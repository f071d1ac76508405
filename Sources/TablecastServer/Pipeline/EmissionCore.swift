import Journal
import Restaurant
import Simulator
import SocketIOProtocol

// The emission path: where every event a client receives is numbered.
//
//  sources (submit inputs)           EmissionCore (pure, run under one lock)           outputs (receive actions)
//  ───────────────────────           ────────────────────────────────────────          ─────────────────────────
//  SimulationRunner ─ command  ┐     numbering    seq = last + 1, one stamp     ┌─▶ journal   JournalWriter
//  RestaurantAPI ──── command  │     projection   RestaurantState (the REST     │             (its thread, SQLite)
//  ControlAPI ─────── emit     ├──▶               API's truth, copy-on-write)   ├─▶ deliver   LocalDelivery:
//  ReplayRunner ───── recorded │     faults       FaultInjector (what a fault   │             Broadcaster, one
//  FaultAPI, scenario fault    │                  sends, extra fields armed)    │             buffer per event
//  EmissionPipeline ─ timer,   ┘     hold         DeliveryHold (delay faults)   │             loop; disconnects
//                     commit         durability   CommitGate (`committed`:      └─▶ release   a timer on an
//                                                 clients after the journal)                  event loop
//                                    counts       EmissionCounts (metrics)
//                                          │
//                                          └──▶ EmissionSnapshot, published after every input: what REST,
//                                               health and metrics read, with no lock held across the above
//
// A source calls one `EmissionPipeline` method; the pipeline takes its one lock, asks the journal whether it still
// accepts events, feeds the input to the core, and performs the returned ``EmissionCore/Actions`` in order: journal
// first (one append for the whole input), then the deliveries, a disconnect, a release timer. Then it publishes the
// core's snapshot and answers the caller. The core never does I/O and never reads a clock: the pipeline stamps each
// input (`EmissionClock`), so the core's tests are synchronous and exact.

/// The pure core of the emission path: it owns the sequence, the projection of the restaurant, the fault and hold
/// state and the durability rule, takes one input at a time and returns what the outputs must do.
///
/// Each input is a method, as in SwiftNIO's protocol state machines; each returns ``Actions``. An input that is
/// refused (a command's ``CommandError``, a fault's ``FaultInjector/Refusal``) changes nothing and returns nothing.
struct EmissionCore: Sendable {
    /// The namespace events are broadcast on.
    let namespace: String
    let durability: Durability
    /// The sequence number of the last event numbered, or 0.
    private(set) var lastSeq: Int64 = 0
    /// The restaurant as the events sent (and, in a replay, the events hidden by its filter) have made it.
    private(set) var projection: RestaurantState
    private(set) var faults = FaultInjector()
    private(set) var hold = DeliveryHold()
    private(set) var commitGate = CommitGate()
    private(set) var counts = EmissionCounts()

    init(namespace: String = "/events", projection: RestaurantState, durability: Durability = .async) {
        self.namespace = namespace
        self.projection = projection
        self.durability = durability
    }

    /// What the outputs do after one input, in this order: journal, deliver, disconnect, schedule a release.
    struct Actions: Sendable {
        /// Events to journal, in `seq` order.
        var journal: [JournalEvent] = []
        /// Faults that are not events (a disconnect is journaled by the pipeline, with the clients it cut).
        var journalFaults: [JournalFault] = []
        /// Events to send to the clients now, in `seq` order.
        var deliveries: [EventDelivery] = []
        /// Clients to cut, and how to journal it.
        var disconnect: Disconnect?
        /// A delivery hold to end after a delay: call ``EmissionCore/holdEnded(generation:)`` then.
        var release: Release?

        var isEmpty: Bool {
            self.journal.isEmpty && self.journalFaults.isEmpty && self.deliveries.isEmpty && self.disconnect == nil
                && self.release == nil
        }
    }

    struct Disconnect: Sendable {
        var clients: Fault.ClientCount
        var mode: Fault.DisconnectMode
        var fault: Fault
        var afterSeq: Int64
        var stamp: EmissionClock.Stamp

        /// The journal's row for it, once the outputs know how many clients it cut.
        func record(disconnected: Int) -> JournalFault? {
            self.fault.journalSpec(disconnected: disconnected).map { spec in
                JournalFault(afterSeq: self.afterSeq, monoNanos: self.stamp.monoNanos,
                             wallMillis: self.stamp.wallMillis, kind: self.fault.kind.rawValue, spec: spec)
            }
        }
    }

    struct Release: Sendable, Equatable {
        var generation: Int
        var milliseconds: Int
    }

    /// An event as numbered: its `seq` and the payload the clients get.
    struct Numbered: Sendable {
        var seq: Int64
        var payload: [UInt8]
    }

    // MARK: Inputs

    /// A command (REST or simulated): runs it on the projection, numbers each event it causes and commits it.
    /// - Throws: The command's refusal; nothing changed.
    mutating func command(
        _ command: (borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent],
        at stamp: EmissionClock.Stamp
    ) throws(CommandError) -> (actions: Actions, emitted: [EmittedEvent]) {
        let events = try command(self.projection)
        var actions = Actions()
        var emitted: [EmittedEvent] = []
        emitted.reserveCapacity(events.count)
        for event in events {
            let numbered = self.transition(name: event.name.rawValue, payload: event.payload, detail: event.detail,
                                           at: stamp, into: &actions)
            emitted.append(EmittedEvent(event: event, seq: numbered.seq, payload: numbered.payload))
            // The command checked the event against this state; nothing changed it since.
            self.projection.commit(commandEvents: CollectionOfOne(event))
        }
        return (actions, emitted)
    }

    /// An event fired by hand (`POST /_tablecast/emit`): sent as given, the projection untouched.
    mutating func handFired(name: String, payload: [UInt8], at stamp: EmissionClock.Stamp)
        -> (actions: Actions, emitted: Numbered)
    {
        var actions = Actions()
        let numbered = self.transition(name: name, payload: payload, detail: nil, at: stamp, into: &actions)
        return (actions, numbered)
    }

    /// A recorded event (a replay): sent exactly as the journal holds it, its fault mark included, or only applied
    /// to the projection when the replay's filter hides it. The projection follows either way, as a journal's
    /// projection would.
    mutating func recorded(_ event: JournalEvent, sends: Bool, at stamp: EmissionClock.Stamp,
                           streamed: Bool = false, emittedAtNanos: Int64? = nil)
        -> (actions: Actions, seq: Int64?, projection: JournalVerifier.Projection)
    {
        var actions = Actions()
        guard sends else {
            let projection = JournalVerifier.project(into: &self.projection, seq: event.seq, name: event.name,
                                                     payload: event.payload, detail: event.detail, fault: event.fault)
            return (actions, nil, projection)
        }
        let seq = self.number(name: event.name, payload: event.payload, detail: event.detail, fault: event.fault,
                              at: stamp, streamed: streamed, emittedAtNanos: emittedAtNanos, into: &actions)
        // Only an unmarked event is a transition that a later duplicate or replay fault may copy.
        if event.fault == nil {
            self.faults.transition(seq: seq, name: event.name, payload: event.payload)
        }
        let projection = JournalVerifier.project(into: &self.projection, seq: seq, name: event.name,
                                                 payload: event.payload, detail: event.detail, fault: event.fault)
        return (actions, seq, projection)
    }

    /// A fault: numbers the events it sends, or asks for a disconnect, or starts a delivery hold.
    /// - Throws: ``FaultInjector/Refusal`` when it cannot apply now; nothing changed.
    mutating func fault(_ fault: Fault, at stamp: EmissionClock.Stamp) throws(FaultInjector.Refusal)
        -> (actions: Actions, seqs: [Int64])
    {
        let emissions = try self.faults.emissions(for: fault)
        var actions = Actions()
        var seqs: [Int64] = []
        for emission in emissions {
            seqs.append(self.number(name: emission.name, payload: emission.payload, detail: nil,
                                    fault: emission.fault, at: stamp, into: &actions))
        }
        switch fault {
        case .disconnect(let clients, let mode):
            actions.disconnect = Disconnect(clients: clients, mode: mode, fault: fault, afterSeq: self.lastSeq,
                                            stamp: stamp)
        case .delay(let milliseconds):
            if let spec = fault.journalSpec() {
                actions.journalFaults.append(
                    JournalFault(afterSeq: self.lastSeq, monoNanos: stamp.monoNanos, wallMillis: stamp.wallMillis,
                                 kind: fault.kind.rawValue, spec: spec)
                )
            }
            actions.release = Release(generation: self.hold.begin(), milliseconds: milliseconds)
        case .duplicate, .replay, .unknownEvent, .extraFields:
            break
        }
        return (actions, seqs)
    }

    /// A delay's timer fired: unless a later delay extended the hold, what it held goes out, in order.
    mutating func holdEnded(generation: Int) -> Actions {
        var actions = Actions()
        if let held = self.hold.end(generation: generation) {
            actions.deliveries = held
        }
        return actions
    }

    /// The journal committed every event through `seq`: with `committed` durability they may reach the clients.
    mutating func committed(through seq: Int64) -> Actions {
        var actions = Actions()
        for delivery in self.commitGate.release(through: seq) {
            self.deliver(delivery, into: &actions)
        }
        return actions
    }

    /// Replaces the projection (a replay that seeks); nothing is sent.
    mutating func restore(_ projection: RestaurantState) {
        self.projection = projection
    }

    /// What readers see after the latest input.
    var snapshot: EmissionSnapshot {
        EmissionSnapshot(lastSeq: self.lastSeq, state: self.projection, emittedByName: self.counts.byName,
                         faultsInjected: self.faults.injected, extraFieldsPending: self.faults.extraFieldsPending,
                         holding: self.hold.isHolding)
    }

    // MARK: Numbering

    /// Numbers a transition (an event of the catalog, or one fired by hand): with the armed extra fields, if any,
    /// and remembered for later duplicate and replay faults.
    private mutating func transition(
        name: String,
        payload: [UInt8],
        detail: [UInt8]?,
        at stamp: EmissionClock.Stamp,
        into actions: inout Actions
    ) -> Numbered {
        let (sent, fault) = self.faults.payload(for: payload)
        let seq = self.number(name: name, payload: sent, detail: detail, fault: fault, at: stamp, into: &actions)
        self.faults.transition(seq: seq, name: name, payload: sent)
        return Numbered(seq: seq, payload: sent)
    }

    /// Gives an event the next `seq`, journals it and delivers it as the durability rule and any hold say.
    private mutating func number(
        name: String,
        payload: [UInt8],
        detail: [UInt8]?,
        fault: String?,
        at stamp: EmissionClock.Stamp,
        streamed: Bool = false,
        emittedAtNanos: Int64? = nil,
        into actions: inout Actions
    ) -> Int64 {
        self.lastSeq += 1
        let seq = self.lastSeq
        actions.journal.append(
            JournalEvent(seq: seq, monoNanos: stamp.monoNanos, wallMillis: stamp.wallMillis,
                         namespace: self.namespace, name: name, payload: payload, detail: detail, fault: fault)
        )
        self.counts.count(name)
        let delivery = EventDelivery(
            seq: seq,
            frame: SocketIOPacket.eventFrame(namespace: self.namespace, name: name, payload: payload),
            emittedAtNanos: emittedAtNanos ?? stamp.monoNanos,
            fromStream: streamed,
            detail: detail,
            fault: fault
        )
        switch self.durability {
        case .async:
            self.deliver(delivery, into: &actions)
        case .committed:
            self.commitGate.wait(delivery)
        }
        return seq
    }

    /// Sends now, or holds while a delay fault holds delivery.
    private mutating func deliver(_ delivery: EventDelivery, into actions: inout Actions) {
        if !self.hold.keep(delivery) {
            actions.deliveries.append(delivery)
        }
    }
}

/// One event on its way to the clients: encoded once, for every connection.
public struct EventDelivery: Sendable {
    public var seq: Int64
    /// The Socket.IO packet `42/events,["name",<payload>]`, the payload's bytes as journaled.
    public var frame: EngineIOFrame
    /// When it was numbered, on the monotonic clock: the load test's latency origin. For an event read from a
    /// cluster's stream, when its owner numbered it (same host: the monotonic clock is the machine's).
    public var emittedAtNanos: Int64
    /// Read from a cluster's Redis stream rather than born here: local clients get it, the stream does not again.
    public var fromStream = false
    /// What the payload leaves out and a projection needs (``JournalEvent/detail``): a cluster's stream carries it
    /// to the followers' projections.
    public var detail: [UInt8]?
    /// The injected fault the event is or carries (``JournalEvent/fault``), for the followers' journals and
    /// projections (a duplicate is not applied twice).
    public var fault: String?

    public init(seq: Int64, frame: EngineIOFrame, emittedAtNanos: Int64, fromStream: Bool = false,
                detail: [UInt8]? = nil, fault: String? = nil)
    {
        self.fault = fault
        self.seq = seq
        self.frame = frame
        self.emittedAtNanos = emittedAtNanos
        self.fromStream = fromStream
        self.detail = detail
    }
}

/// An event a command caused, with its number and the payload the clients received.
public struct EmittedEvent: Sendable {
    public var event: RestaurantEvent
    public var seq: Int64
    /// The bytes sent: the event's payload, or with the fields of an extra-fields fault appended.
    public var payload: [UInt8]
}

/// When an event reaches the clients, relative to its journal commit.
public enum Durability: String, Sendable, CaseIterable {
    /// Delivered at once; the journal commits behind. A `kill -9` can lose what the clients got and the journal had
    /// not committed yet: at most the writer's current batch (about one transaction, ≤ 1,000 events).
    case async
    /// Delivered once the event's journal transaction has committed: after a `kill -9` the journal holds every
    /// event any client received. Costs the commit's latency on every event.
    case committed
}
