import Journal
import Restaurant
import Synchronization

/// The live restaurant: its state, and the one path by which it changes.
///
/// A change is a command: a pure function of the state that validates an intent and returns the events it causes.
/// The store runs it under its lock, checks the events against the lifecycle rules on a copy of the state, then
/// emits each one through the ``EventHub`` (journal and clients) and applies it. The REST API reads the same state,
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
        /// The command produced events the lifecycle rules refuse: a bug in the command.
        case violation(LifecycleViolation)
        /// The journal refused the event.
        case journal(JournalError)
    }

    /// Applies an event already checked against the same state.
    private static func applyChecked(_ event: RestaurantEvent, to state: inout RestaurantState) {
        do {
            try state.apply(event)
        } catch {
            preconditionFailure("an event checked against this state was refused: \(error)")
        }
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
        _ command: (borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent]
    ) throws(Failure) -> [RestaurantEvent] {
        try self.perform(command) { _, emitted in emitted.map(\.event) }
    }

    /// Runs a command, emits what it causes, and reads the result from the state it leaves, under the same lock.
    public func perform<Result: Sendable>(
        _ command: (borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent],
        then result: (borrowing RestaurantState, [Emitted]) -> Result
    ) throws(Failure) -> Result {
        try self.state.withLock { (state) throws(Failure) -> Result in
            let events: [RestaurantEvent]
            do throws(CommandError) {
                events = try command(state)
            } catch {
                throw .command(error)
            }
            // Check the whole change first, so that a refused event never leaves half a change behind. One event
            // (nearly every command) is checked in place; a longer change (a force reset) on a copy of the state.
            if events.count == 1 {
                do throws(LifecycleViolation) {
                    try state.check(events[0])
                } catch {
                    throw .violation(error)
                }
            } else if events.count > 1 {
                var next = state
                for event in events {
                    do throws(LifecycleViolation) {
                        try next.apply(event)
                    } catch {
                        throw .violation(error)
                    }
                }
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
                Self.applyChecked(event, to: &state)
            }
            return result(state, emitted)
        }
    }
}
