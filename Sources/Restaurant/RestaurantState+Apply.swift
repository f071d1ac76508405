import HashTreeCollections

extension RestaurantState {
    /// Applies one event, after checking it against every lifecycle rule and payload invariant of the contract.
    ///
    /// The checks, in order for each event: the ids and numbers it names exist (or, for a creation, are new), the
    /// entity's current state allows the transition, and the payload shows the entity after that transition.
    ///
    /// - Parameter event: The event, as emitted or as decoded from a journal.
    /// - Throws: ``LifecycleViolation`` naming the rule broken; the state is then unchanged.
    public mutating func apply(_ event: RestaurantEvent) throws(LifecycleViolation) {
        try self.check(event)
        self.commit(event)
    }

    /// Whether ``apply(_:)`` would accept an event, without applying it.
    ///
    /// - Throws: The ``LifecycleViolation`` that ``apply(_:)`` would throw.
    public func check(_ event: RestaurantEvent) throws(LifecycleViolation) {
        switch event {
        case .tableActivated(let number):
            let table = try self.knownTable(number)
            guard table.status == .available else {
                throw LifecycleViolation(
                    .tableActivateRequiresAvailable,
                    "table \(number) is \(table.status.phrase); only an available table can be activated"
                )
            }
        case .tableCheckoutStarted(let number):
            let table = try self.knownTable(number)
            guard table.status == .active else {
                throw LifecycleViolation(
                    .tableCheckoutStartRequiresActive,
                    "table \(number) is \(table.status.phrase); only an active table can start checkout"
                )
            }
        case .tableCheckoutCompleted(let number):
            let table = try self.knownTable(number)
            guard table.status == .checkout else {
                throw LifecycleViolation(
                    .tableCheckoutCompleteRequiresCheckout,
                    "table \(number) is \(table.status.phrase); only a table in checkout can complete checkout"
                )
            }
            let open = self.openOrders(tableNumber: number)
            guard open.isEmpty else {
                throw LifecycleViolation(
                    .tableCheckoutCompleteRequiresNoOpenOrders,
                    "table \(number) has open orders (\(Self.list(open))); every order must be completed or "
                        + "cancelled before checkout completes"
                )
            }
        case .tableForceReset(let number):
            _ = try self.knownTable(number)
            let open = self.openOrders(tableNumber: number)
            guard open.isEmpty else {
                throw LifecycleViolation(
                    .tableForceResetRequiresNoOpenOrders,
                    "table \(number) still has open orders (\(Self.list(open))); a force reset cancels each of them "
                        + "(order:cancelled) before table:forceReset"
                )
            }

        case .orderCreated(let order):
            try self.checkOrderCreated(order)
        case .orderServed(let order):
            let stored = try self.knownOrder(order.id, rule: .orderServeRequiresKnownId)
            guard stored.status == .pending else {
                throw LifecycleViolation(
                    .orderServeRequiresPending,
                    "order \(order.id) is \(stored.status.rawValue); only a pending order can be served"
                )
            }
            try Self.checkOrderPayload(order, event: .orderServed)
            try Self.checkOrderUnchanged(order, stored: stored, event: .orderServed)
        case .orderCompleted(let order):
            let stored = try self.knownOrder(order.id, rule: .orderCompleteRequiresKnownId)
            guard stored.status == .served else {
                throw LifecycleViolation(
                    .orderCompleteRequiresServed,
                    "order \(order.id) is \(stored.status.rawValue); only a served order can be completed"
                )
            }
            try Self.checkOrderPayload(order, event: .orderCompleted)
            try Self.checkOrderUnchanged(order, stored: stored, event: .orderCompleted)
        case .orderCancelled(let order):
            let stored = try self.knownOrder(order.id, rule: .orderCancelRequiresKnownId)
            guard stored.isOpen else {
                throw LifecycleViolation(
                    .orderCancelRequiresPendingOrServed,
                    "order \(order.id) is \(stored.status.rawValue); only a pending or served order can be cancelled"
                )
            }
            try Self.checkOrderPayload(order, event: .orderCancelled)
            try Self.checkOrderUnchanged(order, stored: stored, event: .orderCancelled)

        case .menuCreated(let item):
            try Self.checkNew(item.id, last: self.lastMenuItemId, entity: "menu item", rule: .menuCreateRequiresNewId)
        case .menuUpdated(let item):
            _ = try self.knownMenuItem(item.id, rule: .menuUpdateRequiresKnownId)
        case .menuDeleted(let id):
            _ = try self.knownMenuItem(id, rule: .menuDeleteRequiresKnownId)

        case .userCreated(let user):
            try Self.checkNew(user.id, last: self.lastUserId, entity: "user", rule: .userCreateRequiresNewId)
        case .userDeleted(let id):
            guard self.users[id] != nil else {
                throw LifecycleViolation(.userDeleteRequiresKnownId, "user \(id) does not exist")
            }

        case .newMessage(let message):
            try Self.checkNew(message.id, last: self.lastMessageId, entity: "message",
                              rule: .messageCreateRequiresNewId)
            guard let author = self.users[message.authorId] else {
                throw LifecycleViolation(
                    .messageCreateRequiresKnownAuthor,
                    "message \(message.id) names author \(message.authorId), and user \(message.authorId) does not "
                        + "exist"
                )
            }
            guard author.username == message.authorName else {
                throw LifecycleViolation(
                    .messageCreateAuthorNameMatches,
                    "message \(message.id) names its author \"\(message.authorName)\", but user \(author.id) is "
                        + "\"\(author.username)\""
                )
            }
        case .messageUpdated(let message):
            let stored = try self.knownMessage(message.id, rule: .messageUpdateRequiresKnownId)
            try Self.checkMessageUnchanged(message, stored: stored, event: .messageUpdated)
        case .messagePinned(let message):
            let stored = try self.knownMessage(message.id, rule: .messagePinRequiresKnownId)
            try Self.checkMessageUnchanged(message, stored: stored, event: .messagePinned)
        case .messageDeleted(let id):
            _ = try self.knownMessage(id, rule: .messageDeleteRequiresKnownId)
        case .allMessagesDeleted:
            break

        case .serviceCall(let call):
            try self.checkServiceCall(call)
        case .serviceCallHandled(let call):
            try self.checkServiceCallHandled(call)
        }
    }

