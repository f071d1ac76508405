/// An event that a consistent stream never holds: ``RestaurantState/apply(_:)`` refuses it and leaves the state as
/// it was.
///
/// ``rule`` is a short identifier that stays the same across releases (tools and tests match on it, the journal
/// verifier prints it); ``message`` is a sentence for people that names the entity, its id and its current state.
public struct LifecycleViolation: Error, Sendable, Hashable, CustomStringConvertible {
    /// The rule broken, such as `order.serve.requiresPending`; one of ``allRules``.
    public var rule: String
    /// What is wrong, such as "order 12 is cancelled; only a pending order can be served".
    public var message: String

    public init(rule: String, message: String) {
        self.rule = rule
        self.message = message
    }

    init(_ rule: Rule, _ message: String) {
        self.rule = rule.rawValue
        self.message = message
    }

    public var description: String { "\(self.rule): \(self.message)" }

    /// Every rule identifier ``RestaurantState/apply(_:)`` reports, grouped by entity.
    public static let allRules: [String] = Rule.allCases.map(\.rawValue)

    /// The rules of the contract's "Lifecycles" section and the invariants of its payloads.
    enum Rule: String, CaseIterable, Sendable {
        /// An event names a table that the restaurant does not have.
        case tableRequiresKnownNumber = "table.requiresKnownNumber"
        case tableActivateRequiresAvailable = "table.activate.requiresAvailable"
        case tableCheckoutStartRequiresActive = "table.checkoutStart.requiresActive"
        case tableCheckoutCompleteRequiresCheckout = "table.checkoutComplete.requiresCheckout"
        case tableCheckoutCompleteRequiresNoOpenOrders = "table.checkoutComplete.requiresNoOpenOrders"
        /// A force reset emits `order:cancelled` for each open order of the table before `table:forceReset`.
        case tableForceResetRequiresNoOpenOrders = "table.forceReset.requiresNoOpenOrders"

        case orderCreateRequiresNewId = "order.create.requiresNewId"
        case orderCreateRequiresActiveTable = "order.create.requiresActiveTable"
        case orderCreateRequiresKnownMenuItems = "order.create.requiresKnownMenuItems"
        case orderServeRequiresKnownId = "order.serve.requiresKnownId"
        case orderServeRequiresPending = "order.serve.requiresPending"
        case orderCompleteRequiresKnownId = "order.complete.requiresKnownId"
        case orderCompleteRequiresServed = "order.complete.requiresServed"
        case orderCancelRequiresKnownId = "order.cancel.requiresKnownId"
        case orderCancelRequiresPendingOrServed = "order.cancel.requiresPendingOrServed"
        /// The payload's `status` and time fields are not those of the transition the event reports.
        case orderPayloadStatusMatchesEvent = "order.payload.statusMatchesEvent"
        /// `totalPrice` is not the sum of quantity × unitPrice.
        case orderPayloadTotalPrice = "order.payload.totalPrice"
        /// A transition changed what it cannot: table, items, total, creation time, or an earlier transition's time.
        case orderPayloadUnchangedFields = "order.payload.unchangedFields"

        case menuCreateRequiresNewId = "menu.create.requiresNewId"
        case menuUpdateRequiresKnownId = "menu.update.requiresKnownId"
        case menuDeleteRequiresKnownId = "menu.delete.requiresKnownId"

        case userCreateRequiresNewId = "user.create.requiresNewId"
        case userDeleteRequiresKnownId = "user.delete.requiresKnownId"

        case messageCreateRequiresNewId = "message.create.requiresNewId"
        case messageCreateRequiresKnownAuthor = "message.create.requiresKnownAuthor"
        case messageCreateAuthorNameMatches = "message.create.authorNameMatches"
        case messageUpdateRequiresKnownId = "message.update.requiresKnownId"
        case messagePinRequiresKnownId = "message.pin.requiresKnownId"
        case messageDeleteRequiresKnownId = "message.delete.requiresKnownId"
        /// An edit or a pin changed what it cannot: author, creation time (and, for a pin, the content).
        case messagePayloadUnchangedFields = "message.payload.unchangedFields"

        case serviceCallRequiresCallableTable = "serviceCall.requiresCallableTable"
        case serviceCallCreateRequiresNewId = "serviceCall.create.requiresNewId"
        /// While a table has a pending call, a new call from it updates that call (same id).
        case serviceCallUpsertRequiresSameId = "serviceCall.upsert.requiresSameId"
        case serviceCallHandleRequiresKnownId = "serviceCall.handle.requiresKnownId"
        case serviceCallHandleRequiresPending = "serviceCall.handle.requiresPending"
        case serviceCallHandleRequiresKnownUser = "serviceCall.handle.requiresKnownUser"
        /// The payload's `status`, `handledAt` and `handledBy` are not those of the event.
        case serviceCallPayloadStatusMatchesEvent = "serviceCall.payload.statusMatchesEvent"
        /// An upsert or a handling changed what it cannot: table, creation time (and, when handled, the type).
        case serviceCallPayloadUnchangedFields = "serviceCall.payload.unchangedFields"

        /// Whether the rule says that an id or number names nothing (a REST API answers 404 rather than 409).
        var isUnknownReference: Bool {
            switch self {
            case .tableRequiresKnownNumber, .orderServeRequiresKnownId, .orderCompleteRequiresKnownId,
                .orderCancelRequiresKnownId, .orderCreateRequiresKnownMenuItems, .menuUpdateRequiresKnownId,
                .menuDeleteRequiresKnownId, .userDeleteRequiresKnownId, .messageCreateRequiresKnownAuthor,
                .messageUpdateRequiresKnownId, .messagePinRequiresKnownId, .messageDeleteRequiresKnownId,
                .serviceCallHandleRequiresKnownId, .serviceCallHandleRequiresKnownUser:
                true
            default:
                false
            }
        }
    }
}
