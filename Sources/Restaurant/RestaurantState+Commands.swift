import HashTreeCollections

/// One line of an order that ``RestaurantState/createOrder(tableNumber:items:at:)`` is asked to create.
public struct OrderItemRequest: Sendable, Hashable, Codable {
    /// The menu item ordered; its current name and price go into the order.
    public var menuItemId: Int
    /// How many, at least 1.
    public var quantity: Int
    /// Kitchen notes, if any.
    public var notes: String?

    public init(menuItemId: Int, quantity: Int, notes: String? = nil) {
        self.menuItemId = menuItemId
        self.quantity = quantity
        self.notes = notes
    }
}

/// The commands: what the REST API and the simulator ask for, turned into the events it causes.
///
/// Each command is pure: it validates the intent against the current state and returns the events without applying
/// them. The caller applies each event with ``apply(_:)`` (which then cannot fail) and emits it, in order. Every
/// command checks in the same order: malformed request fields (``CommandError/Kind/invalid``), then ids and numbers
/// that name nothing (``CommandError/Kind/notFound``), then the lifecycle (``CommandError/Kind/conflict``, checked by
/// ``check(_:)`` so that commands and ``apply(_:)`` share one set of rules). Times come in as parameters: no command
/// reads a clock.
extension RestaurantState {
    // MARK: Tables

    /// Seats guests at an available table: `table:activated`.
    public func activateTable(tableNumber: Int) throws(CommandError) -> RestaurantEvent {
        try self.requireTable(tableNumber)
        return try self.checked(.tableActivated(tableNumber: tableNumber))
    }

    /// Starts the checkout of an active table: `table:checkoutStarted`.
    public func startCheckout(tableNumber: Int) throws(CommandError) -> RestaurantEvent {
        try self.requireTable(tableNumber)
        return try self.checked(.tableCheckoutStarted(tableNumber: tableNumber))
    }

    /// Completes the checkout of a table in checkout whose orders are all completed or cancelled:
    /// `table:checkoutCompleted`.
    public func completeCheckout(tableNumber: Int) throws(CommandError) -> RestaurantEvent {
        try self.requireTable(tableNumber)
        return try self.checked(.tableCheckoutCompleted(tableNumber: tableNumber))
    }

    /// Takes a table back to available from any state.
    ///
    /// - Returns: An `order:cancelled` for each open order of the table, by ascending id, then `table:forceReset`.
    public func forceReset(tableNumber: Int, at time: Timestamp) throws(CommandError) -> [RestaurantEvent] {
        try self.requireTable(tableNumber)
        var events: [RestaurantEvent] = []
        for order in self.openOrders(tableNumber: tableNumber) {
            // Each cancellation depends only on its own order, so checking each against the current state suffices.
            events.append(try self.checked(.orderCancelled(Self.cancelled(order, at: time))))
        }
        events.append(.tableForceReset(tableNumber: tableNumber))
        return events
    }

    // MARK: Orders

    /// Creates a pending order on an active table, with the menu's current names and prices: `order:created`.
    ///
    /// - Parameters:
    ///   - tableNumber: The table.
    ///   - items: At least one line, each naming an existing menu item and a quantity of at least 1.
    ///   - time: `createdAt` and `updatedAt`.
    public func createOrder(tableNumber: Int, items: [OrderItemRequest], at time: Timestamp)
        throws(CommandError) -> RestaurantEvent
    {
        guard !items.isEmpty else {
            throw .invalid(field: "items", "items must hold at least one line")
        }
        for (index, item) in items.enumerated() where item.quantity < 1 {
            throw .invalid(
                field: "items[\(index)].quantity",
                "items[\(index)].quantity must be at least 1, got \(item.quantity)"
            )
        }
        try self.requireTable(tableNumber, field: "tableNumber")
        var lines: [OrderItem] = []
        for (index, item) in items.enumerated() {
            guard let menuItem = self.menu[item.menuItemId] else {
                throw .notFound(
                    "menu item \(item.menuItemId) (items[\(index)].menuItemId) does not exist",
                    field: "items[\(index)].menuItemId"
                )
            }
            lines.append(
                OrderItem(menuItemId: menuItem.id, name: menuItem.name, quantity: item.quantity,
                          unitPrice: menuItem.price, notes: item.notes)
            )
        }
        guard let total = Self.itemsTotal(lines) else {
            throw .invalid(field: "items", "the items add up to more than a total price can hold")
        }
        let order = Order(id: self.nextOrderId, tableNumber: tableNumber, status: .pending, items: lines,
                          totalPrice: total, createdAt: time, updatedAt: time)
        return try self.checked(.orderCreated(order))
    }

