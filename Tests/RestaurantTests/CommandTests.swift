import Restaurant
import Testing

/// Runs a command that must fail and returns its error.
private func failure<T>(_ body: () throws(CommandError) -> T) -> CommandError? {
    do throws(CommandError) {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

/// Expects a command to fail with a kind, a message and, for 400s and body references, a field.
private func expectFailure<T>(
    _ kind: CommandError.Kind,
    _ message: String,
    field: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws(CommandError) -> T
) {
    guard let error = failure(body) else {
        Issue.record("expected \(kind) \"\(message)\", the command succeeded", sourceLocation: sourceLocation)
        return
    }
    #expect(error.kind == kind, sourceLocation: sourceLocation)
    #expect(error.message == message, sourceLocation: sourceLocation)
    #expect(error.field == field, sourceLocation: sourceLocation)
}

extension RestaurantState {
    /// Applies what a command returned, as the REST API does.
    mutating func run(_ events: [RestaurantEvent]) throws {
        for event in events {
            try self.apply(event)
        }
    }

    mutating func run(_ event: RestaurantEvent) throws {
        try self.apply(event)
    }
}

struct TableCommandTests {
    @Test func activateStartAndCompleteCheckout() throws {
        var state = RestaurantState(definition: .default)
        #expect(try state.activateTable(tableNumber: 7) == .tableActivated(tableNumber: 7))
        try state.run(state.activateTable(tableNumber: 7))
        #expect(try state.startCheckout(tableNumber: 7) == .tableCheckoutStarted(tableNumber: 7))
        try state.run(state.startCheckout(tableNumber: 7))
        #expect(try state.completeCheckout(tableNumber: 7) == .tableCheckoutCompleted(tableNumber: 7))
        try state.run(state.completeCheckout(tableNumber: 7))
        #expect(state.tables[7]?.status == .available)
    }

    @Test func unknownTablesAreNotFound() {
        let state = RestaurantState(definition: .default)
        expectFailure(.notFound, "table 99 does not exist") { () throws(CommandError) in
            try state.activateTable(tableNumber: 99)
        }
        expectFailure(.notFound, "table 0 does not exist") { () throws(CommandError) in
            try state.startCheckout(tableNumber: 0)
        }
        expectFailure(.notFound, "table 21 does not exist") { () throws(CommandError) in
            try state.completeCheckout(tableNumber: 21)
        }
        expectFailure(.notFound, "table 99 does not exist") { () throws(CommandError) in
            try state.forceReset(tableNumber: 99, at: Fixture.at)
        }
    }

    @Test func transitionsTheLifecycleForbidsAreConflictsNamingTheState() throws {
        let state = try Fixture.activeTable7()
        let activate = failure { () throws(CommandError) in try state.activateTable(tableNumber: 7) }
        #expect(activate?.kind == .conflict)
        #expect(activate?.httpStatus == 409)
        #expect(activate?.message == "table 7 is active; only an available table can be activated")
        #expect(activate?.rule == "table.activate.requiresAvailable")
        expectFailure(.conflict, "table 8 is available; only an active table can start checkout") {
            () throws(CommandError) in try state.startCheckout(tableNumber: 8)
        }
        expectFailure(.conflict, "table 7 is active; only a table in checkout can complete checkout") {
            () throws(CommandError) in try state.completeCheckout(tableNumber: 7)
        }
    }

    @Test func checkoutWaitsForOpenOrders() throws {
        var state = try Fixture.activeTable7()
        try state.run(state.createOrder(tableNumber: 7, items: [OrderItemRequest(menuItemId: 12, quantity: 1)],
                                        at: Fixture.at))
        try state.run(state.startCheckout(tableNumber: 7))
        expectFailure(
            .conflict,
            "table 7 has open orders (1 pending); every order must be completed or cancelled before checkout completes"
        ) { () throws(CommandError) in try state.completeCheckout(tableNumber: 7) }
        try state.run(state.cancelOrder(id: 1, at: Fixture.time(1)))
        try state.run(state.completeCheckout(tableNumber: 7))
    }

    @Test func forceResetCancelsOpenOrdersFirst() throws {
        var state = try Fixture.activeTable7()
        for _ in 0..<3 {
            try state.run(state.createOrder(tableNumber: 7, items: [OrderItemRequest(menuItemId: 12, quantity: 1)],
                                            at: Fixture.at))
        }
        try state.run(state.serveOrder(id: 2, at: Fixture.time(1)))
        try state.run(state.serveOrder(id: 3, at: Fixture.time(1)))
        try state.run(state.completeOrder(id: 3, at: Fixture.time(2)))
        try state.run(state.startCheckout(tableNumber: 7))

        let events = try state.forceReset(tableNumber: 7, at: Fixture.time(10))
        #expect(events.map(\.name) == [.orderCancelled, .orderCancelled, .tableForceReset])
        guard case .orderCancelled(let first) = events[0], case .orderCancelled(let second) = events[1] else {
            Issue.record("expected two cancellations, got \(events)")
            return
        }
        #expect(first.id == 1 && first.status == .cancelled && first.cancelledAt == Fixture.time(10))
        #expect(first.servedAt == nil)
        #expect(second.id == 2 && second.servedAt == Fixture.time(1) && second.updatedAt == Fixture.time(10))
        #expect(events[2] == .tableForceReset(tableNumber: 7))
        try state.run(events)
        #expect(state.tables[7]?.status == .available)
        #expect(state.orders(tableNumber: 7).map(\.status) == [.cancelled, .cancelled, .completed])
    }

    @Test(arguments: TableStatus.allCases)
    func forceResetWithoutOrdersIsOneEventFromAnyState(_ status: TableStatus) throws {
        var state = RestaurantState(definition: .default)
        if status != .available { try state.run(state.activateTable(tableNumber: 7)) }
        if status == .checkout { try state.run(state.startCheckout(tableNumber: 7)) }
        let events = try state.forceReset(tableNumber: 7, at: Fixture.at)
        #expect(events == [.tableForceReset(tableNumber: 7)])
        try state.run(events)
        #expect(state.tables[7]?.status == .available)
    }
}

struct OrderCommandTests {
    @Test func createOrderTakesNamesAndPricesFromTheMenu() throws {
        var state = try Fixture.activeTable7()
        let event = try state.createOrder(
            tableNumber: 7,
            items: [OrderItemRequest(menuItemId: 12, quantity: 2), OrderItemRequest(menuItemId: 27, quantity: 3,
                                                                                    notes: "after the pizza")],
            at: Fixture.at
        )
        let expected = Order(
            id: 1, tableNumber: 7, status: .pending,
            items: [
                OrderItem(menuItemId: 12, name: "Margherita", quantity: 2, unitPrice: 1150),
                OrderItem(menuItemId: 27, name: "Espresso", quantity: 3, unitPrice: 280, notes: "after the pizza"),
            ],
            totalPrice: 2300 + 840, createdAt: Fixture.at, updatedAt: Fixture.at
        )
        #expect(event == .orderCreated(expected))
        try state.run(event)
        #expect(state.orders[1] == expected)
        #expect(state.nextOrderId == 2)
        #expect(state.openOrders(tableNumber: 7) == [expected])
    }

    @Test func createOrderErrors() throws {
        let state = try Fixture.activeTable7()
        expectFailure(.invalid, "items must hold at least one line", field: "items") { () throws(CommandError) in
            try state.createOrder(tableNumber: 7, items: [], at: Fixture.at)
        }
        expectFailure(.invalid, "items[1].quantity must be at least 1, got 0", field: "items[1].quantity") {
            () throws(CommandError) in
            try state.createOrder(tableNumber: 7, items: [OrderItemRequest(menuItemId: 12, quantity: 1),
                                                          OrderItemRequest(menuItemId: 12, quantity: 0)],
                                  at: Fixture.at)
        }
        expectFailure(.notFound, "table 42 does not exist", field: "tableNumber") { () throws(CommandError) in
            try state.createOrder(tableNumber: 42, items: [OrderItemRequest(menuItemId: 12, quantity: 1)],
                                  at: Fixture.at)
        }
        expectFailure(.notFound, "menu item 99 (items[0].menuItemId) does not exist",
                      field: "items[0].menuItemId") { () throws(CommandError) in
            try state.createOrder(tableNumber: 7, items: [OrderItemRequest(menuItemId: 99, quantity: 1)],
                                  at: Fixture.at)
        }
        expectFailure(.conflict, "table 8 is available; orders can be created only on an active table") {
            () throws(CommandError) in
            try state.createOrder(tableNumber: 8, items: [OrderItemRequest(menuItemId: 12, quantity: 1)],
                                  at: Fixture.at)
        }
        expectFailure(.invalid, "the items add up to more than a total price can hold", field: "items") {
            () throws(CommandError) in
            try state.createOrder(tableNumber: 7, items: [OrderItemRequest(menuItemId: 12, quantity: Int.max)],
                                  at: Fixture.at)
        }
    }

    @Test func serveCompleteAndCancel() throws {
        var state = try Fixture.activeTable7()
        let line = [OrderItemRequest(menuItemId: 12, quantity: 1)]
        try state.run(state.createOrder(tableNumber: 7, items: line, at: Fixture.at))
        try state.run(state.createOrder(tableNumber: 7, items: line, at: Fixture.at))
        try state.run(state.createOrder(tableNumber: 7, items: line, at: Fixture.at))

        let served = try state.serveOrder(id: 1, at: Fixture.time(1))
        guard case .orderServed(let order) = served else {
            Issue.record("expected order:served, got \(served)")
            return
        }
        #expect(order.status == .served && order.servedAt == Fixture.time(1) && order.updatedAt == Fixture.time(1))
        try state.run(served)
        try state.run(state.completeOrder(id: 1, at: Fixture.time(2)))
        #expect(state.orders[1]?.status == .completed)
        #expect(state.orders[1]?.completedAt == Fixture.time(2))

        try state.run(state.cancelOrder(id: 2, at: Fixture.time(3)))
        try state.run(state.serveOrder(id: 3, at: Fixture.time(3)))
        try state.run(state.cancelOrder(id: 3, at: Fixture.time(4)))
        #expect(state.orders(status: .cancelled).map(\.id) == [2, 3])
        #expect(state.orders[3]?.servedAt == Fixture.time(3))
        #expect(state.openOrders(tableNumber: 7).isEmpty)
    }

    @Test func orderTransitionErrors() throws {
        var state = try Fixture.activeTable7()
        let line = [OrderItemRequest(menuItemId: 12, quantity: 1)]
        try state.run(state.createOrder(tableNumber: 7, items: line, at: Fixture.at))
        try state.run(state.createOrder(tableNumber: 7, items: line, at: Fixture.at))
        try state.run(state.cancelOrder(id: 2, at: Fixture.at))

        expectFailure(.notFound, "order 12 does not exist") { () throws(CommandError) in
            try state.serveOrder(id: 12, at: Fixture.at)
        }
        expectFailure(.notFound, "order 12 does not exist") { () throws(CommandError) in
            try state.completeOrder(id: 12, at: Fixture.at)
        }
        expectFailure(.notFound, "order 12 does not exist") { () throws(CommandError) in
            try state.cancelOrder(id: 12, at: Fixture.at)
        }
        expectFailure(.conflict, "order 2 is cancelled; only a pending order can be served") {
            () throws(CommandError) in try state.serveOrder(id: 2, at: Fixture.at)
        }
        expectFailure(.conflict, "order 1 is pending; only a served order can be completed") {
            () throws(CommandError) in try state.completeOrder(id: 1, at: Fixture.at)
        }
        expectFailure(.conflict, "order 2 is cancelled; only a pending or served order can be cancelled") {
            () throws(CommandError) in try state.cancelOrder(id: 2, at: Fixture.at)
        }
        let conflict = failure { () throws(CommandError) in try state.serveOrder(id: 2, at: Fixture.at) }
        #expect(conflict?.rule == "order.serve.requiresPending")
    }

    @Test func ordersFilterAndSort() throws {
        var state = try Fixture.state(after: [.tableActivated(tableNumber: 7), .tableActivated(tableNumber: 3)])
        let line = [OrderItemRequest(menuItemId: 1, quantity: 1)]
        for table in [7, 3, 7, 3, 7] {
            try state.run(state.createOrder(tableNumber: table, items: line, at: Fixture.at))
        }
        try state.run(state.serveOrder(id: 3, at: Fixture.at))
        #expect(state.orders().map(\.id) == [1, 2, 3, 4, 5])
        #expect(state.orders(tableNumber: 7).map(\.id) == [1, 3, 5])
        #expect(state.orders(status: .pending).map(\.id) == [1, 2, 4, 5])
        #expect(state.orders(status: .served, tableNumber: 7).map(\.id) == [3])
        #expect(state.orders(status: .served, tableNumber: 3).isEmpty)
    }
}

struct MenuCommandTests {
    @Test func createUpdateDelete() throws {
        var state = RestaurantState(definition: .default)
        let created = try state.createMenuItem(name: "Focaccia", category: "Starters", price: 550)
        #expect(created == .menuCreated(MenuItem(id: 31, name: "Focaccia", category: "Starters", price: 550)))
        try state.run(created)

        let updated = try state.updateMenuItem(id: 31, price: 600)
        #expect(updated == .menuUpdated(MenuItem(id: 31, name: "Focaccia", category: "Starters", price: 600)))
        try state.run(updated)
        try state.run(state.updateMenuItem(id: 31, name: "Focaccia Genovese", category: "Breads"))
        #expect(state.menu[31] == MenuItem(id: 31, name: "Focaccia Genovese", category: "Breads", price: 600))

        #expect(try state.deleteMenuItem(id: 31) == .menuDeleted(id: 31))
        try state.run(state.deleteMenuItem(id: 31))
        #expect(state.menu[31] == nil)
        #expect(try state.createMenuItem(name: "Grissini", category: "Starters", price: 300)
            == .menuCreated(MenuItem(id: 32, name: "Grissini", category: "Starters", price: 300)))
        #expect(state.menuSorted.map(\.id) == Array(1...30))
    }

    @Test func menuErrors() {
        let state = RestaurantState(definition: .default)
        expectFailure(.invalid, "name must not be empty", field: "name") { () throws(CommandError) in
            try state.createMenuItem(name: "", category: "Pizza", price: 100)
        }
        expectFailure(.invalid, "category must not be empty", field: "category") { () throws(CommandError) in
            try state.createMenuItem(name: "Calzone", category: "  ", price: 100)
        }
        expectFailure(.invalid, "price must be a positive number of cents, got 0", field: "price") {
            () throws(CommandError) in try state.createMenuItem(name: "Calzone", category: "Pizza", price: 0)
        }
        expectFailure(.invalid, "price must be a positive number of cents, got -5", field: "price") {
            () throws(CommandError) in try state.updateMenuItem(id: 12, price: -5)
        }
        expectFailure(.invalid, "name must not be empty", field: "name") { () throws(CommandError) in
            try state.updateMenuItem(id: 99, name: "")
        }
        expectFailure(.notFound, "menu item 99 does not exist") { () throws(CommandError) in
            try state.updateMenuItem(id: 99, price: 100)
        }
        expectFailure(.notFound, "menu item 99 does not exist") { () throws(CommandError) in
            try state.deleteMenuItem(id: 99)
        }
    }

    @Test func ordersKeepTheirLinesWhenTheMenuChanges() throws {
        var state = try Fixture.activeTable7()
        try state.run(state.createOrder(tableNumber: 7, items: [OrderItemRequest(menuItemId: 12, quantity: 1)],
                                        at: Fixture.at))
        try state.run(state.updateMenuItem(id: 12, name: "Pizza Margherita", price: 1250))
        try state.run(state.deleteMenuItem(id: 12))
        #expect(state.orders[1]?.items == [OrderItem(menuItemId: 12, name: "Margherita", quantity: 1, unitPrice: 1150)])
        expectFailure(.notFound, "menu item 12 (items[0].menuItemId) does not exist", field: "items[0].menuItemId") {
            () throws(CommandError) in
            try state.createOrder(tableNumber: 7, items: [OrderItemRequest(menuItemId: 12, quantity: 1)],
                                  at: Fixture.at)
        }
    }
}

struct UserCommandTests {
    @Test func createAndDelete() throws {
        var state = RestaurantState(definition: .default)
        let created = try state.createUser(username: "nina", role: .kitchen)
        #expect(created == .userCreated(User(id: 12, username: "nina", role: .kitchen)))
        try state.run(created)
        #expect(try state.deleteUser(id: 12) == .userDeleted(id: 12))
        try state.run(state.deleteUser(id: 12))
        #expect(state.users[12] == nil)
        #expect(state.nextUserId == 13)
        #expect(state.usersSorted.map(\.id) == Array(1...11))
    }

    @Test func userErrors() {
        let state = RestaurantState(definition: .default)
        expectFailure(.invalid, "username must not be empty", field: "username") { () throws(CommandError) in
            try state.createUser(username: "", role: .waiter)
        }
        expectFailure(.conflict, "username \"maria\" is taken by user 3") { () throws(CommandError) in
            try state.createUser(username: "maria", role: .waiter)
        }
        expectFailure(.notFound, "user 99 does not exist") { () throws(CommandError) in
            try state.deleteUser(id: 99)
        }
    }
}

struct MessageCommandTests {
    @Test func postEditPinDelete() throws {
        var state = RestaurantState(definition: .default)
        let posted = try state.postMessage(authorId: 3, content: "Table 7 is celebrating a birthday", at: Fixture.at)
        #expect(posted == .newMessage(Message(id: 1, content: "Table 7 is celebrating a birthday", authorId: 3,
                                              authorName: "maria", isPinned: false, createdAt: Fixture.at,
                                              updatedAt: Fixture.at)))
        try state.run(posted)

        try state.run(state.editMessage(id: 1, content: "Table 7: birthday, cake at 21:00", at: Fixture.time(1)))
        #expect(state.messages[1]?.content == "Table 7: birthday, cake at 21:00")
        #expect(state.messages[1]?.updatedAt == Fixture.time(1))
        #expect(state.messages[1]?.createdAt == Fixture.at)

        let pin = try state.togglePin(id: 1, at: Fixture.time(2))
        guard case .messagePinned(let pinned) = pin else {
            Issue.record("expected messagePinned, got \(pin)")
            return
        }
        #expect(pinned.isPinned && pinned.updatedAt == Fixture.time(2))
        try state.run(pin)
        try state.run(state.togglePin(id: 1, at: Fixture.time(3)))
        #expect(state.messages[1]?.isPinned == false)

        try state.run(state.postMessage(authorId: 4, content: "Out of basil", at: Fixture.time(4)))
        #expect(state.messagesSorted.map(\.authorName) == ["maria", "tom"])
        #expect(try state.deleteMessage(id: 1) == .messageDeleted(id: 1))
        try state.run(state.deleteMessage(id: 1))
        #expect(state.messagesSorted.map(\.id) == [2])
        #expect(state.deleteAllMessages() == .allMessagesDeleted)
        try state.run(state.deleteAllMessages())
        #expect(state.messages.isEmpty)
    }

    @Test func messageErrors() throws {
        let state = try Fixture.state(after: [.newMessage(Fixture.message(1))])
        expectFailure(.invalid, "content must not be empty", field: "content") { () throws(CommandError) in
            try state.postMessage(authorId: 3, content: " \n", at: Fixture.at)
        }
        expectFailure(.notFound, "user 99 (authorId) does not exist", field: "authorId") { () throws(CommandError) in
            try state.postMessage(authorId: 99, content: "Hi", at: Fixture.at)
        }
        expectFailure(.invalid, "content must not be empty", field: "content") { () throws(CommandError) in
            try state.editMessage(id: 1, content: "", at: Fixture.at)
        }
        expectFailure(.notFound, "message 2 does not exist") { () throws(CommandError) in
            try state.editMessage(id: 2, content: "Hi", at: Fixture.at)
        }
        expectFailure(.notFound, "message 2 does not exist") { () throws(CommandError) in
            try state.togglePin(id: 2, at: Fixture.at)
        }
        expectFailure(.notFound, "message 2 does not exist") { () throws(CommandError) in
            try state.deleteMessage(id: 2)
        }
    }

    @Test func aDeletedAuthorsMessagesCanStillBeEdited() throws {
        var state = try Fixture.state(after: [.newMessage(Fixture.message(1)), .userDeleted(id: 3)])
        try state.run(state.editMessage(id: 1, content: "Still here", at: Fixture.time(1)))
        #expect(state.messages[1]?.authorName == "maria")
    }
}

