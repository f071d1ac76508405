import Restaurant
import TablecastJSON

/// A fault the backend contract warns frontends about, injected on purpose so that a frontend can prove it survives
/// it (`EVENTS.md`, "Client guidelines").
///
/// A fault comes from the control API (`POST /_tablecast/faults`) or from a scenario's `faults:` section. Each one is
/// journaled as what it was: the events a fault sends carry it in the journal's `fault` column, and the faults that
/// send no event (a disconnect, a delay) have a row of their own, so a replay reproduces them.
public enum Fault: Sendable, Hashable {
    /// Sends one transition again, same name and payload bytes: the one numbered `seq`, or the latest when `nil`.
    case duplicate(seq: Int64?)
    /// Sends the last `count` transitions again, in their original order, as a backend replaying after a reconnect
    /// might (guideline 1).
    case replay(count: Int)
    /// Sends an event the catalog does not have (guideline 4).
    case unknownEvent(name: String, payload: [UInt8])
    /// The next `count` transitions carry extra payload fields: `members` are the members of a JSON object (without
    /// its braces), appended after the payload's own. The transitions happen as usual.
    case extraFields(count: Int, members: [UInt8])
    /// Disconnects some or all clients of `/events`.
    case disconnect(clients: ClientCount, mode: DisconnectMode)
    /// Holds delivery for `milliseconds`: events emitted meanwhile happen (journal, REST state) but reach the clients
    /// together when the hold ends, in order.
    case delay(milliseconds: Int)

    /// The names the control API, scenarios and the journal use.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case duplicate
        case replay
        case unknownEvent = "unknown-event"
        case extraFields = "extra-fields"
        case disconnect
        case delay
    }

    /// How many clients a disconnect affects.
    public enum ClientCount: Sendable, Hashable, CustomStringConvertible {
        case all
        case count(Int)
        /// A share from 0 to 1 of the clients connected, rounded up (so `25%` of 1 client is that client).
        case share(Double)

        /// How many of `connected` clients this is.
        public func resolve(connected: Int) -> Int {
            switch self {
            case .all: connected
            case .count(let count): min(count, connected)
            case .share(let share): min(connected, Int((Double(connected) * share).rounded(.up)))
            }
        }

        /// `all`, `3` or `25%`, as the control API and scenarios write it.
        public var description: String {
            switch self {
            case .all: "all"
            case .count(let count): "\(count)"
            case .share(let share): "\(Self.percent(share))%"
            }
        }

        /// Parses `all`, a whole number, or a percentage such as `25%`.
        public init?(_ text: String) {
            if text == "all" {
                self = .all
            } else if let count = Int(text), count >= 0 {
                self = .count(count)
            } else if text.hasSuffix("%"), let percent = Double(text.dropLast()), percent >= 0, percent <= 100 {
                self = .share(percent / 100)
            } else {
                return nil
            }
        }

        private static func percent(_ share: Double) -> String {
            let value = share * 100
            return value == value.rounded() ? "\(Int(value))" : "\(value)"
        }
    }

    /// How a disconnect ends a client's connection.
    public enum DisconnectMode: String, Sendable, Hashable, CaseIterable {
        /// The connection closes: the client sees a transport close and reconnects by itself.
        case transport
        /// The server leaves the namespace (`socket.disconnect()` on the backend): the client sees
        /// "io server disconnect" and stays disconnected until it reconnects by hand.
        case namespace
    }

    public var kind: Kind {
        switch self {
        case .duplicate: .duplicate
        case .replay: .replay
        case .unknownEvent: .unknownEvent
        case .extraFields: .extraFields
        case .disconnect: .disconnect
        case .delay: .delay
        }
    }

    /// The longest replay and the oldest duplicate: how many recent transitions are kept.
    public static let recentCapacity = 1000
    /// The most bytes (names and payloads) the recent transitions keep: beyond it the oldest go first (the latest
    /// always stays), so that large events cannot make 1,000 transitions hold gigabytes. 1,000 of 8 KB fit.
    public static let recentByteBudget = 8 << 20

    /// The event an `unknown-event` fault sends when it names none.
    public static let defaultUnknownEventName = "tablecast:unknownEvent"
    /// Its payload.
    public static let defaultUnknownEventPayload = Array(
        #"{"note":"an event outside the /events catalog, sent by tablecast to test forward compatibility"}"#.utf8
    )
    /// The event names Socket.IO reserves, which no fault may send (the Simulator does not depend on the wire, so this
    /// repeats `SocketIOPacket.reservedEventNames`; a test keeps the two equal).
    public static let reservedEventNames: Set<String> = [
        "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener",
    ]
    /// The member an `extra-fields` fault appends when it names none.
    public static let defaultExtraMembers = Array(#""tablecastExtra":{"note":"a field this client does not know"}"#.utf8)
}

extension Fault {
    /// The fault a journal's `faults` row records (a disconnect or a delay), for a replay to perform again; `nil` for
    /// a kind or a spec this tablecast does not know.
    public init?(journalKind kind: String, spec: String) {
        guard let object = try? JSONParser.parse(Array(spec.utf8)).value, case .object = object else {
            return nil
        }
        switch Kind(rawValue: kind) {
        case .disconnect?:
            guard case .string(let clientsText)? = object["clients"], let clients = ClientCount(clientsText),
                case .string(let modeText)? = object["mode"], let mode = DisconnectMode(rawValue: modeText)
            else { return nil }
            self = .disconnect(clients: clients, mode: mode)
        case .delay?:
            guard let milliseconds = object["ms"]?.integerValue, milliseconds > 0 else { return nil }
            self = .delay(milliseconds: milliseconds)
        default:
            return nil
        }
    }
}