    /// Applies the events a command of this state returned, in order, without checking them again.
    ///
    /// A command checks its events against the very state it reads (that is how it decides, and why it can refuse),
    /// and a command of several events (a force reset) builds each one valid after those before it. Checking them
    /// again here would only repeat that work on the hot path of simulation. Debug builds check each one all the
    /// same, so that the tests catch a command that breaks its promise.
    ///
    /// - Parameter events: What a command (``activateTable(tableNumber:)`` and the others) returned for this state,
    ///   unchanged since; anything else goes through ``apply(_:)``.
    public mutating func commit(commandEvents events: some Sequence<RestaurantEvent>) {
        for event in events {
            #if DEBUG
            do throws(LifecycleViolation) {
                try self.check(event)
            } catch {
                preconditionFailure("a command returned an event its own state refuses: \(error)")
            }
            #endif
            self.commit(event)
        }
    }

    /// Changes the state as an event says; only after ``check(_:)`` accepted it.
    mutating func commit(_ event: RestaurantEvent) {
        switch event {
        case .tableActivated(let number):
            self.tables[number]?.status = .active
        case .tableCheckoutStarted(let number):
            self.tables[number]?.status = .checkout
        case .tableCheckoutCompleted(let number), .tableForceReset(let number):
            self.tables[number]?.status = .available

        case .orderCreated(let order):
            self.orders[order.id] = order
            self.lastOrderId = max(self.lastOrderId, order.id)
            self.openOrderIds[order.tableNumber, default: []].insert(order.id)
        case .orderServed(let order):
            self.orders[order.id] = order
        case .orderCompleted(let order), .orderCancelled(let order):
            self.orders[order.id] = order
            self.openOrderIds[order.tableNumber]?.remove(order.id)
            if self.openOrderIds[order.tableNumber]?.isEmpty == true {
                // Removed rather than left empty, so that equal histories give equal states.
                self.openOrderIds[order.tableNumber] = nil
            }
            if let forgotten = self.closedOrderIds.append(order.id, limit: self.historyLimit) {
                self.orders[forgotten] = nil
            }

        case .menuCreated(let item):
            self.menu[item.id] = item
            self.lastMenuItemId = max(self.lastMenuItemId, item.id)
        case .menuUpdated(let item):
            self.menu[item.id] = item
        case .menuDeleted(let id):
            self.menu[id] = nil

        case .userCreated(let user):
            self.users[user.id] = user
            self.lastUserId = max(self.lastUserId, user.id)
        case .userDeleted(let id):
            self.users[id] = nil

        case .newMessage(let message):
            self.messages[message.id] = message
            self.lastMessageId = max(self.lastMessageId, message.id)
        case .messageUpdated(let message), .messagePinned(let message):
            self.messages[message.id] = message
        case .messageDeleted(let id):
            self.messages[id] = nil
        case .allMessagesDeleted:
            self.messages = [:]

        case .serviceCall(let call):
            self.serviceCalls[call.id] = call
            self.lastServiceCallId = max(self.lastServiceCallId, call.id)
            self.pendingServiceCallIds[call.tableNumber] = call.id
        case .serviceCallHandled(let call):
            self.serviceCalls[call.id] = call
            if self.pendingServiceCallIds[call.tableNumber] == call.id {
                self.pendingServiceCallIds[call.tableNumber] = nil
            }
            if let forgotten = self.handledServiceCallIds.append(call.id, limit: self.historyLimit) {
                self.serviceCalls[forgotten] = nil
            }
        }
    }

