/// A scenario's `faults:` section: which faults strike, how often, and with what parameters.
///
/// Each fault kind is a Poisson process in model time, like the staff's activity, drawn from a random stream of its
/// own: adding faults to a scenario leaves its traffic exactly as it was.
public struct FaultSchedule: Sendable, Hashable {
    /// One kind of fault and how often it strikes.
    public struct Entry: Sendable, Hashable {
        /// Occurrences per model second.
        public var rate: Double
        public var template: Template

        public init(rate: Double, template: Template) {
            self.rate = rate
            self.template = template
        }
    }

    /// A fault with its parameters, drawn anew each time it strikes.
    public enum Template: Sendable, Hashable {
        /// The latest transition again.
        case duplicate
        /// The last `count` transitions again.
        case replay(count: ClosedRange<Int>)
        /// An event outside the catalog, named one of `names`.
        case unknownEvent(names: [String])
        /// The next `count` transitions carry an extra field.
        case extraFields(count: ClosedRange<Int>)
        case disconnect(clients: Fault.ClientCount, mode: Fault.DisconnectMode)
        /// A delivery hold of `duration` wall-clock seconds.
        case delay(duration: DurationRange)

        /// The kind of fault it gives.
        public var kind: Fault.Kind {
            switch self {
            case .duplicate: .duplicate
            case .replay: .replay
            case .unknownEvent: .unknownEvent
            case .extraFields: .extraFields
            case .disconnect: .disconnect
            case .delay: .delay
            }
        }

        /// The fault this template gives, with its draws taken from `random`.
        func draw(using random: inout SimulationRandom) -> Fault {
            switch self {
            case .duplicate:
                return .duplicate(seq: nil)
            case .replay(let count):
                return .replay(count: random.int(in: count))
            case .unknownEvent(let names):
                let name = random.element(of: names)
                return .unknownEvent(name: name, payload: Fault.defaultUnknownEventPayload)
            case .extraFields(let count):
                return .extraFields(count: random.int(in: count), members: Fault.defaultExtraMembers)
            case .disconnect(let clients, let mode):
                return .disconnect(clients: clients, mode: mode)
            case .delay(let duration):
                return .delay(milliseconds: Int((duration.draw(using: &random) * 1000).rounded()))
            }
        }
    }

    /// The entries, in the order the schema lists the kinds.
    public var entries: [Entry]

    public init(entries: [Entry] = []) {
        self.entries = entries
    }

    public var isEmpty: Bool { self.entries.isEmpty }
}
