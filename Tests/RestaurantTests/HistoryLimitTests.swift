import Restaurant
import Testing

/// The state keeps every open order and pending call, and only the latest closed ones: bounded memory however long
/// a restaurant runs.
struct HistoryLimitTests {
    private static let now = Timestamp(millisecondsSince1970: 1_795_694_400_000)

    /// Runs `body` against `state`, applying each event it returns, and returns the events.
    @discardableResult
    private static func run(
        _ state: inout RestaurantState,
        _ body: (RestaurantState) throws -> [RestaurantEvent]
    ) throws -> [RestaurantEvent] {
        let events = try body(state)
        for event in events {
            try state.apply(event)
        }
        return events
    }

    @Test func onlyTheLatestClosedOrdersAndHandledCallsAreKept() throws {
        var state = RestaurantState(definition: .default, historyLimit: 3)
        var history: [RestaurantEvent] = []
        history += try Self.run(&state) { [try $0.activateTable(tableNumber: 1)] }
        let line = [OrderItemRequest(menuItemId: 1, quantity: 1)]
        for _ in 1...6 {
            history += try Self.run(&state) { [try $0.createOrder(tableNumber: 1, items: line, at: Self.now)] }
        }
        // Orders 1-5 close in the order 2, 1, 3, 5, 4; order 6 stays open.
        for id in [2, 1, 3, 5] {
            history += try Self.run(&state) { [try $0.cancelOrder(id: id, at: Self.now)] }
        }
        history += try Self.run(&state) { [try $0.serveOrder(id: 4, at: Self.now)] }
        history += try Self.run(&state) { [try $0.completeOrder(id: 4, at: Self.now)] }
        #expect(state.orders.keys.sorted() == [3, 4, 5, 6], "the first two to close are forgotten, the open one kept")
        #expect(state.lastOrderId == 6)
        #expect(state.nextOrderId == 7, "ids never repeat, even after the history forgets")

        for _ in 1...5 {
            history += try Self.run(&state) { [try $0.callService(tableNumber: 1, type: .water, at: Self.now)] }
            let id = state.lastServiceCallId
            history += try Self.run(&state) { [try $0.handleServiceCall(id: id, byUserId: nil, at: Self.now)] }
        }
        history += try Self.run(&state) { [try $0.callService(tableNumber: 1, type: .bill, at: Self.now)] }
        #expect(state.serviceCalls.keys.sorted() == [3, 4, 5, 6])

        // A projection rebuilt from the same events, with the same limit, is the same state.
        var rebuilt = RestaurantState(definition: .default, historyLimit: 3)
        for event in history {
            try rebuilt.apply(event)
        }
        #expect(rebuilt == state)
    }

    /// Far past the limit, memory stays bounded: the dictionaries hold the limit and the open entities only.
    @Test func aLongRunHoldsTheLimit() throws {
        var state = RestaurantState(definition: .default, historyLimit: 100)
        try Self.run(&state) { [try $0.activateTable(tableNumber: 2)] }
        let line = [OrderItemRequest(menuItemId: 3, quantity: 2)]
        for _ in 1...5000 {
            let created = try Self.run(&state) { [try $0.createOrder(tableNumber: 2, items: line, at: Self.now)] }
            guard case .orderCreated(let order) = created[0] else { Issue.record("not a creation"); return }
            try Self.run(&state) { [try $0.cancelOrder(id: order.id, at: Self.now)] }
        }
        #expect(state.orders.count == 100)
        #expect(state.orders.keys.min() == 4901)
    }
}
