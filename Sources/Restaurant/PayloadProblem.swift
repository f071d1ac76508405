/// How much a problem found in a journal or a payload matters.
public enum IssueSeverity: String, Sendable, Hashable, Codable, CaseIterable {
    /// The event breaks the contract: a client written against it may fail.
    case error
    /// The event departs from the contract's conventions, or the contract does not know it; clients written
    /// against it keep working (forward compatibility).
    case warning
}

/// Something wrong with an event's payload (or its journal detail), found by
/// ``RestaurantEvent/decode(name:payload:detail:menuItem:)`` against the catalog's schema.
public struct PayloadProblem: Sendable, Hashable, CustomStringConvertible {
    /// Errors make the event undecodable; warnings leave it decoded.
    public var severity: IssueSeverity
    /// A stable identifier such as `schema.missingKey`; one of ``allRules``.
    public var rule: String
    /// Where in the payload: `items[0].quantity`; empty for the payload as a whole; `detail…` for the journal detail.
    public var path: String
    /// A sentence naming the place and the problem.
    public var message: String

    public init(severity: IssueSeverity, rule: String, path: String, message: String) {
        self.severity = severity
        self.rule = rule
        self.path = path
        self.message = message
    }

    init(_ rule: Rule, path: String, _ message: String) {
        self.init(severity: rule.severity, rule: rule.rawValue, path: path, message: message)
    }

    public var description: String { "\(self.severity.rawValue) \(self.rule): \(self.message)" }

    /// Every rule identifier a decode reports.
    public static let allRules: [String] = Rule.allCases.map(\.rawValue)

    enum Rule: String, CaseIterable, Sendable {
        /// The payload is not one well-formed JSON value.
        case invalidJSON = "payload.invalidJSON"
        /// Whitespace between tokens (the contract writes none); a warning.
        case whitespace = "payload.whitespace"
        /// A value of the wrong JSON type.
        case type = "schema.type"
        case missingKey = "schema.missingKey"
        case duplicateKey = "schema.duplicateKey"
        /// A key the contract does not define; a warning (a newer backend may add fields).
        case extraKey = "schema.extraKey"
        /// Keys out of the contract's order; a warning.
        case keyOrder = "schema.keyOrder"
        /// A string outside an enumeration (`status`, `type`, `role`).
        case enumeration = "schema.enum"
        /// An integer below its minimum (ids from 1, money and quantities as the schema says).
        case minimum = "schema.minimum"
        /// A time not in the contract's form `2026-11-26T12:00:00.000Z`.
        case dateTime = "schema.dateTime"
        /// The journal detail of a menu event is not valid JSON.
        case detailInvalidJSON = "detail.invalidJSON"
        /// The journal detail names another item than the payload.
        case detailMismatch = "detail.mismatch"
        /// A journal detail beside an event that has none; ignored, a warning.
        case detailUnexpected = "detail.unexpected"

        var severity: IssueSeverity {
            switch self {
            case .whitespace, .extraKey, .keyOrder, .detailUnexpected: .warning
            default: .error
            }
        }
    }
}

/// What ``RestaurantEvent/decode(name:payload:detail:menuItem:)`` made of a journaled or received event.
public enum DecodedEvent: Sendable, Hashable {
    /// The event, with the warnings its payload raised (often none).
    case decoded(RestaurantEvent, warnings: [PayloadProblem])
    /// The name is not in the catalog: for forward compatibility a warning, not an error; the payload is not read.
    case unknownName(String)
    /// The payload breaks the event's schema; `problems` holds at least one error, and any warnings.
    case invalid(EventName, problems: [PayloadProblem])

    /// The event, when it decoded.
    public var event: RestaurantEvent? {
        if case .decoded(let event, _) = self { event } else { nil }
    }
}
