import Atomics
import Journal
import NIOCore
import Restaurant
import Simulator
import Synchronization

/// The driver of ``EmissionCore``: every event a client receives enters here, from one of its sources, and leaves to
/// its outputs. The drawing at the top of `EmissionCore.swift` shows the whole path.
///
/// One lock serialises the inputs, so clients and the journal see events in `seq` order. Under it the pipeline feeds
/// the input to the core and performs the actions it returns: journal first, then deliveries, disconnects and
/// release timers (each output only queues: the journal's thread writes, the event loops send). Then it publishes
/// the core's ``EmissionSnapshot``, which readers load without any lock.
///
/// Each input is stamped under the lock, so that `mono_ns` never goes backwards along `seq`.
///
/// An event the journal would refuse is neither numbered nor sent: the pipeline asks the journal first
/// (``JournalWriter/acceptance()``). Should the journal fail in the moment between that question and the append, the
/// input's events go out and count as lost in the journal's statistics, like those of the batch it was writing, and
/// the caller gets the failure.
public final class EmissionPipeline: Sendable {
    /// The backlog a journal may have before sources are held back, by default: 64 MiB of uncommitted events.
    public static let defaultMaxBacklogBytes = 64 << 20

    /// The namespace events are broadcast on.
    public let namespace: String
    public let durability: Durability
    /// Past this many uncommitted bytes in the journal, an input that is not admitted is refused (503 for an API).
    public let maxBacklogBytes: Int
    let journal: JournalWriter
    private let outputs: [any EmissionOutput]
    private let core: Mutex<EmissionCore>
    private let published: ManagedAtomic<SnapshotBox>
    /// Where delivery holds' release timers run.
    private let timers: any EventLoop

    /// Creates the pipeline.
    /// - Parameters:
    ///   - state: the restaurant the projection starts from.
    ///   - outputs: where events go once journaled, in this order.
    ///   - timers: the event loop delay faults' release timers run on.
    public init(
        namespace: String = "/events",
        state: RestaurantState,
        journal: JournalWriter,
        outputs: [any EmissionOutput],
        durability: Durability = .async,
        maxBacklogBytes: Int = EmissionPipeline.defaultMaxBacklogBytes,
        timers: any EventLoop
    ) {
        let core = EmissionCore(namespace: namespace, projection: state, durability: durability)
        self.namespace = namespace
        self.durability = durability
        self.maxBacklogBytes = maxBacklogBytes
        self.journal = journal
        self.outputs = outputs
        self.timers = timers
        self.published = ManagedAtomic(SnapshotBox(core.snapshot))
        self.core = Mutex(core)
        if durability == .committed {
            journal.observeCommits { [weak self] seq in self?.committed(through: seq) }
        }
    }

    // MARK: Reads

    /// The core as of the latest input, without waiting for any emission.
    public var snapshot: EmissionSnapshot {
        self.published.load(ordering: .acquiring).snapshot
    }

    /// Reads the restaurant as of the latest input.
    public func read<Result, Failure: Error>(_ body: (borrowing RestaurantState) throws(Failure) -> Result)
        throws(Failure) -> Result
    {
        try body(self.snapshot.state)
    }

    /// The sequence number of the last event numbered, or 0.
    public var lastSeq: Int64 { self.snapshot.lastSeq }

    // MARK: Admission

    /// Why new work was refused for now; retry after a moment.
    public struct Backpressure: Error, Sendable, CustomStringConvertible {
        /// The journal's uncommitted bytes, and the bound they passed.
        public var backlogBytes: Int
        public var maxBacklogBytes: Int
        /// An output that is behind instead (a Redis stream that cannot be reached): why.
        public var output: String? = nil

        public var description: String {
            if let output { return output }
            return "the journal is behind: \(self.backlogBytes >> 10) KiB not yet committed, past the bound of "
                + "\(self.maxBacklogBytes >> 10) KiB"
        }
    }

    /// Whether the journal is past its backlog bound now, or an output is behind (``EmissionOutput/behind``): what
    /// a paced source (simulation, replay) checks before an item, and waits on, so that a journal or an output that
    /// cannot keep up holds it back instead of queueing without bound.
    public var journalIsBehind: Bool {
        if self.outputs.contains(where: { $0.behind != nil }) {
            return true
        }
        return self.journal.backlogBytes > self.maxBacklogBytes
    }

    /// What went wrong with an input; nothing was numbered or sent.
    public enum Failure: Error, Sendable, CustomStringConvertible {
        /// The command refused the intent (bad input, unknown id, forbidden transition).
        case command(CommandError)
        /// The journal refused the event.
        case journal(JournalError)
        /// The journal is behind: nothing was tried; retry shortly.
        case backpressure(Backpressure)

