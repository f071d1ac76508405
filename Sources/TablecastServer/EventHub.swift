import Journal
import NIOConcurrencyHelpers
import NIOCore
import Simulator
import SocketIOProtocol
import SocketIOServer
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The one emission point: every event that reaches a client passes here.
///
/// `emit` assigns the next sequence number, stamps wall and monotonic time, encodes the Socket.IO packet once
/// (`42/events,["name",<payload>]`, the payload bytes untouched), appends the event to the journal and hands the same
/// bytes to the broadcaster. One lock serialises these steps, so clients and the journal see events in `seq` order.
/// An event the journal refuses is neither numbered nor sent.
///
/// Faults pass here too (``inject(_:)``): what they send is numbered, journaled with its `fault` and broadcast like
/// any event; a disconnect or a delivery hold is journaled in the `faults` table at its place in the sequence.
public final class EventHub: Sendable {
    /// When an event reaches the clients, relative to its journal commit.
    public enum Durability: String, Sendable, CaseIterable {
        /// Broadcast at once; the journal commits behind. A `kill -9` can lose what the clients got and the journal
        /// had not committed yet: at most the writer's current batch (about one transaction, ≤ 1,000 events).
        case async
        /// Broadcast once the event's journal transaction has committed: after a `kill -9` the journal holds every
        /// event any client received. Costs the commit's latency on every event.
        case committed
    }

    /// How many event names are counted apart (`tablecast_events_emitted_total{name}`); events of names beyond them
    /// are counted under ``otherNames``, so that hand-fired names cannot grow the metrics without bound.
    public static let maxCountedNames = 1000
    public static let otherNames = "(other)"

    /// The backlog a journal may have before sources are held back, by default: 64 MiB of uncommitted events.
    public static let defaultMaxBacklogBytes = 64 << 20

    /// The namespace events are broadcast on.
    public let namespace: String
    public let durability: Durability
    /// Past this many uncommitted bytes in the journal, ``admit()`` refuses new work.
    public let maxBacklogBytes: Int
    let broadcaster: Broadcaster
    let journal: JournalWriter
    /// Disconnects clients for a disconnect fault and answers how many; `nil` where there are no clients to cut.
    private let disconnect: (@Sendable (Fault.ClientCount, Fault.DisconnectMode) -> Int)?
    private let state = Mutex(State())

    private struct State {
        var lastSeq: Int64 = 0
        var faults = FaultInjector()
        /// While a delay fault holds delivery: the events emitted meanwhile, in order.
        var held: [Outgoing]?
        /// With `committed` durability: the events emitted and not yet committed, in order.
        var awaitingCommit = CircularBuffer<Outgoing>()
        /// Identifies the latest hold, so that only its end releases what is held.
        var holdGeneration = 0
        /// Events emitted so far, by name, for metrics.
        var emittedByName: [String: Int] = [:]
    }

    /// An event as emitted: its number and the bytes the clients received.
    public struct Emitted: Sendable {
        public var seq: Int64
        /// The payload sent: the one given, or with the extra fields of an armed fault.
        public var payload: [UInt8]
    }

    /// One event on its way to the clients.
    private struct Outgoing {
        var seq: Int64
        var frame: EngineIOFrame
        var emittedAt: Int64
        var traced: EngineIOFrame?
    }

    /// Why new work was refused for now; retry after a moment.
    public struct Backpressure: Error, Sendable, CustomStringConvertible {
        /// The journal's uncommitted bytes, and the bound they passed.
        public var backlogBytes: Int
        public var maxBacklogBytes: Int

        public var description: String {
            "the journal is behind: \(self.backlogBytes >> 10) KiB not yet committed, past the bound of "
                + "\(self.maxBacklogBytes >> 10) KiB"
        }
    }

    public init(
        namespace: String = "/events",
        broadcaster: Broadcaster,
        journal: JournalWriter,
        durability: Durability = .async,
        maxBacklogBytes: Int = EventHub.defaultMaxBacklogBytes,
        disconnect: (@Sendable (Fault.ClientCount, Fault.DisconnectMode) -> Int)? = nil
    ) {
        self.namespace = namespace
        self.durability = durability
        self.maxBacklogBytes = maxBacklogBytes
        self.broadcaster = broadcaster
        self.journal = journal
        self.disconnect = disconnect
        if durability == .committed {
            journal.observeCommits { [weak self] seq in self?.committed(through: seq) }
        }
    }