    /// Serves a pending order: `order:served`.
    public func serveOrder(id: Int, at time: Timestamp) throws(CommandError) -> RestaurantEvent {
        var order = try self.requireOrder(id)
        order.status = .served
        order.servedAt = time
        order.updatedAt = time
        return try self.checked(.orderServed(order))
    }

    /// Completes a served order: `order:completed`.
    public func completeOrder(id: Int, at time: Timestamp) throws(CommandError) -> RestaurantEvent {
        var order = try self.requireOrder(id)
        order.status = .completed
        order.completedAt = time
        order.updatedAt = time
        return try self.checked(.orderCompleted(order))
    }

    /// Cancels a pending or served order: `order:cancelled`.
    public func cancelOrder(id: Int, at time: Timestamp) throws(CommandError) -> RestaurantEvent {
        let order = try self.requireOrder(id)
        return try self.checked(.orderCancelled(Self.cancelled(order, at: time)))
    }

    // MARK: Menu

    /// Adds a menu item: `menu.created`.
    ///
    /// - Parameters:
    ///   - name: Not blank.
    ///   - category: Not blank, such as `Pizza`.
    ///   - price: Positive, in minor units (cents).
    public func createMenuItem(name: String, category: String, price: Int) throws(CommandError) -> RestaurantEvent {
        try Self.requireText(name, field: "name")
        try Self.requireText(category, field: "category")
        try Self.requirePrice(price)
        return try self.checked(
            .menuCreated(MenuItem(id: self.nextMenuItemId, name: name, category: category, price: price))
        )
    }

    /// Changes the given fields of a menu item and keeps the others: `menu.updated`.
    ///
    /// Orders already placed keep the name and price they were placed with.
    public func updateMenuItem(id: Int, name: String? = nil, category: String? = nil, price: Int? = nil)
        throws(CommandError) -> RestaurantEvent
    {
        if let name { try Self.requireText(name, field: "name") }
        if let category { try Self.requireText(category, field: "category") }
        if let price { try Self.requirePrice(price) }
        guard var item = self.menu[id] else {
            throw .notFound("menu item \(id) does not exist")
        }
        if let name { item.name = name }
        if let category { item.category = category }
        if let price { item.price = price }
        return try self.checked(.menuUpdated(item))
    }

    /// Removes a menu item: `menu.deleted`. Orders already placed keep their lines.
    public func deleteMenuItem(id: Int) throws(CommandError) -> RestaurantEvent {
        guard self.menu[id] != nil else {
            throw .notFound("menu item \(id) does not exist")
        }
        return try self.checked(.menuDeleted(id: id))
    }

    // MARK: Users

    /// Adds a user with a username no other user has: `user.created`.
    public func createUser(username: String, role: UserRole) throws(CommandError) -> RestaurantEvent {
        try Self.requireText(username, field: "username")
        if let taken = self.users.values.first(where: { $0.username == username }) {
            throw .conflict("username \"\(username)\" is taken by user \(taken.id)")
        }
        return try self.checked(.userCreated(User(id: self.nextUserId, username: username, role: role)))
    }

    /// Removes a user: `user.deleted`. Their messages stay, with the author's name as it was.
    public func deleteUser(id: Int) throws(CommandError) -> RestaurantEvent {
        guard self.users[id] != nil else {
            throw .notFound("user \(id) does not exist")
        }
        return try self.checked(.userDeleted(id: id))
    }

    // MARK: Messages

    /// Posts a staff message, unpinned: `newMessage`.
    public func postMessage(authorId: Int, content: String, at time: Timestamp) throws(CommandError)
        -> RestaurantEvent
    {
        try Self.requireText(content, field: "content")
        guard let author = self.users[authorId] else {
            throw .notFound("user \(authorId) (authorId) does not exist", field: "authorId")
        }
        let message = Message(id: self.nextMessageId, content: content, authorId: author.id,
                              authorName: author.username, isPinned: false, createdAt: time, updatedAt: time)
        return try self.checked(.newMessage(message))
    }

