import Restaurant

/// A seeded random run of the restaurant through its commands, as the simulator and the REST API drive it: each step
/// asks for one command with random arguments; what a command returns is applied and journaled, what it refuses is
/// counted.
struct RandomRestaurant: Sendable {
    private(set) var state = RestaurantState(definition: .default)
    /// Every emitted event, as the journal keeps it, in order.
    private(set) var records: [JournalRecord] = []
    /// Every emitted event, in order.
    private(set) var events: [RestaurantEvent] = []
    /// Commands that refused their intent (nothing emitted), by kind.
    private(set) var refusals: [String: Int] = [:]
    /// Events a command returned that `apply` then refused: always a bug.
    private(set) var applyFailures: [String] = []
    private var generator: SplitMix64
    private var now = Fixture.at
    private var usernames = 0

    init(seed: UInt64) {
        self.generator = SplitMix64(seed: seed)
    }

    /// A run of `steps` commands from `seed`.
    static func run(seed: UInt64, steps: Int) -> RandomRestaurant {
        var restaurant = RandomRestaurant(seed: seed)
        for _ in 0..<steps {
            restaurant.step()
        }
        return restaurant
    }

    private mutating func random(_ range: Range<Int>) -> Int {
        Int.random(in: range, using: &self.generator)
    }

    private mutating func chance(_ percent: Int) -> Bool {
        self.random(0..<100) < percent
    }

    private mutating func pick<T>(_ values: [T]) -> T? {
        values.randomElement(using: &self.generator)
    }

    private mutating func tick() -> Timestamp {
        self.now = Timestamp(millisecondsSince1970: self.now.millisecondsSince1970 + Int64(self.random(1..<30_000)))
        return self.now
    }

    /// Runs one random command.
    mutating func step() {
        let at = self.tick()
        let table = self.random(1..<21)
        let roll = self.random(0..<100)
        self.attempt { (restaurant: inout RandomRestaurant) throws(CommandError) -> [RestaurantEvent] in
            let state = restaurant.state
            switch roll {
            case 0..<25:
                return [try restaurant.tableCommand(table, at: at)]
            case 25..<50:
                return [try restaurant.orderCommand(table, at: at)]
            case 50..<52:
                return try state.forceReset(tableNumber: table, at: at)
            case 52..<62:
                if restaurant.chance(60) {
                    let type = restaurant.pick(ServiceCallType.allCases) ?? .waiter
                    return [try state.callService(tableNumber: table, type: type, at: at)]
                }
                let id = state.pendingServiceCall(tableNumber: table)?.id
                    ?? restaurant.random(1..<state.nextServiceCallId + 1)
                let user = restaurant.chance(80) ? restaurant.pick(state.usersSorted)?.id : nil
                return [try state.handleServiceCall(id: id, byUserId: user, at: at)]
            case 62..<72:
                return [try restaurant.menuCommand()]
            case 72..<77:
                return [try restaurant.userCommand()]
            default:
                return [try restaurant.messageCommand(at: at)]
            }
        }
    }

    private mutating func tableCommand(_ table: Int, at: Timestamp) throws(CommandError) -> RestaurantEvent {
        switch self.state.tables[table]?.status {
        case .available?:
            return self.chance(90)
                ? try self.state.activateTable(tableNumber: table)
                : try self.state.startCheckout(tableNumber: table)
        case .active?:
            if self.chance(70) {
                return try self.newOrder(table, at: at)
            }
            return try self.state.startCheckout(tableNumber: table)
        default:
            if let order = self.state.openOrders(tableNumber: table).first {
                return order.status == .pending
                    ? try self.state.serveOrder(id: order.id, at: at)
                    : try self.state.completeOrder(id: order.id, at: at)
            }
            return try self.state.completeCheckout(tableNumber: table)
        }
    }

    private mutating func newOrder(_ table: Int, at: Timestamp) throws(CommandError) -> RestaurantEvent {
        let menu = self.state.menuSorted
        var items: [OrderItemRequest] = []
        for _ in 0..<self.random(1..<5) {
            // Now and then an item that does not exist, which the command refuses.
            let id = self.chance(2) ? 999 : (self.pick(menu)?.id ?? 1)
            let notes = self.chance(20)
                ? self.pick(["no onions", "extra \"hot\"", "gluten-free / vegan", "für 2"])
                : nil
            items.append(OrderItemRequest(menuItemId: id, quantity: self.random(1..<4), notes: notes))
        }
        return try self.state.createOrder(tableNumber: table, items: items, at: at)
    }