    /// Refuses new work while the journal is behind: what every source asks before it emits, so that a journal that
    /// cannot keep up holds its sources back (an API answers 503, a simulation or a replay waits) instead of queueing
    /// without bound. Work admitted is never dropped: the events of one command or fault all go.
    public func admit() throws(Backpressure) {
        let backlog = self.journal.backlogBytes
        if backlog > self.maxBacklogBytes {
            throw Backpressure(backlogBytes: backlog, maxBacklogBytes: self.maxBacklogBytes)
        }
    }

    /// Whether the journal is past its backlog bound now.
    public var journalIsBehind: Bool {
        self.journal.backlogBytes > self.maxBacklogBytes
    }

    /// The sequence number of the last event emitted, or 0.
    public var lastSeq: Int64 { self.state.withLock { $0.lastSeq } }

    /// Emits one event to every client on the namespace and journals it.
    /// - Parameters:
    ///   - name: the event name.
    ///   - payload: the payload as valid JSON bytes; they are sent and journaled exactly as given (unless an
    ///     extra-fields fault is armed: then with its fields appended, and journaled as such).
    ///   - detail: what the payload leaves out and the journal keeps for rebuilding state; never sent.
    /// - Returns: the event's sequence number and the payload sent.
    /// - Throws: ``JournalError`` when the journal cannot take the event; nothing is sent then.
    @discardableResult
    public func emit(name: String, payload: [UInt8], detail: [UInt8]? = nil) throws(JournalError) -> Emitted {
        try self.state.withLock { (state) throws(JournalError) -> Emitted in
            let (sent, fault) = state.faults.payload(for: payload)
            let seq = try self.emitLocked(&state, name: name, payload: sent, detail: detail, fault: fault)
            state.faults.transition(seq: seq, name: name, payload: sent)
            return Emitted(seq: seq, payload: sent)
        }
    }

    /// Emits an event exactly as a journal holds it, its fault mark included: how a replay sends what was recorded.
    /// An armed extra-fields fault does not change it, and only an unmarked event counts as a transition that a later
    /// duplicate or replay fault may copy.
    @discardableResult
    public func emitRecorded(name: String, payload: [UInt8], detail: [UInt8]?, fault: String?) throws(JournalError)
        -> Int64
    {
        try self.state.withLock { (state) throws(JournalError) -> Int64 in
            let seq = try self.emitLocked(&state, name: name, payload: payload, detail: detail, fault: fault)
            if fault == nil {
                state.faults.transition(seq: seq, name: name, payload: payload)
            }
            return seq
        }
    }

    /// What a fault did.
    public struct FaultReport: Sendable {
        public var fault: Fault
        /// The sequence numbers of the events it sent, in order.
        public var seqs: [Int64] = []
        /// The clients a disconnect cut.
        public var disconnected: Int?
    }

    /// Why a fault was not injected; nothing was sent or journaled.
    public enum FaultFailure: Error, Sendable, CustomStringConvertible {
        /// The fault cannot apply now (it names a transition no longer kept, or none was emitted yet).
        case refused(String)
        case journal(JournalError)

        public var description: String {
            switch self {
            case .refused(let reason): reason
            case .journal(let error): "the journal refused the fault: \(error)"
            }
        }
    }

    /// Injects a fault: sends and journals its events, or performs and journals a disconnect or a delay.
    public func inject(_ fault: Fault) throws(FaultFailure) -> FaultReport {
        var release: (generation: Int, milliseconds: Int)?
        let report = try self.state.withLock { (state) throws(FaultFailure) -> FaultReport in
            let emissions: [FaultInjector.Emission]
            do throws(FaultInjector.Refusal) {
                emissions = try state.faults.emissions(for: fault)
            } catch {
                throw .refused(error.description)
            }
            var report = FaultReport(fault: fault)
            do throws(JournalError) {
                for emission in emissions {
                    report.seqs.append(try self.emitLocked(&state, name: emission.name, payload: emission.payload,
                                                           detail: nil, fault: emission.fault))
                }
                switch fault {
                case .disconnect(let clients, let mode):
                    let count = self.disconnect?(clients, mode) ?? 0
                    report.disconnected = count
                    try self.journalFault(fault, disconnected: count, afterSeq: state.lastSeq)
                case .delay(let milliseconds):
                    try self.journalFault(fault, afterSeq: state.lastSeq)
                    if state.held == nil {
                        state.held = []
                    }
                    state.holdGeneration += 1
                    release = (state.holdGeneration, milliseconds)
                case .duplicate, .replay, .unknownEvent, .extraFields:
                    break
                }
            } catch {
                throw .journal(error)
            }
            return report
        }
        if let release {
            Task {
                try? await Task.sleep(for: .milliseconds(release.milliseconds))
                self.releaseHold(generation: release.generation)
            }
        }
        return report
    }