struct ServiceCallCommandTests {
    @Test func callThenUpsertThenHandle() throws {
        var state = try Fixture.activeTable7()
        let first = try state.callService(tableNumber: 7, type: .waiter, at: Fixture.at)
        #expect(first == .serviceCall(Fixture.call(1)))
        try state.run(first)

        let again = try state.callService(tableNumber: 7, type: .bill, at: Fixture.time(5))
        var upserted = Fixture.call(1, type: .bill)
        upserted.updatedAt = Fixture.time(5)
        #expect(again == .serviceCall(upserted))
        try state.run(again)
        #expect(state.serviceCalls.count == 1)
        #expect(state.nextServiceCallId == 2)

        let handled = try state.handleServiceCall(id: 1, byUserId: 4, at: Fixture.time(9))
        var expected = upserted
        expected.status = .handled
        expected.handledAt = Fixture.time(9)
        expected.handledBy = 4
        expected.updatedAt = Fixture.time(9)
        #expect(handled == .serviceCallHandled(expected))
        try state.run(handled)

        // After handling, the next call from the table is a new one.
        try state.run(state.callService(tableNumber: 7, type: .water, at: Fixture.time(10)))
        #expect(state.serviceCalls(status: .pending).map(\.id) == [2])
        #expect(state.serviceCalls(status: .handled).map(\.id) == [1])
        #expect(state.serviceCalls().map(\.id) == [1, 2])
        try state.run(state.handleServiceCall(id: 2, byUserId: nil, at: Fixture.time(11)))
        #expect(state.serviceCalls[2]?.handledBy == nil)
    }