        public var description: String {
            switch self {
            case .command(let error): "\(error)"
            case .journal(let error): "the journal refused the event: \(error)"
            case .backpressure(let error): error.description
            }
        }
    }

    // MARK: Inputs

    /// Runs a command and emits what it causes.
    /// - Parameter admitted: whether the caller already waited out the journal's backlog (``journalIsBehind``: a
    ///   simulation step does, once for all its commands); otherwise the command is refused while the journal is
    ///   behind, before it runs.
    /// - Returns: the events emitted, in order.
    @discardableResult
    public func perform(
        admitted: Bool = false,
        _ command: (borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent]
    ) throws(Failure) -> [EmittedEvent] {
        try self.perform(admitted: admitted, command) { _, emitted in emitted }
    }

    /// Runs a command, emits what it causes, and reads the result from the state it left.
    public func perform<Result>(
        admitted: Bool = false,
        _ command: (borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent],
        then result: (borrowing RestaurantState, [EmittedEvent]) -> Result
    ) throws(Failure) -> Result {
        try self.accept(admitted: admitted)
        let (emitted, after, lost) = try self.core.withLock { (core) throws(Failure) in
            let step: (actions: EmissionCore.Actions, emitted: [EmittedEvent])
            do throws(CommandError) {
                step = try core.command(command, at: EmissionClock.now())
            } catch {
                throw .command(error)
            }
            let performed = self.performLocked(step.actions, &core)
            return (step.emitted, performed.snapshot, performed.lost)
        }
        if let lost {
            throw .journal(lost)
        }
        return result(after.state, emitted)
    }

    /// An event as fired by hand: its number and the bytes the clients received.
    public struct Emitted: Sendable {
        public var seq: Int64
        /// The payload sent: the one given, or with the extra fields of an armed fault.
        public var payload: [UInt8]
    }

    /// Emits an event fired by hand to every client on the namespace and journals it; the projection is untouched.
    /// - Parameter payload: valid JSON bytes, sent and journaled exactly as given (unless an extra-fields fault is
    ///   armed: then with its fields appended, and journaled as such).
    @discardableResult
    public func emit(name: String, payload: [UInt8]) throws(Failure) -> Emitted {
        try self.accept(admitted: false)
        let (numbered, lost) = self.core.withLock { core in
            let step = core.handFired(name: name, payload: payload, at: EmissionClock.now())
            return (step.emitted, self.performLocked(step.actions, &core).lost)
        }
        if let lost {
            throw .journal(lost)
        }
        return Emitted(seq: numbered.seq, payload: numbered.payload)
    }

    /// Sends a recorded event exactly as the journal holds it (its fault mark included), or only projects it when a
    /// replay's filter hides it; the projection follows either way.
    /// - Returns: the event's new sequence number when it was sent, and what projecting it did.
    @discardableResult
    public func replay(_ event: JournalEvent, sends: Bool) throws(JournalError)
        -> (seq: Int64?, projection: JournalVerifier.Projection)
    {
        if sends {
            _ = try self.journal.acceptance()
        }
        let (seq, projection, lost) = self.core.withLock { core in
            let step = core.recorded(event, sends: sends, at: EmissionClock.now())
            return (step.seq, step.projection, self.performLocked(step.actions, &core).lost)
        }
        if let lost {
            throw lost
        }
        return (seq, projection)
    }

    /// An event read from a cluster's Redis stream (a follower's every event, an owner's events from other servers):
    /// numbered, journaled and projected like a recorded event, its deliveries marked ``EventDelivery/fromStream``
    /// (local clients get them; the stream does not get them again).
    /// - Parameter emittedAtNanos: when the event's owner numbered it, if it said.
    @discardableResult
    public func streamed(_ event: JournalEvent, emittedAtNanos: Int64?) throws(JournalError) -> Int64 {
        _ = try self.journal.acceptance()
        let (seq, lost) = self.core.withLock { core in
            let step = core.recorded(event, sends: true, at: EmissionClock.now(), streamed: true,
                                     emittedAtNanos: emittedAtNanos)
            return (step.seq ?? 0, self.performLocked(step.actions, &core).lost)
        }
        if let lost {
            throw lost
        }
        return seq
    }

    /// Replaces the projection (a replay that seeks), emitting nothing.
    public func restore(_ state: RestaurantState) {
        self.core.withLock { core in
            core.restore(state)
            self.published.store(SnapshotBox(core.snapshot), ordering: .releasing)
        }
    }

    /// What a fault did.
    public struct FaultReport: Sendable {
        public var fault: Fault
        /// The sequence numbers of the events it sent, in order.
        public var seqs: [Int64] = []
        /// The clients a disconnect cut.
        public var disconnected: Int?
        /// The transitions an armed extra-fields fault still changes, after this one.
        public var extraFieldsPending: Int
    }