    /// Events emitted so far, by name.
    public var emittedByName: [String: Int] { self.state.withLock { $0.emittedByName } }

    /// Faults injected so far by kind, and the transitions an armed extra-fields fault still changes.
    public var faultStatus: (injected: [Fault.Kind: Int], extraFieldsPending: Int, holding: Bool) {
        self.state.withLock { ($0.faults.injected, $0.faults.extraFieldsPending, $0.held != nil) }
    }

    // MARK: Private

    /// Numbers, journals and publishes one event; the caller holds the lock.
    private func emitLocked(
        _ state: inout State,
        name: String,
        payload: [UInt8],
        detail: [UInt8]?,
        fault: String?
    ) throws(JournalError) -> Int64 {
        let seq = state.lastSeq + 1
        let monoNanos = Int64(NIODeadline.now().uptimeNanoseconds)
        try self.journal.append(
            JournalEvent(
                seq: seq,
                monoNanos: monoNanos,
                wallMillis: Self.wallClockMillis(),
                namespace: self.namespace,
                name: name,
                payload: payload,
                detail: detail,
                fault: fault
            )
        )
        state.lastSeq = seq
        if let index = state.emittedByName.index(forKey: name) {
            state.emittedByName.values[index] += 1
        } else {
            state.emittedByName[state.emittedByName.count < Self.maxCountedNames ? name : Self.otherNames, default: 0] += 1
        }
        let frame = SocketIOPacket.eventFrame(namespace: self.namespace, name: name, payload: payload)
        // Only when a load client asked for traces: the same frame with `{"seq":N,"emittedAt":T}` appended.
        let traced = self.broadcaster.hasTracedSubscribers
            ? SocketIOPacket.tracedEventFrame(frame, seq: seq, emittedAtNanos: monoNanos) : nil
        let outgoing = Outgoing(seq: seq, frame: frame, emittedAt: monoNanos, traced: traced)
        switch self.durability {
        case .async:
            self.deliverLocked(&state, outgoing)
        case .committed:
            state.awaitingCommit.append(outgoing)
        }
        return seq
    }

    /// Sends one event to the clients now, or holds it while a delay fault holds delivery; the caller holds the lock.
    private func deliverLocked(_ state: inout State, _ outgoing: Outgoing) {
        if state.held != nil {
            state.held!.append(outgoing)
        } else {
            self.broadcaster.publish(seq: outgoing.seq, frame: outgoing.frame, emittedAtNanos: outgoing.emittedAt,
                                     tracedFrame: outgoing.traced)
        }
    }

    /// The journal committed every event through `seq` (on its writer thread): with `committed` durability they may
    /// reach the clients now.
    private func committed(through seq: Int64) {
        self.state.withLock { state in
            while let first = state.awaitingCommit.first, first.seq <= seq {
                state.awaitingCommit.removeFirst()
                self.deliverLocked(&state, first)
            }
        }
    }

    private func journalFault(_ fault: Fault, disconnected: Int = 0, afterSeq: Int64) throws(JournalError) {
        guard let spec = fault.journalSpec(disconnected: disconnected) else { return }
        try self.journal.append(
            fault: JournalFault(
                afterSeq: afterSeq,
                monoNanos: Int64(NIODeadline.now().uptimeNanoseconds),
                wallMillis: Self.wallClockMillis(),
                kind: fault.kind.rawValue,
                spec: spec
            )
        )
    }

    /// Ends a delivery hold, unless a later delay extended it: what was held goes out, in order.
    private func releaseHold(generation: Int) {
        self.state.withLock { state in
            guard state.holdGeneration == generation, let held = state.held else { return }
            state.held = nil
            for event in held {
                self.deliverLocked(&state, event)
            }
        }
    }

    static func wallClockMillis() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