    // MARK: Orders

    private func checkOrderCreated(_ order: Order) throws(LifecycleViolation) {
        try Self.checkNew(order.id, last: self.lastOrderId, entity: "order", rule: .orderCreateRequiresNewId)
        let table = try self.knownTable(order.tableNumber)
        guard table.status == .active else {
            throw LifecycleViolation(
                .orderCreateRequiresActiveTable,
                "table \(table.number) is \(table.status.phrase); orders can be created only on an active table"
            )
        }
        for (index, item) in order.items.enumerated() where self.menu[item.menuItemId] == nil {
            throw LifecycleViolation(
                .orderCreateRequiresKnownMenuItems,
                "order \(order.id) names menu item \(item.menuItemId) (items[\(index)].menuItemId), which does not "
                    + "exist"
            )
        }
        try Self.checkOrderPayload(order, event: .orderCreated)
    }

    /// The payload shows the order after the event's transition, and its total adds up.
    private static func checkOrderPayload(_ order: Order, event: EventName) throws(LifecycleViolation) {
        let expected: OrderStatus
        // The time fields that must be set (true) or null (false) after the transition.
        let times: [(String, Timestamp?, Bool)]
        switch event {
        case .orderCreated:
            expected = .pending
            times = [("servedAt", order.servedAt, false), ("completedAt", order.completedAt, false),
                     ("cancelledAt", order.cancelledAt, false)]
        case .orderServed:
            expected = .served
            times = [("servedAt", order.servedAt, true), ("completedAt", order.completedAt, false),
                     ("cancelledAt", order.cancelledAt, false)]
        case .orderCompleted:
            expected = .completed
            times = [("servedAt", order.servedAt, true), ("completedAt", order.completedAt, true),
                     ("cancelledAt", order.cancelledAt, false)]
        default:
            expected = .cancelled
            times = [("completedAt", order.completedAt, false), ("cancelledAt", order.cancelledAt, true)]
        }
        guard order.status == expected else {
            throw LifecycleViolation(
                .orderPayloadStatusMatchesEvent,
                "\(event.rawValue) carries order \(order.id) with status \(order.status.rawValue); it must be "
                    + "\(expected.rawValue)"
            )
        }
        for (field, value, mustBeSet) in times where (value != nil) != mustBeSet {
            throw LifecycleViolation(
                .orderPayloadStatusMatchesEvent,
                mustBeSet
                    ? "\(event.rawValue) carries order \(order.id) with \(field) null; a \(expected.rawValue) order "
                        + "has it set"
                    : "\(event.rawValue) carries order \(order.id) with \(field) set; a \(expected.rawValue) order "
                        + "has it null"
            )
        }
        let sum = Self.itemsTotal(order.items)
        guard sum == order.totalPrice else {
            throw LifecycleViolation(
                .orderPayloadTotalPrice,
                "order \(order.id) has totalPrice \(order.totalPrice), but its items add up to "
                    + (sum.map(String.init) ?? "more than an Int holds")
            )
        }
    }

