/// A JSON Schema type, as much of it as the contract needs. Exporters (AsyncAPI, JSON Schema, TypeScript) and the
/// journal verifier all read the catalog through these descriptors, so the contract is written down once.
public indirect enum SchemaType: Sendable, Hashable {
    /// An integer, with an optional inclusive minimum.
    case integer(minimum: Int?)
    /// A string; `format` is a JSON Schema format such as `date-time`.
    case string(format: String?)
    case boolean
    /// A string from a fixed set.
    case enumeration([String])
    case array(SchemaType)
    case object(ObjectSchema)
    /// The type or `null`; the key is always present.
    case nullable(SchemaType)
}

/// One property of an object; every property is required (the contract writes `null` rather than omitting).
public struct SchemaField: Sendable, Hashable {
    public var name: String
    public var type: SchemaType
    public var description: String

    public init(_ name: String, _ type: SchemaType, _ description: String) {
        self.name = name
        self.type = type
        self.description = description
    }
}

/// A named object type, its properties in contract order.
public struct ObjectSchema: Sendable, Hashable {
    /// The type's name in generated code (`Order`, `TableNumberPayload`, …).
    public var name: String
    public var description: String
    public var fields: [SchemaField]

    public init(name: String, description: String, fields: [SchemaField]) {
        self.name = name
        self.description = description
        self.fields = fields
    }
}

/// One event of the catalog: its name, when it is emitted, the schema of its payload and an example.
public struct EventDescriptor: Sendable {
    public var name: EventName
    public var summary: String
    public var payload: ObjectSchema
    public var example: RestaurantEvent
}

/// The contract: every event with its payload schema, in the order of the backend's catalog.
public enum EventCatalog {
    static let id = SchemaType.integer(minimum: 1)
    static let money = SchemaType.integer(minimum: 0)
    static let time = SchemaType.string(format: "date-time")
    static let text = SchemaType.string(format: nil)

    public static let orderItem = ObjectSchema(
        name: "OrderItem",
        description: "One line of an order.",
        fields: [
            SchemaField("menuItemId", id, "The menu item ordered."),
            SchemaField("name", text, "The menu item's name when ordered."),
            SchemaField("quantity", .integer(minimum: 1), "How many."),
            SchemaField("unitPrice", money, "Price of one, in minor units (cents)."),
            SchemaField("notes", .nullable(text), "Kitchen notes, or null."),
        ]
    )

    public static let order = ObjectSchema(
        name: "Order",
        description: "An order, as it is after the transition the event reports.",
        fields: [
            SchemaField("id", id, "Order id, increasing."),
            SchemaField("tableNumber", id, "The table the order belongs to."),
            SchemaField("status", .enumeration(OrderStatus.allCases.map(\.rawValue)), "Lifecycle state."),
            SchemaField("items", .array(.object(orderItem)), "The lines of the order."),
            SchemaField("totalPrice", money, "Sum of quantity × unitPrice, in minor units."),
            SchemaField("createdAt", time, "When the order was created."),
            SchemaField("updatedAt", time, "When the order last changed."),
            SchemaField("servedAt", .nullable(time), "When it was served, or null."),
            SchemaField("completedAt", .nullable(time), "When it was completed, or null."),
            SchemaField("cancelledAt", .nullable(time), "When it was cancelled, or null."),
        ]
    )

    public static let message = ObjectSchema(
        name: "Message",
        description: "A staff message.",
        fields: [
            SchemaField("id", id, "Message id, increasing."),
            SchemaField("content", text, "The text."),
            SchemaField("authorId", id, "The user who wrote it."),
            SchemaField("authorName", text, "The author's username."),
            SchemaField("isPinned", .boolean, "Whether it is pinned."),
            SchemaField("createdAt", time, "When it was written."),
            SchemaField("updatedAt", time, "When it last changed."),
        ]
    )

    public static let serviceCall = ObjectSchema(
        name: "ServiceCall",
        description: "A table's call for service.",
        fields: [
            SchemaField("id", id, "Service call id, increasing."),
            SchemaField("tableNumber", id, "The calling table."),
            SchemaField("type", .enumeration(ServiceCallType.allCases.map(\.rawValue)), "What the table wants."),
            SchemaField("status", .enumeration(ServiceCallStatus.allCases.map(\.rawValue)), "Lifecycle state."),
            SchemaField("createdAt", time, "When the call was made."),
            SchemaField("updatedAt", time, "When it last changed (a repeated call updates it)."),
            SchemaField("handledAt", .nullable(time), "When it was handled, or null."),
            SchemaField("handledBy", .nullable(id), "The user who handled it, or null."),
        ]
    )