    /// Replaces a message's content: `messageUpdated`.
    public func editMessage(id: Int, content: String, at time: Timestamp) throws(CommandError) -> RestaurantEvent {
        try Self.requireText(content, field: "content")
        var message = try self.requireMessage(id)
        message.content = content
        message.updatedAt = time
        return try self.checked(.messageUpdated(message))
    }

    /// Pins an unpinned message or unpins a pinned one: `messagePinned`.
    public func togglePin(id: Int, at time: Timestamp) throws(CommandError) -> RestaurantEvent {
        var message = try self.requireMessage(id)
        message.isPinned.toggle()
        message.updatedAt = time
        return try self.checked(.messagePinned(message))
    }

    /// Removes a message: `messageDeleted`.
    public func deleteMessage(id: Int) throws(CommandError) -> RestaurantEvent {
        _ = try self.requireMessage(id)
        return try self.checked(.messageDeleted(id: id))
    }

    /// Removes every message: `allMessagesDeleted`, also when there are none.
    public func deleteAllMessages() -> RestaurantEvent {
        .allMessagesDeleted
    }

    // MARK: Service calls

    /// A table calls for service: `serviceCall`.
    ///
    /// While the table has a pending call, that call is updated (same id and `createdAt`, the new type and
    /// `updatedAt`) instead of a second one being created, as the contract's upsert says.
    public func callService(tableNumber: Int, type: ServiceCallType, at time: Timestamp) throws(CommandError)
        -> RestaurantEvent
    {
        try self.requireTable(tableNumber, field: "tableNumber")
        var call: ServiceCall
        if let pending = self.pendingServiceCall(tableNumber: tableNumber) {
            call = pending
            call.type = type
            call.updatedAt = time
        } else {
            call = ServiceCall(id: self.nextServiceCallId, tableNumber: tableNumber, type: type, status: .pending,
                               createdAt: time, updatedAt: time)
        }
        return try self.checked(.serviceCall(call))
    }

    /// Marks a pending service call handled: `serviceCallHandled`.
    ///
    /// - Parameters:
    ///   - id: The call.
    ///   - userId: The user who handled it (`handledBy`), or `nil` when unknown.
    ///   - time: `handledAt` and `updatedAt`.
    public func handleServiceCall(id: Int, byUserId userId: Int?, at time: Timestamp) throws(CommandError)
        -> RestaurantEvent
    {
        guard var call = self.serviceCalls[id] else {
            throw .notFound("service call \(id) does not exist")
        }
        if let userId, self.users[userId] == nil {
            throw .notFound("user \(userId) (handledBy) does not exist", field: "handledBy")
        }
        call.status = .handled
        call.handledAt = time
        call.handledBy = userId
        call.updatedAt = time
        return try self.checked(.serviceCallHandled(call))
    }

    // MARK: Helpers

    /// The event, once ``check(_:)`` accepts it; a violation becomes a 404 or a 409 with the violation's message.
    private func checked(_ event: RestaurantEvent) throws(CommandError) -> RestaurantEvent {
        do throws(LifecycleViolation) {
            try self.check(event)
        } catch {
            if LifecycleViolation.Rule(rawValue: error.rule)?.isUnknownReference == true {
                throw .notFound(error.message)
            }
            throw .conflict(error.message, rule: error.rule)
        }
        return event
    }

    private static func cancelled(_ order: Order, at time: Timestamp) -> Order {
        var order = order
        order.status = .cancelled
        order.cancelledAt = time
        order.updatedAt = time
        return order
    }

    private func requireTable(_ number: Int, field: String? = nil) throws(CommandError) {
        guard self.tables[number] != nil else {
            throw .notFound("table \(number) does not exist", field: field)
        }
    }

    private func requireOrder(_ id: Int) throws(CommandError) -> Order {
        guard let order = self.orders[id] else {
            throw .notFound("order \(id) does not exist")
        }
        return order
    }

    private func requireMessage(_ id: Int) throws(CommandError) -> Message {
        guard let message = self.messages[id] else {
            throw .notFound("message \(id) does not exist")
        }
        return message
    }

    private static func requireText(_ value: String, field: String) throws(CommandError) {
        guard !value.allSatisfy(\.isWhitespace) else {
            throw .invalid(field: field, "\(field) must not be empty")
        }
    }

    private static func requirePrice(_ price: Int) throws(CommandError) {
        guard price > 0 else {
            throw .invalid(field: "price", "price must be a positive number of cents, got \(price)")
        }
    }
}