    /// Sum of quantity × unitPrice; `nil` on overflow (which no total can then equal).
    static func itemsTotal(_ items: [OrderItem]) -> Int? {
        var total = 0
        for item in items {
            let (line, lineOverflow) = item.quantity.multipliedReportingOverflow(by: item.unitPrice)
            let (sum, sumOverflow) = total.addingReportingOverflow(line)
            guard !lineOverflow, !sumOverflow else { return nil }
            total = sum
        }
        return total
    }

    /// A transition changes the status and its times, never what the order is.
    private static func checkOrderUnchanged(_ order: Order, stored: Order, event: EventName)
        throws(LifecycleViolation)
    {
        var changed: [String] = []
        if order.tableNumber != stored.tableNumber { changed.append("tableNumber") }
        if order.items != stored.items { changed.append("items") }
        if order.totalPrice != stored.totalPrice { changed.append("totalPrice") }
        if order.createdAt != stored.createdAt { changed.append("createdAt") }
        if event != .orderServed, order.servedAt != stored.servedAt { changed.append("servedAt") }
        guard changed.isEmpty else {
            throw LifecycleViolation(
                .orderPayloadUnchangedFields,
                "\(event.rawValue) changes \(changed.joined(separator: ", ")) of order \(order.id), which stay as "
                    + "they were"
            )
        }
    }

    // MARK: Messages

    private static func checkMessageUnchanged(_ message: Message, stored: Message, event: EventName)
        throws(LifecycleViolation)
    {
        var changed: [String] = []
        if message.authorId != stored.authorId { changed.append("authorId") }
        if message.authorName != stored.authorName { changed.append("authorName") }
        if message.createdAt != stored.createdAt { changed.append("createdAt") }
        if event == .messagePinned, message.content != stored.content { changed.append("content") }
        guard changed.isEmpty else {
            throw LifecycleViolation(
                .messagePayloadUnchangedFields,
                "\(event.rawValue) changes \(changed.joined(separator: ", ")) of message \(message.id), which stay "
                    + "as they were"
            )
        }
    }

    // MARK: Service calls

    private func checkServiceCall(_ call: ServiceCall) throws(LifecycleViolation) {
        let table = try self.knownTable(call.tableNumber)
        guard table.status == .active || table.status == .checkout else {
            throw LifecycleViolation(
                .serviceCallRequiresCallableTable,
                "table \(table.number) is \(table.status.phrase); only an active table or one in checkout can call "
                    + "for service"
            )
        }
        if let pending = self.pendingServiceCall(tableNumber: call.tableNumber) {
            guard call.id == pending.id else {
                throw LifecycleViolation(
                    .serviceCallUpsertRequiresSameId,
                    "table \(table.number) has pending service call \(pending.id); a new call from it updates that "
                        + "call, so its id must be \(pending.id), not \(call.id)"
                )
            }
            guard call.createdAt == pending.createdAt else {
                throw LifecycleViolation(
                    .serviceCallPayloadUnchangedFields,
                    "serviceCall changes createdAt of service call \(call.id), which stays as it was"
                )
            }
        } else {
            try Self.checkNew(call.id, last: self.lastServiceCallId, entity: "service call",
                              rule: .serviceCallCreateRequiresNewId)
        }
        guard call.status == .pending, call.handledAt == nil, call.handledBy == nil else {
            throw LifecycleViolation(
                .serviceCallPayloadStatusMatchesEvent,
                "serviceCall carries service call \(call.id) with status \(call.status.rawValue)"
                    + "\(call.handledAt == nil ? "" : ", handledAt set")"
                    + "\(call.handledBy == nil ? "" : ", handledBy set")"
                    + "; it must be pending with handledAt and handledBy null"
            )
        }
    }