    public static let tableNumberPayload = ObjectSchema(
        name: "TablePayload", description: "The table concerned.",
        fields: [SchemaField("tableNumber", id, "The table's number.")]
    )
    public static let menuCreatedPayload = ObjectSchema(
        name: "MenuCreatedPayload", description: "The new menu item.",
        fields: [SchemaField("id", id, "Menu item id."), SchemaField("name", text, "Its name.")]
    )
    public static let idPayload = ObjectSchema(
        name: "IdPayload", description: "The entity concerned.",
        fields: [SchemaField("id", id, "Its id.")]
    )
    public static let userCreatedPayload = ObjectSchema(
        name: "UserCreatedPayload", description: "The new user.",
        fields: [
            SchemaField("id", id, "User id."),
            SchemaField("username", text, "Login name."),
            SchemaField("role", .enumeration(UserRole.allCases.map(\.rawValue)), "The user's role."),
        ]
    )
    public static let emptyPayload = ObjectSchema(
        name: "EmptyPayload", description: "No data.", fields: []
    )

    /// Every event, in the backend catalog's order.
    public static let events: [EventDescriptor] = {
        let at = Timestamp(millisecondsSince1970: 1_795_694_400_000)  // 2026-11-26T12:00:00.000Z
        let margherita = MenuItem(id: 12, name: "Margherita", category: "Pizza", price: 1150)
        let item = OrderItem(menuItemId: 12, name: "Margherita", quantity: 2, unitPrice: 1150)
        let pending = Order(id: 1042, tableNumber: 7, status: .pending, items: [item], totalPrice: 2300,
                            createdAt: at, updatedAt: at)
        var served = pending
        served.status = .served
        served.servedAt = at
        var completed = served
        completed.status = .completed
        completed.completedAt = at
        var cancelled = pending
        cancelled.status = .cancelled
        cancelled.cancelledAt = at
        let message = Message(id: 88, content: "Table 7 is celebrating a birthday", authorId: 3, authorName: "maria",
                              isPinned: false, createdAt: at, updatedAt: at)
        var pinned = message
        pinned.isPinned = true
        let call = ServiceCall(id: 310, tableNumber: 7, type: .waiter, status: .pending, createdAt: at, updatedAt: at)
        var handled = call
        handled.status = .handled
        handled.handledAt = at
        handled.handledBy = 3
        return [
            EventDescriptor(name: .orderCreated, summary: "An order was created.", payload: order,
                            example: .orderCreated(pending)),
            EventDescriptor(name: .orderServed, summary: "An order was served.", payload: order,
                            example: .orderServed(served)),
            EventDescriptor(name: .orderCompleted, summary: "An order was completed.", payload: order,
                            example: .orderCompleted(completed)),
            EventDescriptor(name: .orderCancelled, summary: "An order was cancelled.", payload: order,
                            example: .orderCancelled(cancelled)),
            EventDescriptor(name: .tableActivated, summary: "A table was activated (guests seated).",
                            payload: tableNumberPayload, example: .tableActivated(tableNumber: 7)),
            EventDescriptor(name: .tableCheckoutStarted, summary: "A table started checkout.",
                            payload: tableNumberPayload, example: .tableCheckoutStarted(tableNumber: 7)),
            EventDescriptor(name: .tableCheckoutCompleted, summary: "A table completed checkout and is free.",
                            payload: tableNumberPayload, example: .tableCheckoutCompleted(tableNumber: 7)),
            EventDescriptor(name: .tableForceReset, summary: "A table was force-reset to available.",
                            payload: tableNumberPayload, example: .tableForceReset(tableNumber: 7)),
            EventDescriptor(name: .menuCreated, summary: "A menu item was created.", payload: menuCreatedPayload,
                            example: .menuCreated(margherita)),
            EventDescriptor(name: .menuUpdated, summary: "A menu item was updated.", payload: idPayload,
                            example: .menuUpdated(margherita)),
            EventDescriptor(name: .menuDeleted, summary: "A menu item was deleted.", payload: idPayload,
                            example: .menuDeleted(id: 12)),
            EventDescriptor(name: .userCreated, summary: "A user was created.", payload: userCreatedPayload,
                            example: .userCreated(User(id: 3, username: "maria", role: .waiter))),
            EventDescriptor(name: .userDeleted, summary: "A user was deleted.", payload: idPayload,
                            example: .userDeleted(id: 3)),
            EventDescriptor(name: .newMessage, summary: "A staff message was posted.", payload: Self.message,
                            example: .newMessage(message)),
            EventDescriptor(name: .messageUpdated, summary: "A staff message was edited.", payload: Self.message,
                            example: .messageUpdated(message)),
            EventDescriptor(name: .messagePinned, summary: "A staff message was pinned or unpinned.",
                            payload: Self.message, example: .messagePinned(pinned)),
            EventDescriptor(name: .messageDeleted, summary: "A staff message was deleted.", payload: idPayload,
                            example: .messageDeleted(id: 88)),
            EventDescriptor(name: .allMessagesDeleted, summary: "Every staff message was deleted.",
                            payload: emptyPayload, example: .allMessagesDeleted),
            EventDescriptor(name: .serviceCall, summary: "A table called for service (created or upserted).",
                            payload: Self.serviceCall, example: .serviceCall(call)),
            EventDescriptor(name: .serviceCallHandled, summary: "A service call was handled.",
                            payload: Self.serviceCall, example: .serviceCallHandled(handled)),
        ]
    }()

    /// The descriptor of an event name.
    public static func descriptor(for name: EventName) -> EventDescriptor {
        self.events.first { $0.name == name }!
    }
}
