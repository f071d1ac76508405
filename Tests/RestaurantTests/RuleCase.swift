import Restaurant
import Testing

/// One lifecycle rule, with a history, an event the rule lets through after it and one it refuses.
///
/// The same table drives ``LifecycleRuleTests`` (``RestaurantState/apply(_:)``) and ``JournalVerifierTests`` (a
/// hand-made journal that breaks each rule).
struct RuleCase: Sendable, CustomTestStringConvertible {
    var rule: String
    /// Events that apply cleanly to the default restaurant, in order.
    var prefix: [RestaurantEvent]
    var accepted: RestaurantEvent
    var violating: RestaurantEvent
    /// A part of the violation's message.
    var messageContains: String

    var testDescription: String { self.rule }

    static let o1 = Fixture.pending(1)
    static let o2 = Fixture.pending(2)
    static let m1 = Fixture.message(1)
    static let c1 = Fixture.call(1)
    static let active7: RestaurantEvent = .tableActivated(tableNumber: 7)
    static let active8: RestaurantEvent = .tableActivated(tableNumber: 8)

    static let all: [RuleCase] = [
        // Tables.
        RuleCase(rule: "table.requiresKnownNumber", prefix: [], accepted: .tableActivated(tableNumber: 7),
                 violating: .tableActivated(tableNumber: 99), messageContains: "table 99 does not exist"),
        RuleCase(rule: "table.activate.requiresAvailable", prefix: [active7], accepted: active8, violating: active7,
                 messageContains: "table 7 is active; only an available table can be activated"),
        RuleCase(rule: "table.checkoutStart.requiresActive", prefix: [active7],
                 accepted: .tableCheckoutStarted(tableNumber: 7), violating: .tableCheckoutStarted(tableNumber: 8),
                 messageContains: "table 8 is available; only an active table can start checkout"),
        RuleCase(rule: "table.checkoutComplete.requiresCheckout",
                 prefix: [active7, active8, .tableCheckoutStarted(tableNumber: 8)],
                 accepted: .tableCheckoutCompleted(tableNumber: 8), violating: .tableCheckoutCompleted(tableNumber: 7),
                 messageContains: "table 7 is active; only a table in checkout can complete checkout"),
        RuleCase(rule: "table.checkoutComplete.requiresNoOpenOrders",
                 prefix: [active7, .orderCreated(o1), .orderCreated(o2), .orderServed(Fixture.served(o2)),
                          .tableCheckoutStarted(tableNumber: 7), active8, .tableCheckoutStarted(tableNumber: 8)],
                 accepted: .tableCheckoutCompleted(tableNumber: 8), violating: .tableCheckoutCompleted(tableNumber: 7),
                 messageContains: "table 7 has open orders (1 pending, 2 served)"),
        RuleCase(rule: "table.forceReset.requiresNoOpenOrders", prefix: [active7, .orderCreated(o1)],
                 accepted: .tableForceReset(tableNumber: 8), violating: .tableForceReset(tableNumber: 7),
                 messageContains: "table 7 still has open orders (1 pending)"),

        // Orders.
        RuleCase(rule: "order.create.requiresNewId", prefix: [active7, .orderCreated(o2)],
                 accepted: .orderCreated(Fixture.pending(3)), violating: .orderCreated(o1),
                 messageContains: "order id 1 is not new; ids increase and the highest order id so far is 2"),
        RuleCase(rule: "order.create.requiresActiveTable", prefix: [active7], accepted: .orderCreated(o1),
                 violating: .orderCreated(Fixture.pending(1, table: 8)),
                 messageContains: "table 8 is available; orders can be created only on an active table"),
        RuleCase(rule: "order.create.requiresKnownMenuItems", prefix: [active7, .menuDeleted(id: 13)],
                 accepted: .orderCreated(o1),
                 violating: .orderCreated(
                     Fixture.pending(1, items: [Fixture.margherita, OrderItem(menuItemId: 13, name: "Marinara",
                                                                              quantity: 1, unitPrice: 950)])
                 ),
                 messageContains: "order 1 names menu item 13 (items[1].menuItemId), which does not exist"),
        RuleCase(rule: "order.serve.requiresKnownId", prefix: [active7, .orderCreated(o1)],
                 accepted: .orderServed(Fixture.served(o1)), violating: .orderServed(Fixture.served(o2)),
                 messageContains: "order 2 does not exist"),
        RuleCase(rule: "order.serve.requiresPending",
                 prefix: [active7, .orderCreated(o1), .orderCreated(o2), .orderCancelled(Fixture.cancelled(o1))],
                 accepted: .orderServed(Fixture.served(o2)), violating: .orderServed(Fixture.served(o1)),
                 messageContains: "order 1 is cancelled; only a pending order can be served"),
        RuleCase(rule: "order.complete.requiresKnownId",
                 prefix: [active7, .orderCreated(o1), .orderServed(Fixture.served(o1))],
                 accepted: .orderCompleted(Fixture.completed(Fixture.served(o1))),
                 violating: .orderCompleted(Fixture.completed(Fixture.served(o2))),
                 messageContains: "order 2 does not exist"),
        RuleCase(rule: "order.complete.requiresServed",
                 prefix: [active7, .orderCreated(o1), .orderCreated(o2), .orderServed(Fixture.served(o2))],
                 accepted: .orderCompleted(Fixture.completed(Fixture.served(o2))),
                 violating: .orderCompleted(Fixture.completed(Fixture.served(o1))),
                 messageContains: "order 1 is pending; only a served order can be completed"),
        RuleCase(rule: "order.cancel.requiresKnownId", prefix: [active7, .orderCreated(o1)],
                 accepted: .orderCancelled(Fixture.cancelled(o1)), violating: .orderCancelled(Fixture.cancelled(o2)),
                 messageContains: "order 2 does not exist"),
        RuleCase(rule: "order.cancel.requiresPendingOrServed",
                 prefix: [active7, .orderCreated(o1), .orderCreated(o2), .orderServed(Fixture.served(o1)),
                          .orderCompleted(Fixture.completed(Fixture.served(o1))), .orderServed(Fixture.served(o2))],
                 accepted: .orderCancelled(Fixture.cancelled(Fixture.served(o2))),
                 violating: .orderCancelled(Fixture.cancelled(Fixture.completed(Fixture.served(o1)))),
                 messageContains: "order 1 is completed; only a pending or served order can be cancelled"),
        RuleCase(rule: "order.payload.statusMatchesEvent", prefix: [active7, .orderCreated(o1)],
                 accepted: .orderServed(Fixture.served(o1)),
                 violating: .orderServed({ var order = Fixture.served(o1); order.servedAt = nil; return order }()),
                 messageContains: "order:served carries order 1 with servedAt null; a served order has it set"),
        RuleCase(rule: "order.payload.totalPrice", prefix: [active7], accepted: .orderCreated(o1),
                 violating: .orderCreated({ var order = o1; order.totalPrice = 2000; return order }()),
                 messageContains: "order 1 has totalPrice 2000, but its items add up to 2300"),
        RuleCase(rule: "order.payload.unchangedFields", prefix: [active7, .orderCreated(o1)],
                 accepted: .orderServed(Fixture.served(o1)),
                 violating: .orderServed({ var order = Fixture.served(o1); order.tableNumber = 8; return order }()),
                 messageContains: "order:served changes tableNumber of order 1"),

        // Menu.
        RuleCase(rule: "menu.create.requiresNewId", prefix: [],
                 accepted: .menuCreated(MenuItem(id: 31, name: "Focaccia", category: "Starters", price: 500)),
                 violating: .menuCreated(MenuItem(id: 30, name: "Focaccia", category: "Starters", price: 500)),
                 messageContains: "menu item id 30 is not new"),
        RuleCase(rule: "menu.update.requiresKnownId", prefix: [],
                 accepted: .menuUpdated(MenuItem(id: 12, name: "Margherita", category: "Pizza", price: 1200)),
                 violating: .menuUpdated(MenuItem(id: 99, name: "Margherita", category: "Pizza", price: 1200)),
                 messageContains: "menu item 99 does not exist"),
        RuleCase(rule: "menu.delete.requiresKnownId", prefix: [.menuDeleted(id: 12)], accepted: .menuDeleted(id: 13),
                 violating: .menuDeleted(id: 12), messageContains: "menu item 12 does not exist"),

        // Users.
        RuleCase(rule: "user.create.requiresNewId", prefix: [],
                 accepted: .userCreated(User(id: 12, username: "nina", role: .waiter)),
                 violating: .userCreated(User(id: 3, username: "nina", role: .waiter)),
                 messageContains: "user id 3 is not new; ids increase and the highest user id so far is 11"),
        RuleCase(rule: "user.delete.requiresKnownId", prefix: [], accepted: .userDeleted(id: 3),
                 violating: .userDeleted(id: 99), messageContains: "user 99 does not exist"),

        // Messages.
        RuleCase(rule: "message.create.requiresNewId", prefix: [.newMessage(m1)],
                 accepted: .newMessage(Fixture.message(2)), violating: .newMessage(m1),
                 messageContains: "message id 1 is not new"),
        RuleCase(rule: "message.create.requiresKnownAuthor", prefix: [.userDeleted(id: 4)], accepted: .newMessage(m1),
                 violating: .newMessage(Fixture.message(1, authorId: 4, authorName: "tom")),
                 messageContains: "message 1 names author 4, and user 4 does not exist"),
        RuleCase(rule: "message.create.authorNameMatches", prefix: [], accepted: .newMessage(m1),
                 violating: .newMessage(Fixture.message(1, authorId: 3, authorName: "tom")),
                 messageContains: "message 1 names its author \"tom\", but user 3 is \"maria\""),
        RuleCase(rule: "message.update.requiresKnownId", prefix: [.newMessage(m1)],
                 accepted: .messageUpdated(Fixture.message(1, content: "Edited")),
                 violating: .messageUpdated(Fixture.message(2, content: "Edited")),
                 messageContains: "message 2 does not exist"),
        RuleCase(rule: "message.pin.requiresKnownId", prefix: [.newMessage(m1), .messageDeleted(id: 1)],
                 accepted: .newMessage(Fixture.message(2)),
                 violating: .messagePinned({ var message = m1; message.isPinned = true; return message }()),
                 messageContains: "message 1 does not exist"),
        RuleCase(rule: "message.delete.requiresKnownId", prefix: [.newMessage(m1), .allMessagesDeleted],
                 accepted: .allMessagesDeleted, violating: .messageDeleted(id: 1),
                 messageContains: "message 1 does not exist"),
        RuleCase(rule: "message.payload.unchangedFields", prefix: [.newMessage(m1)],
                 accepted: .messageUpdated(Fixture.message(1, content: "Edited")),
                 violating: .messageUpdated(Fixture.message(1, authorId: 4, authorName: "tom", content: "Edited")),
                 messageContains: "messageUpdated changes authorId, authorName of message 1"),

        // Service calls.
        RuleCase(rule: "serviceCall.requiresCallableTable", prefix: [active7], accepted: .serviceCall(c1),
                 violating: .serviceCall(Fixture.call(1, table: 8)),
                 messageContains: "table 8 is available; only an active table or one in checkout can call for service"),
        RuleCase(rule: "serviceCall.create.requiresNewId", prefix: [active7, active8, .serviceCall(c1)],
                 accepted: .serviceCall(Fixture.call(2, table: 8)), violating: .serviceCall(Fixture.call(1, table: 8)),
                 messageContains: "service call id 1 is not new"),
        RuleCase(rule: "serviceCall.upsert.requiresSameId", prefix: [active7, .serviceCall(c1)],
                 accepted: .serviceCall(Fixture.call(1, type: .water)),
                 violating: .serviceCall(Fixture.call(2, type: .water)),
                 messageContains: "table 7 has pending service call 1; a new call from it updates that call, so its "
                     + "id must be 1, not 2"),
        RuleCase(rule: "serviceCall.handle.requiresKnownId", prefix: [active7, .serviceCall(c1)],
                 accepted: .serviceCallHandled(Fixture.handled(c1)),
                 violating: .serviceCallHandled(Fixture.handled(Fixture.call(2))),
                 messageContains: "service call 2 does not exist"),
        RuleCase(rule: "serviceCall.handle.requiresPending",
                 prefix: [active7, active8, .serviceCall(c1), .serviceCall(Fixture.call(2, table: 8)),
                          .serviceCallHandled(Fixture.handled(c1))],
                 accepted: .serviceCallHandled(Fixture.handled(Fixture.call(2, table: 8))),
                 violating: .serviceCallHandled(Fixture.handled(c1, by: 4)),
                 messageContains: "service call 1 is handled; only a pending call can be handled"),
        RuleCase(rule: "serviceCall.handle.requiresKnownUser", prefix: [active7, .serviceCall(c1)],
                 accepted: .serviceCallHandled(Fixture.handled(c1, by: nil)),
                 violating: .serviceCallHandled(Fixture.handled(c1, by: 99)),
                 messageContains: "service call 1 names handledBy 99, and user 99 does not exist"),
        RuleCase(rule: "serviceCall.payload.statusMatchesEvent", prefix: [active7], accepted: .serviceCall(c1),
                 violating: .serviceCall({ var call = c1; call.handledBy = 3; return call }()),
                 messageContains: "serviceCall carries service call 1 with status pending, handledBy set"),
        RuleCase(rule: "serviceCall.payload.unchangedFields", prefix: [active7, .serviceCall(c1)],
                 accepted: .serviceCallHandled(Fixture.handled(c1)),
                 violating: .serviceCallHandled(Fixture.handled(Fixture.call(1, type: .bill))),
                 messageContains: "serviceCallHandled changes type of service call 1"),
    ]
}