    /// Why a fault was not injected; nothing was sent or journaled.
    public enum FaultFailure: Error, Sendable, CustomStringConvertible {
        /// The fault cannot apply now (it names a transition no longer kept, or none was emitted yet).
        case refused(String)
        case journal(JournalError)
        case backpressure(Backpressure)

        public var description: String {
            switch self {
            case .refused(let reason): reason
            case .journal(let error): "the journal refused the fault: \(error)"
            case .backpressure(let error): error.description
            }
        }
    }

    /// Injects a fault: sends and journals its events, or performs and journals a disconnect or a delay.
    /// - Parameter admitted: as for ``perform(admitted:_:)``: a scenario's or a replay's fault is, the API's is not.
    public func inject(_ fault: Fault, admitted: Bool = true) throws(FaultFailure) -> FaultReport {
        do throws(Failure) {
            try self.accept(admitted: admitted)
        } catch {
            switch error {
            case .backpressure(let backpressure): throw .backpressure(backpressure)
            case .journal(let journal): throw .journal(journal)
            case .command: preconditionFailure("admission runs no command")
            }
        }
        let (report, lost) = try self.core.withLock { (core) throws(FaultFailure) in
            let step: (actions: EmissionCore.Actions, seqs: [Int64])
            do throws(FaultInjector.Refusal) {
                step = try core.fault(fault, at: EmissionClock.now())
            } catch {
                throw .refused(error.description)
            }
            let performed = self.performLocked(step.actions, &core)
            return (FaultReport(fault: fault, seqs: step.seqs, disconnected: performed.disconnected,
                                extraFieldsPending: performed.snapshot.extraFieldsPending), performed.lost)
        }
        if let lost {
            throw .journal(lost)
        }
        return report
    }

    // MARK: Private

    /// Asks the journal whether it still takes events and, unless admitted, whether it is within its backlog bound.
    private func accept(admitted: Bool) throws(Failure) {
        let backlog: Int
        do throws(JournalError) {
            backlog = try self.journal.acceptance()
        } catch {
            throw .journal(error)
        }
        if !admitted, backlog > self.maxBacklogBytes {
            throw .backpressure(Backpressure(backlogBytes: backlog, maxBacklogBytes: self.maxBacklogBytes))
        }
        if !admitted, let reason = self.outputs.lazy.compactMap(\.behind).first {
            throw .backpressure(Backpressure(backlogBytes: backlog, maxBacklogBytes: self.maxBacklogBytes,
                                             output: reason))
        }
    }

    /// Performs the core's actions in order, then publishes its snapshot; the caller holds the lock.
    /// - Returns: the snapshot published, the clients a disconnect cut, and the journal's failure if it lost events.
    private func performLocked(_ actions: EmissionCore.Actions, _ core: inout EmissionCore)
        -> (snapshot: EmissionSnapshot, disconnected: Int?, lost: JournalError?)
    {
        var lost = self.journal.appendAccepted(actions.journal, faults: actions.journalFaults)
        if !actions.deliveries.isEmpty {
            for output in self.outputs {
                output.deliver(actions.deliveries)
            }
        }
        var disconnected: Int?
        if let disconnect = actions.disconnect {
            var count = 0
            for output in self.outputs {
                count += output.disconnect(clients: disconnect.clients, mode: disconnect.mode)
            }
            disconnected = count
            if let record = disconnect.record(disconnected: count) {
                lost = lost ?? self.journal.appendAccepted([], faults: [record])
            }
        }
        if let release = actions.release {
            self.timers.scheduleTask(in: .milliseconds(Int64(release.milliseconds))) {
                self.holdEnded(generation: release.generation)
            }
        }
        let snapshot = core.snapshot
        self.published.store(SnapshotBox(snapshot), ordering: .releasing)
        return (snapshot, disconnected, lost)
    }

    /// A delay's timer fired.
    private func holdEnded(generation: Int) {
        self.core.withLock { core in
            _ = self.performLocked(core.holdEnded(generation: generation), &core)
        }
    }

    /// The journal committed every event through `seq` (on its writer thread): with `committed` durability they may
    /// reach the clients now.
    private func committed(through seq: Int64) {
        self.core.withLock { core in
            let actions = core.committed(through: seq)
            if !actions.deliveries.isEmpty {
                for output in self.outputs {
                    output.deliver(actions.deliveries)
                }
            }
        }
    }
}

/// The published snapshot, as one reference an atomic can swap.
private final class SnapshotBox: AtomicReference, Sendable {
    let snapshot: EmissionSnapshot

    init(_ snapshot: EmissionSnapshot) {
        self.snapshot = snapshot
    }
}