    private mutating func orderCommand(_ table: Int, at: Timestamp) throws(CommandError) -> RestaurantEvent {
        guard let order = self.pick(self.state.openOrders(tableNumber: table)), !self.chance(3) else {
            // Any order at all, most likely one the lifecycle no longer lets move.
            let id = self.random(1..<self.state.nextOrderId + 1)
            return try self.state.serveOrder(id: id, at: at)
        }
        if self.chance(15) {
            return try self.state.cancelOrder(id: order.id, at: at)
        }
        return order.status == .pending
            ? try self.state.serveOrder(id: order.id, at: at)
            : try self.state.completeOrder(id: order.id, at: at)
    }

    private mutating func menuCommand() throws(CommandError) -> RestaurantEvent {
        let menu = self.state.menuSorted
        let roll = self.random(0..<10)
        if roll < 3 || menu.count < 15 {
            let name = "Special \(self.state.nextMenuItemId)"
            let category = self.pick(["Starters", "Pizza", "Pasta", "Mains", "Desserts", "Drinks"]) ?? "Mains"
            return try self.state.createMenuItem(name: name, category: category, price: self.random(0..<3000))
        }
        let id = self.pick(menu)?.id ?? 1
        if roll < 8 {
            switch self.random(0..<3) {
            case 0: return try self.state.updateMenuItem(id: id, price: self.random(100..<3000))
            case 1: return try self.state.updateMenuItem(id: id, name: "Renamed \(self.random(0..<1000))")
            default: return try self.state.updateMenuItem(id: id, category: "Seasonal", price: self.random(1..<50))
            }
        }
        return try self.state.deleteMenuItem(id: menu.count > 25 ? id : self.state.nextMenuItemId + 5)
    }

    private mutating func userCommand() throws(CommandError) -> RestaurantEvent {
        let users = self.state.usersSorted
        if self.chance(60) || users.count < 6 {
            self.usernames += 1
            // Now and then a taken username, which the command refuses.
            let username = self.chance(10) ? (self.pick(users)?.username ?? "maria") : "staff\(self.usernames)"
            return try self.state.createUser(username: username, role: self.pick(UserRole.allCases) ?? .waiter)
        }
        return try self.state.deleteUser(id: self.pick(users)?.id ?? 1)
    }

    private mutating func messageCommand(at: Timestamp) throws(CommandError) -> RestaurantEvent {
        let messages = self.state.messagesSorted
        let roll = self.random(0..<100)
        if roll < 40 || messages.isEmpty {
            let author = self.chance(95) ? (self.pick(self.state.usersSorted)?.id ?? 1) : 9999
            let content = self.pick(["Table \(self.random(1..<21)) is celebrating", "Out of basil",
                                     "Line 1\nLine 2 \"quoted\" \\ / ✓", "  "]) ?? "x"
            return try self.state.postMessage(authorId: author, content: content, at: at)
        }
        let id = self.pick(messages)?.id ?? 1
        switch roll {
        case 40..<60: return try self.state.editMessage(id: id, content: "Edited at \(at.iso8601)", at: at)
        case 60..<80: return try self.state.togglePin(id: id, at: at)
        case 80..<98: return try self.state.deleteMessage(id: self.chance(90) ? id : self.state.nextMessageId)
        default: return self.state.deleteAllMessages()
        }
    }

    /// Runs a command; applies and journals what it returns, or counts its refusal.
    private mutating func attempt(
        _ command: (inout RandomRestaurant) throws(CommandError) -> [RestaurantEvent]
    ) {
        let events: [RestaurantEvent]
        do throws(CommandError) {
            events = try command(&self)
        } catch {
            self.refusals[error.kind.description, default: 0] += 1
            return
        }
        for event in events {
            do {
                try self.state.apply(event)
            } catch {
                self.applyFailures.append("\(event.name.rawValue): \(error)")
                return
            }
            self.events.append(event)
            self.records.append(event.record)
        }
    }
}
