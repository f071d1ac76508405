import Restaurant
import Testing

struct LifecycleRuleTests {
    @Test func everyRuleHasACase() {
        #expect(Set(RuleCase.all.map(\.rule)) == Set(LifecycleViolation.allRules))
        #expect(RuleCase.all.count == LifecycleViolation.allRules.count)
    }

    @Test(arguments: RuleCase.all)
    func ruleAcceptsTheValidEvent(_ rule: RuleCase) throws {
        var state = try Fixture.state(after: rule.prefix)
        try state.apply(rule.accepted)
    }

    @Test(arguments: RuleCase.all)
    func ruleRefusesTheViolationAndLeavesTheStateUnchanged(_ rule: RuleCase) throws {
        var state = try Fixture.state(after: rule.prefix)
        let before = state
        let violation = #expect(throws: LifecycleViolation.self) {
            try state.apply(rule.violating)
        }
        #expect(violation?.rule == rule.rule)
        #expect(violation?.message.contains(rule.messageContains) == true, "\(violation?.message ?? "")")
        #expect(state == before)
        #expect(throws: LifecycleViolation.self) { try state.check(rule.violating) }
    }

    @Test(arguments: TableStatus.allCases)
    func forceResetTakesAnyStateBackToAvailable(_ status: TableStatus) throws {
        var events: [RestaurantEvent] = []
        if status != .available { events.append(.tableActivated(tableNumber: 7)) }
        if status == .checkout { events.append(.tableCheckoutStarted(tableNumber: 7)) }
        var state = try Fixture.state(after: events)
        #expect(state.tables[7]?.status == status)
        try state.apply(.tableForceReset(tableNumber: 7))
        #expect(state.tables[7]?.status == .available)
    }

    @Test func tableGoesThroughItsWholeLifecycle() throws {
        var state = RestaurantState(definition: .default)
        let order = Fixture.pending(1)
        try state.apply(.tableActivated(tableNumber: 7))
        #expect(state.tables[7]?.status == .active)
        try state.apply(.orderCreated(order))
        try state.apply(.orderServed(Fixture.served(order)))
        try state.apply(.tableCheckoutStarted(tableNumber: 7))
        #expect(state.tables[7]?.status == .checkout)
        // A served order may still be completed during checkout, and only then the table frees up.
        try state.apply(.orderCompleted(Fixture.completed(Fixture.served(order))))
        try state.apply(.tableCheckoutCompleted(tableNumber: 7))
        #expect(state.tables[7]?.status == .available)
        #expect(state.orders[1]?.status == .completed)
    }

    @Test func cancelledAndCompletedOrdersDoNotBlockCheckout() throws {
        let o1 = Fixture.pending(1)
        let o2 = Fixture.pending(2)
        var state = try Fixture.state(after: [
            .tableActivated(tableNumber: 7), .orderCreated(o1), .orderCreated(o2),
            .orderCancelled(Fixture.cancelled(o1)),
            .orderServed(Fixture.served(o2)), .orderCompleted(Fixture.completed(Fixture.served(o2))),
            .tableCheckoutStarted(tableNumber: 7),
        ])
        try state.apply(.tableCheckoutCompleted(tableNumber: 7))
        #expect(state.openOrders(tableNumber: 7).isEmpty)
    }

    @Test func ordersCannotBeCreatedDuringCheckout() throws {
        var state = try Fixture.state(after: [.tableActivated(tableNumber: 7), .tableCheckoutStarted(tableNumber: 7)])
        let violation = #expect(throws: LifecycleViolation.self) {
            try state.apply(.orderCreated(Fixture.pending(1)))
        }
        #expect(violation?.rule == "order.create.requiresActiveTable")
        #expect(violation?.message == "table 7 is in checkout; orders can be created only on an active table")
    }

    @Test func serviceCallsAreAllowedDuringCheckout() throws {
        var state = try Fixture.state(after: [.tableActivated(tableNumber: 7), .tableCheckoutStarted(tableNumber: 7)])
        try state.apply(.serviceCall(Fixture.call(1, type: .bill)))
        #expect(state.pendingServiceCall(tableNumber: 7)?.type == .bill)
    }

    @Test func upsertKeepsTheIdAndCreatedAtAndRefusesANewCreatedAt() throws {
        var state = try Fixture.state(after: [.tableActivated(tableNumber: 7), .serviceCall(Fixture.call(1))])
        var moved = Fixture.call(1, type: .water)
        moved.createdAt = Fixture.time(5)
        let violation = #expect(throws: LifecycleViolation.self) { try state.apply(.serviceCall(moved)) }
        #expect(violation?.rule == "serviceCall.payload.unchangedFields")
        var upsert = Fixture.call(1, type: .water)
        upsert.updatedAt = Fixture.time(5)
        try state.apply(.serviceCall(upsert))
        #expect(state.serviceCalls.count == 1)
        #expect(state.serviceCalls[1] == upsert)
        // Once handled, the table's next call is a new one.
        try state.apply(.serviceCallHandled(Fixture.handled(upsert)))
        #expect(state.pendingServiceCall(tableNumber: 7) == nil)
        try state.apply(.serviceCall(Fixture.call(2, type: .help)))
        #expect(state.pendingServiceCall(tableNumber: 7)?.id == 2)
    }

    /// Each status of `order:*` checked against each event: only the transition's own status passes.
    @Test(arguments: OrderStatus.allCases)
    func orderCreatedMustCarryPending(_ status: OrderStatus) throws {
        var state = try Fixture.activeTable7()
        var order = Fixture.pending(1)
        order.status = status
        if status == .pending {
            try state.apply(.orderCreated(order))
        } else {
            let violation = #expect(throws: LifecycleViolation.self) { try state.apply(.orderCreated(order)) }
            #expect(violation?.rule == "order.payload.statusMatchesEvent")
            #expect(violation?.message
                == "order:created carries order 1 with status \(status.rawValue); it must be pending")
        }
    }

    @Test func orderCreatedMustHaveNoTransitionTimes() throws {
        var state = try Fixture.activeTable7()
        var order = Fixture.pending(1)
        order.cancelledAt = Fixture.at
        let violation = #expect(throws: LifecycleViolation.self) { try state.apply(.orderCreated(order)) }
        #expect(violation?.message == "order:created carries order 1 with cancelledAt set; a pending order has it null")
    }

    @Test func orderCompletedKeepsServedAt() throws {
        let order = Fixture.served(Fixture.pending(1))
        var state = try Fixture.state(after: [.tableActivated(tableNumber: 7), .orderCreated(Fixture.pending(1)),
                                              .orderServed(order)])
        var completed = Fixture.completed(order)
        completed.servedAt = Fixture.time(61)
        let violation = #expect(throws: LifecycleViolation.self) { try state.apply(.orderCompleted(completed)) }
        #expect(violation?.rule == "order.payload.unchangedFields")
        #expect(violation?.message == "order:completed changes servedAt of order 1, which stay as they were")
    }

    @Test func messagePinMayNotChangeTheContent() throws {
        var state = try Fixture.state(after: [.newMessage(Fixture.message(1))])
        var pinned = Fixture.message(1, content: "Changed")
        pinned.isPinned = true
        let violation = #expect(throws: LifecycleViolation.self) { try state.apply(.messagePinned(pinned)) }
        #expect(violation?.rule == "message.payload.unchangedFields")
        #expect(violation?.message == "messagePinned changes content of message 1, which stay as they were")
    }

    @Test func createdIdsMustExceedEveryIdSeen() throws {
        var state = try Fixture.activeTable7()
        try state.apply(.orderCreated(Fixture.pending(100)))
        #expect(state.nextOrderId == 101)
        let violation = #expect(throws: LifecycleViolation.self) {
            try state.apply(.orderCreated(Fixture.pending(50)))
        }
        #expect(violation?.rule == "order.create.requiresNewId")
        // A deleted id is not new either.
        try state.apply(.menuDeleted(id: 30))
        #expect(throws: LifecycleViolation.self) {
            try state.apply(.menuCreated(MenuItem(id: 30, name: "Limonata", category: "Drinks", price: 400)))
        }
        #expect(state.nextMenuItemId == 31)
    }

    @Test func allMessagesDeletedRemovesEveryMessage() throws {
        var state = try Fixture.state(after: [.newMessage(Fixture.message(1)), .newMessage(Fixture.message(2))])
        try state.apply(.allMessagesDeleted)
        #expect(state.messages.isEmpty)
        #expect(state.nextMessageId == 3)
        try state.apply(.allMessagesDeleted)
    }

    @Test func totalPriceOverflowIsAViolationNotACrash() throws {
        var state = try Fixture.activeTable7()
        let item = OrderItem(menuItemId: 12, name: "Margherita", quantity: Int.max, unitPrice: 2)
        let order = Order(id: 1, tableNumber: 7, status: .pending, items: [item], totalPrice: 0,
                          createdAt: Fixture.at, updatedAt: Fixture.at)
        let violation = #expect(throws: LifecycleViolation.self) { try state.apply(.orderCreated(order)) }
        #expect(violation?.rule == "order.payload.totalPrice")
    }
}
