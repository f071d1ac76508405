import Journal
import Restaurant
import Synchronization

/// The live restaurant: its state, and the one path by which it changes.
///
/// A change is a command: a pure function of the state that validates an intent against the lifecycle rules and
/// returns the events it causes. The store runs it under its lock, then emits each event through the ``EventHub``
/// (journal and clients) and commits it to the state. The REST API reads the same state,
/// so what it answers always agrees with what the clients were sent.
public final class RestaurantStore: Sendable {
    private let state: Mutex<RestaurantState>
    let hub: EventHub

    public init(state: RestaurantState, hub: EventHub) {
        self.state = Mutex(state)
        self.hub = hub
    }

    /// Reads the state under the lock.
    public func read<Result: Sendable>(_ body: (borrowing RestaurantState) -> Result) -> Result {
        self.state.withLock { state in body(state) }
    }

    /// What went wrong with a change; nothing was emitted or changed.
    public enum Failure: Error, Sendable {
        /// The command refused the intent (bad input, unknown id, forbidden transition).
        case command(CommandError)
        /// The journal refused the event.
        case journal(JournalError)
        /// The journal is behind: nothing was tried; retry shortly.
        case backpressure(EventHub.Backpressure)
    }

    /// An event a change emitted, with its number and the payload the clients received.
    public struct Emitted: Sendable {
        public var event: RestaurantEvent
        public var seq: Int64
        /// The bytes sent: the event's payload, or with the fields of an extra-fields fault appended.
        public var payload: [UInt8]
    }

    /// Runs a command and emits what it causes.
    /// - Returns: the events emitted, in order.
    @discardableResult
    public func perform(
        admitted: Bool = false,
        _ command: (borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent]
    ) throws(Failure) -> [RestaurantEvent] {
        try self.perform(admitted: admitted, command) { _, emitted in emitted.map(\.event) }
    }

    /// Runs a command, emits what it causes, and reads the result from the state it leaves, under the same lock.
    /// - Parameter admitted: whether the caller already asked ``EventHub/admit()`` (a simulation step does, once for
    ///   all its commands); otherwise the command is refused while the journal is behind, before it runs.
    public func perform<Result: Sendable>(
        admitted: Bool = false,
        _ command: (borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent],
        then result: (borrowing RestaurantState, [Emitted]) -> Result
    ) throws(Failure) -> Result {
        if !admitted {
            do throws(EventHub.Backpressure) {
                try self.hub.admit()
            } catch {
                throw .backpressure(error)
            }
        }
        return try self.state.withLock { (state) throws(Failure) -> Result in
            let events: [RestaurantEvent]
            do throws(CommandError) {
                events = try command(state)
            } catch {
                throw .command(error)
            }
            var emitted: [Emitted] = []
            emitted.reserveCapacity(events.count)
            for event in events {
                do throws(JournalError) {
                    let sent = try self.hub.emit(name: event.name.rawValue, payload: event.payload,
                                                 detail: event.detail)
                    emitted.append(Emitted(event: event, seq: sent.seq, payload: sent.payload))
                } catch {
                    // The state keeps exactly what was emitted before the journal failed.
                    throw .journal(error)
                }
                // The command checked the event against this state; nothing was changed since.
                state.commit(commandEvents: CollectionOfOne(event))
            }
            return result(state, emitted)
        }
    }

    // MARK: Replay

    /// Emits a recorded event as it was, and applies it to the state when it is a sound transition, as a projection
    /// of the journal would: a replay's REST state is always the projection of what it has sent.
    /// - Returns: the event's new sequence number, and what applying it did.
    public func replay(
        name: String,
        payload: [UInt8],
        detail: [UInt8]?,
        fault: String?
    ) throws(JournalError) -> (seq: Int64, projection: JournalVerifier.Projection) {
        try self.state.withLock { (state) throws(JournalError) in
            let seq = try self.hub.emitRecorded(name: name, payload: payload, detail: detail, fault: fault)
            let projection = JournalVerifier.project(into: &state, seq: seq, name: name, payload: payload,
                                                     detail: detail, fault: fault)
            return (seq, projection)
        }
    }

    /// Applies a recorded event to the state without sending it (a replay's filter hid it from the clients).
    public func project(seq: Int64, name: String, payload: [UInt8], detail: [UInt8]?, fault: String?) {
        self.state.withLock { state in
            _ = JournalVerifier.project(into: &state, seq: seq, name: name, payload: payload, detail: detail,
                                        fault: fault)
        }
    }

    /// Replaces the state (a replay that seeks), emitting nothing.
    public func restore(_ state: RestaurantState) {
        self.state.withLock { $0 = state }
    }

    /// A copy of the state (a replay's snapshot).
    public var snapshot: RestaurantState {
        self.state.withLock { $0 }
    }
}