    @Test func eachTableHasItsOwnPendingCall() throws {
        var state = try Fixture.state(after: [.tableActivated(tableNumber: 7), .tableActivated(tableNumber: 8)])
        try state.run(state.callService(tableNumber: 7, type: .waiter, at: Fixture.at))
        try state.run(state.callService(tableNumber: 8, type: .water, at: Fixture.at))
        try state.run(state.callService(tableNumber: 7, type: .help, at: Fixture.time(1)))
        #expect(state.pendingServiceCall(tableNumber: 7)?.id == 1)
        #expect(state.pendingServiceCall(tableNumber: 7)?.type == .help)
        #expect(state.pendingServiceCall(tableNumber: 8)?.id == 2)
    }

    @Test func serviceCallErrors() throws {
        var state = try Fixture.activeTable7()
        try state.run(state.callService(tableNumber: 7, type: .waiter, at: Fixture.at))
        try state.run(state.handleServiceCall(id: 1, byUserId: 3, at: Fixture.at))
        expectFailure(.notFound, "table 99 does not exist", field: "tableNumber") { () throws(CommandError) in
            try state.callService(tableNumber: 99, type: .waiter, at: Fixture.at)
        }
        expectFailure(
            .conflict, "table 8 is available; only an active table or one in checkout can call for service"
        ) { () throws(CommandError) in try state.callService(tableNumber: 8, type: .waiter, at: Fixture.at) }
        expectFailure(.notFound, "service call 5 does not exist") { () throws(CommandError) in
            try state.handleServiceCall(id: 5, byUserId: 3, at: Fixture.at)
        }
        expectFailure(.conflict, "service call 1 is handled; only a pending call can be handled") {
            () throws(CommandError) in try state.handleServiceCall(id: 1, byUserId: 3, at: Fixture.at)
        }
        try state.run(state.callService(tableNumber: 7, type: .waiter, at: Fixture.at))
        expectFailure(.notFound, "user 99 (handledBy) does not exist", field: "handledBy") {
            () throws(CommandError) in try state.handleServiceCall(id: 2, byUserId: 99, at: Fixture.at)
        }
    }
}

