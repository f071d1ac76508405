import TablecastJSON

/// The 20 event names of the `/events` contract, with the backend's mixed separators kept as they are.
public enum EventName: String, Sendable, CaseIterable, Codable {
    case orderCreated = "order:created"
    case orderServed = "order:served"
    case orderCompleted = "order:completed"
    case orderCancelled = "order:cancelled"
    case tableActivated = "table:activated"
    case tableCheckoutStarted = "table:checkoutStarted"
    case tableCheckoutCompleted = "table:checkoutCompleted"
    case tableForceReset = "table:forceReset"
    case menuCreated = "menu.created"
    case menuUpdated = "menu.updated"
    case menuDeleted = "menu.deleted"
    case userCreated = "user.created"
    case userDeleted = "user.deleted"
    case newMessage = "newMessage"
    case messageUpdated = "messageUpdated"
    case messagePinned = "messagePinned"
    case messageDeleted = "messageDeleted"
    case allMessagesDeleted = "allMessagesDeleted"
    case serviceCall = "serviceCall"
    case serviceCallHandled = "serviceCallHandled"
}

/// One event of the contract with its payload, as the domain produces it.
public enum RestaurantEvent: Sendable, Hashable {
    case orderCreated(Order)
    case orderServed(Order)
    case orderCompleted(Order)
    case orderCancelled(Order)
    case tableActivated(tableNumber: Int)
    case tableCheckoutStarted(tableNumber: Int)
    case tableCheckoutCompleted(tableNumber: Int)
    case tableForceReset(tableNumber: Int)
    /// Carries the whole item; the payload says only `{id, name}` (see ``detail``).
    case menuCreated(MenuItem)
    /// Carries the whole item after the change; the payload says only `{id}` (see ``detail``).
    case menuUpdated(MenuItem)
    case menuDeleted(id: Int)
    case userCreated(User)
    case userDeleted(id: Int)
    case newMessage(Message)
    case messageUpdated(Message)
    case messagePinned(Message)
    case messageDeleted(id: Int)
    case allMessagesDeleted
    case serviceCall(ServiceCall)
    case serviceCallHandled(ServiceCall)

    public var name: EventName {
        switch self {
        case .orderCreated: .orderCreated
        case .orderServed: .orderServed
        case .orderCompleted: .orderCompleted
        case .orderCancelled: .orderCancelled
        case .tableActivated: .tableActivated
        case .tableCheckoutStarted: .tableCheckoutStarted
        case .tableCheckoutCompleted: .tableCheckoutCompleted
        case .tableForceReset: .tableForceReset
        case .menuCreated: .menuCreated
        case .menuUpdated: .menuUpdated
        case .menuDeleted: .menuDeleted
        case .userCreated: .userCreated
        case .userDeleted: .userDeleted
        case .newMessage: .newMessage
        case .messageUpdated: .messageUpdated
        case .messagePinned: .messagePinned
        case .messageDeleted: .messageDeleted
        case .allMessagesDeleted: .allMessagesDeleted
        case .serviceCall: .serviceCall
        case .serviceCallHandled: .serviceCallHandled
        }
    }

    /// What the payload leaves out and a complete REST state needs: the whole menu item for `menu.created` and
    /// `menu.updated` (the contract's payloads name only its id and name). The journal keeps it beside the event, so
    /// that a projection rebuilt from the journal equals the live state; clients never see it.
    public var detail: [UInt8]? {
        switch self {
        case .menuCreated(let item), .menuUpdated(let item):
            var writer = JSONWriter()
            item.encode(into: &writer)
            return writer.bytes
        default:
            return nil
        }
    }

    /// The payload's JSON bytes, exactly as the contract writes them.
    public var payload: [UInt8] {
        var writer = JSONWriter(capacity: 512)
        self.encodePayload(into: &writer)
        return writer.bytes
    }

    public func encodePayload(into writer: inout JSONWriter) {
        switch self {
        case .orderCreated(let order), .orderServed(let order), .orderCompleted(let order),
            .orderCancelled(let order):
            order.encode(into: &writer)
        case .tableActivated(let number), .tableCheckoutStarted(let number), .tableCheckoutCompleted(let number),
            .tableForceReset(let number):
            writer.beginObject()
            writer.key("tableNumber"); writer.value(number)
            writer.endObject()
        case .menuCreated(let item):
            writer.beginObject()
            writer.key("id"); writer.value(item.id)
            writer.key("name"); writer.value(item.name)
            writer.endObject()
        case .menuUpdated(let item):
            writer.beginObject()
            writer.key("id"); writer.value(item.id)
            writer.endObject()
        case .menuDeleted(let id), .userDeleted(let id), .messageDeleted(let id):
            writer.beginObject()
            writer.key("id"); writer.value(id)
            writer.endObject()
        case .userCreated(let user):
            user.encode(into: &writer)
        case .newMessage(let message), .messageUpdated(let message), .messagePinned(let message):
            message.encode(into: &writer)
        case .allMessagesDeleted:
            writer.beginObject()
            writer.endObject()
        case .serviceCall(let call), .serviceCallHandled(let call):
            call.encode(into: &writer)
        }
    }
}