    private func checkServiceCallHandled(_ call: ServiceCall) throws(LifecycleViolation) {
        guard let stored = self.serviceCalls[call.id] else {
            throw LifecycleViolation(.serviceCallHandleRequiresKnownId, "service call \(call.id) does not exist")
        }
        guard stored.status == .pending else {
            throw LifecycleViolation(
                .serviceCallHandleRequiresPending,
                "service call \(call.id) is \(stored.status.rawValue); only a pending call can be handled"
            )
        }
        guard call.status == .handled, call.handledAt != nil else {
            throw LifecycleViolation(
                .serviceCallPayloadStatusMatchesEvent,
                "serviceCallHandled carries service call \(call.id) with status \(call.status.rawValue)"
                    + "\(call.handledAt == nil ? " and handledAt null" : ""); it must be handled with handledAt set"
            )
        }
        if let userId = call.handledBy, self.users[userId] == nil {
            throw LifecycleViolation(
                .serviceCallHandleRequiresKnownUser,
                "service call \(call.id) names handledBy \(userId), and user \(userId) does not exist"
            )
        }
        var changed: [String] = []
        if call.tableNumber != stored.tableNumber { changed.append("tableNumber") }
        if call.type != stored.type { changed.append("type") }
        if call.createdAt != stored.createdAt { changed.append("createdAt") }
        guard changed.isEmpty else {
            throw LifecycleViolation(
                .serviceCallPayloadUnchangedFields,
                "serviceCallHandled changes \(changed.joined(separator: ", ")) of service call \(call.id), which "
                    + "stay as they were"
            )
        }
    }

    // MARK: Lookups

    private func knownTable(_ number: Int) throws(LifecycleViolation) -> Table {
        guard let table = self.tables[number] else {
            throw LifecycleViolation(.tableRequiresKnownNumber, "table \(number) does not exist")
        }
        return table
    }

    private func knownOrder(_ id: Int, rule: LifecycleViolation.Rule) throws(LifecycleViolation) -> Order {
        guard let order = self.orders[id] else {
            throw LifecycleViolation(rule, "order \(id) does not exist")
        }
        return order
    }

    private func knownMenuItem(_ id: Int, rule: LifecycleViolation.Rule) throws(LifecycleViolation) -> MenuItem {
        guard let item = self.menu[id] else {
            throw LifecycleViolation(rule, "menu item \(id) does not exist")
        }
        return item
    }

    private func knownMessage(_ id: Int, rule: LifecycleViolation.Rule) throws(LifecycleViolation) -> Message {
        guard let message = self.messages[id] else {
            throw LifecycleViolation(rule, "message \(id) does not exist")
        }
        return message
    }

    /// A created id must be greater than every id of its type seen so far (ids increase per entity type).
    private static func checkNew(_ id: Int, last: Int, entity: String, rule: LifecycleViolation.Rule)
        throws(LifecycleViolation)
    {
        guard id > last else {
            throw LifecycleViolation(
                rule, "\(entity) id \(id) is not new; ids increase and the highest \(entity) id so far is \(last)"
            )
        }
    }

    private static func list(_ orders: [Order]) -> String {
        orders.map { "\($0.id) \($0.status.rawValue)" }.joined(separator: ", ")
    }
}

extension TableStatus {
    /// The status as it reads after "is": "available", "active", "in checkout".
    var phrase: String {
        switch self {
        case .available: "available"
        case .active: "active"
        case .checkout: "in checkout"
        }
    }
}
