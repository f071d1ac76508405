import Restaurant

/// Hand-made entities and events against ``RestaurantDefinition/default``: table 7 seats guests, menu item 12 is the
/// Margherita at 11.50, user 3 is maria (a waiter), user 4 is tom.
enum Fixture {
    /// 2026-11-26T12:00:00.000Z, the contract examples' time.
    static let at = Timestamp(millisecondsSince1970: 1_795_694_400_000)

    /// `at` plus some seconds.
    static func time(_ seconds: Int) -> Timestamp {
        Timestamp(millisecondsSince1970: Self.at.millisecondsSince1970 + Int64(seconds) * 1000)
    }

    static let margherita = OrderItem(menuItemId: 12, name: "Margherita", quantity: 2, unitPrice: 1150)

    static func pending(_ id: Int, table: Int = 7, items: [OrderItem] = [Fixture.margherita]) -> Order {
        Order(id: id, tableNumber: table, status: .pending, items: items,
              totalPrice: items.reduce(0) { $0 + $1.quantity * $1.unitPrice }, createdAt: Self.at, updatedAt: Self.at)
    }

    static func served(_ order: Order) -> Order {
        var order = order
        order.status = .served
        order.servedAt = Self.time(60)
        order.updatedAt = Self.time(60)
        return order
    }

    static func completed(_ order: Order) -> Order {
        var order = order
        order.status = .completed
        order.completedAt = Self.time(120)
        order.updatedAt = Self.time(120)
        return order
    }

    static func cancelled(_ order: Order) -> Order {
        var order = order
        order.status = .cancelled
        order.cancelledAt = Self.time(90)
        order.updatedAt = Self.time(90)
        return order
    }

    static func message(_ id: Int, authorId: Int = 3, authorName: String = "maria", content: String = "Hello")
        -> Message
    {
        Message(id: id, content: content, authorId: authorId, authorName: authorName, isPinned: false,
                createdAt: Self.at, updatedAt: Self.at)
    }

    static func call(_ id: Int, table: Int = 7, type: ServiceCallType = .waiter) -> ServiceCall {
        ServiceCall(id: id, tableNumber: table, type: type, status: .pending, createdAt: Self.at, updatedAt: Self.at)
    }

    static func handled(_ call: ServiceCall, by userId: Int? = 3) -> ServiceCall {
        var call = call
        call.status = .handled
        call.handledAt = Self.time(30)
        call.handledBy = userId
        call.updatedAt = Self.time(30)
        return call
    }

    /// The default restaurant after some events, which must all apply.
    static func state(after events: [RestaurantEvent]) throws -> RestaurantState {
        var state = RestaurantState(definition: .default)
        for event in events {
            try state.apply(event)
        }
        return state
    }

    /// The default restaurant with table 7 active.
    static func activeTable7() throws -> RestaurantState {
        try Self.state(after: [.tableActivated(tableNumber: 7)])
    }
}

/// SplitMix64: a small, seeded, deterministic generator, so that random tests repeat exactly.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension RestaurantEvent {
    /// The event as a journal keeps it.
    var record: JournalRecord {
        JournalRecord(name: self.name.rawValue, payload: self.payload, detail: self.detail)
    }
}

/// One journaled event without its seq.
struct JournalRecord: Sendable, Hashable {
    var name: String
    var payload: [UInt8]
    var detail: [UInt8]?

    init(name: String, payload: [UInt8], detail: [UInt8]? = nil) {
        self.name = name
        self.payload = payload
        self.detail = detail
    }

    init(name: String, json: String, detail: String? = nil) {
        self.init(name: name, payload: Array(json.utf8), detail: detail.map { Array($0.utf8) })
    }
}