struct CommandErrorTests {
    @Test func kindsMapToHTTPStatuses() {
        #expect(CommandError.invalid(field: "price", "x").httpStatus == 400)
        #expect(CommandError.notFound("x").httpStatus == 404)
        #expect(CommandError.conflict("x").httpStatus == 409)
        #expect(CommandError.Kind.invalid.description == "invalid")
        #expect(CommandError.conflict("order 1 is cancelled").description == "order 1 is cancelled")
    }

    @Test func failedCommandsChangeNothing() throws {
        let state = try Fixture.activeTable7()
        let before = state
        _ = failure { () throws(CommandError) in try state.activateTable(tableNumber: 7) }
        _ = failure { () throws(CommandError) in
            try state.createOrder(tableNumber: 7, items: [OrderItemRequest(menuItemId: 99, quantity: 1)],
                                  at: Fixture.at)
        }
        #expect(state == before)
        #expect(state.nextOrderId == 1)
    }
}

struct RestaurantStateReadTests {
    @Test func initialStateFollowsTheDefinition() {
        let state = RestaurantState(definition: .default)
        #expect(state.tablesSorted.map(\.number) == Array(1...20))
        #expect(state.tablesSorted.allSatisfy { $0.status == .available })
        #expect(state.tables[9]?.seats == 8)
        #expect(state.menuSorted.count == 30)
        #expect(state.usersSorted.count == 11)
        #expect(state.orders.isEmpty && state.messages.isEmpty && state.serviceCalls.isEmpty)
        #expect(state.nextOrderId == 1 && state.nextMessageId == 1 && state.nextServiceCallId == 1)
        #expect(state.nextMenuItemId == 31 && state.nextUserId == 12)
    }
}
