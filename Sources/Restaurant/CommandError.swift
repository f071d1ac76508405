/// Why a command of ``RestaurantState`` refused an intent; nothing was emitted or changed.
///
/// A struct with a ``Kind`` rather than an enum, so new kinds never break callers. The REST API answers with
/// ``httpStatus`` and ``message``; ``field`` names the request field at fault when there is one.
public struct CommandError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of a ``CommandError``, for matching and for the HTTP status.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Value: Sendable, Hashable {
            case invalid
            case notFound
            case conflict
        }

        private let value: Value

        private init(_ value: Value) {
            self.value = value
        }

        /// A field of the request is malformed or out of range (HTTP 400); ``CommandError/field`` names it.
        public static let invalid = Kind(.invalid)
        /// An id or number names nothing (HTTP 404).
        public static let notFound = Kind(.notFound)
        /// The lifecycle forbids the transition in the entity's current state (HTTP 409).
        public static let conflict = Kind(.conflict)

        /// The HTTP status the REST API answers with.
        public var httpStatus: Int {
            switch self.value {
            case .invalid: 400
            case .notFound: 404
            case .conflict: 409
            }
        }

        public var description: String {
            switch self.value {
            case .invalid: "invalid"
            case .notFound: "notFound"
            case .conflict: "conflict"
            }
        }
    }

    /// What went wrong, and so the HTTP status.
    public var kind: Kind
    /// The request field at fault (`price`, `items[1].quantity`): always set for ``Kind/invalid``, and for
    /// ``Kind/notFound`` when the unknown id came in the request body rather than the path.
    public var field: String?
    /// A sentence naming the field, or the entity and its id, or its current state.
    public var message: String
    /// For ``Kind/conflict``: the lifecycle rule the intent would break (see ``LifecycleViolation/rule``).
    public var rule: String?

    /// The HTTP status the REST API answers with: 400, 404 or 409.
    public var httpStatus: Int { self.kind.httpStatus }

    public var description: String { self.message }

    /// A malformed or out-of-range request field (HTTP 400).
    public static func invalid(field: String, _ message: String) -> CommandError {
        CommandError(kind: .invalid, field: field, message: message, rule: nil)
    }

    /// An id or number that names nothing (HTTP 404); `field` is set when it came in the request body.
    public static func notFound(_ message: String, field: String? = nil) -> CommandError {
        CommandError(kind: .notFound, field: field, message: message, rule: nil)
    }

    /// A transition that the lifecycle forbids in the current state (HTTP 409).
    public static func conflict(_ message: String, rule: String? = nil) -> CommandError {
        CommandError(kind: .conflict, field: nil, message: message, rule: rule)
    }
}
