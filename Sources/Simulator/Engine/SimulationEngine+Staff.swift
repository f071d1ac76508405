import Restaurant

/// The staff and the managers: messages, menu changes, colleagues joining and leaving.
extension SimulationEngine {
    /// How many menu items or users the engine adds at most beyond the restaurant's own (then it deletes instead).
    static let maximumAdded = 12
    /// How many of its recent messages the engine remembers for edits, pins and deletes.
    static let rememberedMessages = 64
    /// The roles of new colleagues.
    static let newUserRoles = WeightedChoice<UserRole>([(.waiter, 3), (.kitchen, 2), (.manager, 1)])

    // MARK: Messages

    mutating func chatter<Sink: CommandSink>(_ intent: Intent, at time: Timestamp, sink: inout Sink)
        -> [RestaurantEvent]
    {
        self.scheduleActivity(.chatter, rate: self.traffic.chatter.rate, after: intent.time)
        let kind = self.traffic.chatter.kinds.draw(using: &self.random)
        let result = sink.perform { (state: borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent] in
            guard kind != .new, let id = self.rememberedMessage(in: state) else {
                let staff = self.staff(of: state)
                guard !staff.isEmpty else { return [] }
                let author = staff[self.random.index(staff.count)]
                let content = self.random.element(of: SimulationTexts.messages)
                return [try state.postMessage(authorId: author, content: content, at: time)]
            }
            switch kind {
            case .edit:
                return [try state.editMessage(id: id, content: self.random.element(of: SimulationTexts.edits),
                                              at: time)]
            case .pin:
                return [try state.togglePin(id: id, at: time)]
            default:
                return [try state.deleteMessage(id: id)]
            }
        }
        guard case .success(let events) = result, let event = events.first else {
            self.statistics.intentsDropped += 1
            return []
        }
        switch event {
        case .newMessage(let message):
            if self.messageIds.count >= Self.rememberedMessages {
                self.messageIds.removeFirst()
            }
            self.messageIds.append(message.id)
        case .messageDeleted(let id):
            self.messageIds.removeAll { $0 == id }
        default:
            break
        }
        return events
    }

    mutating func deleteAllMessages<Sink: CommandSink>(_ intent: Intent, at time: Timestamp, sink: inout Sink)
        -> [RestaurantEvent]
    {
        self.scheduleActivity(.deleteAllMessages, rate: self.traffic.chatter.deleteAllRate, after: intent.time)
        let result = sink.perform { (state: borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent] in
            [state.deleteAllMessages()]
        }
        guard case .success(let events) = result else { return [] }
        self.messageIds.removeAll()
        return events
    }

    /// A random message the engine posted that still exists; forgets those that do not.
    private mutating func rememberedMessage(in state: borrowing RestaurantState) -> Int? {
        while !self.messageIds.isEmpty {
            let position = self.random.index(self.messageIds.count)
            let id = self.messageIds[position]
            if state.messages[id] != nil {
                return id
            }
            self.messageIds.remove(at: position)
        }
        return nil
    }

    // MARK: Menu

    mutating func changeMenu<Sink: CommandSink>(_ intent: Intent, at time: Timestamp, sink: inout Sink)
        -> [RestaurantEvent]
    {
        self.scheduleActivity(.menuChange, rate: self.traffic.menuChanges.rate, after: intent.time)
        var kind = self.traffic.menuChanges.kinds.draw(using: &self.random)
        if kind == .create, self.createdMenuIds.count >= Self.maximumAdded {
            kind = .delete
        }
        let result = sink.perform { (state: borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent] in
            self.createdMenuIds.removeAll { state.menu[$0] == nil }
            if kind == .delete, !self.createdMenuIds.isEmpty {
                let id = self.random.element(of: self.createdMenuIds)
                return [try state.deleteMenuItem(id: id)]
            }
            let menu = self.menu(of: state)
            if kind == .update, !menu.isEmpty, let item = state.menu[menu[self.random.index(menu.count)]] {
                // A price change of 0.50 to 1.50 either way, never below 1.00.
                let step = self.random.int(in: 1...3) * 50
                let price = self.random.chance(0.5) ? item.price + step : max(100, item.price - step)
                return [try state.updateMenuItem(id: item.id, price: price == item.price ? price + 50 : price)]
            }
            guard self.createdMenuIds.count < Self.maximumAdded else { return [] }
            let dish = SimulationTexts.dishes[self.dishCount % SimulationTexts.dishes.count]
            self.dishCount += 1
            return [try state.createMenuItem(name: dish.name, category: dish.category, price: dish.price)]
        }
        guard case .success(let events) = result, let event = events.first else {
            self.statistics.intentsDropped += 1
            return []
        }
        switch event {
        case .menuCreated(let item):
            self.createdMenuIds.append(item.id)
        case .menuDeleted(let id):
            self.createdMenuIds.removeAll { $0 == id }
        default:
            break
        }
        return events
    }

    /// The menu's item ids, ascending.
    mutating func menu(of state: borrowing RestaurantState) -> [Int] {
        let key = CacheKey(count: state.menu.count, lastId: state.lastMenuItemId)
        if key != self.menuKey {
            self.menuKey = key
            self.menuIds = state.menu.keys.sorted()
        }
        return self.menuIds
    }

    // MARK: Users

    mutating func changeUsers<Sink: CommandSink>(_ intent: Intent, at time: Timestamp, sink: inout Sink)
        -> [RestaurantEvent]
    {
        self.scheduleActivity(.userChange, rate: self.traffic.userChanges.rate, after: intent.time)
        var kind = self.traffic.userChanges.kinds.draw(using: &self.random)
        if kind == .create, self.createdUserIds.count >= Self.maximumAdded {
            kind = .delete
        }
        let result = sink.perform { (state: borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent] in
            self.createdUserIds.removeAll { state.users[$0] == nil }
            if kind == .delete, !self.createdUserIds.isEmpty {
                return [try state.deleteUser(id: self.random.element(of: self.createdUserIds))]
            }
            guard self.createdUserIds.count < Self.maximumAdded else { return [] }
            let role = Self.newUserRoles.draw(using: &self.random)
            // A name no one has: luca, then luca2 once every name was used…
            for _ in 0..<SimulationTexts.usernames.count {
                let names = SimulationTexts.usernames
                let round = self.usernameCount / names.count
                let base = names[self.usernameCount % names.count]
                let username = round == 0 ? base : "\(base)\(round + 1)"
                self.usernameCount += 1
                if !state.users.values.contains(where: { $0.username == username }) {
                    return [try state.createUser(username: username, role: role)]
                }
            }
            return []
        }
        guard case .success(let events) = result, let event = events.first else {
            self.statistics.intentsDropped += 1
            return []
        }
        switch event {
        case .userCreated(let user):
            self.createdUserIds.append(user.id)
        case .userDeleted(let id):
            self.createdUserIds.removeAll { $0 == id }
        default:
            break
        }
        return events
    }

    /// Every user id, ascending: the authors of messages.
    mutating func staff(of state: borrowing RestaurantState) -> [Int] {
        self.refreshStaff(state)
        return self.staffIds
    }

    /// A waiter or manager to handle a call (anyone when there is none); `nil` without staff.
    mutating func handler(of state: borrowing RestaurantState) -> Int? {
        self.refreshStaff(state)
        guard !self.handlerIds.isEmpty else { return nil }
        return self.handlerIds[self.random.index(self.handlerIds.count)]
    }

    private mutating func refreshStaff(_ state: borrowing RestaurantState) {
        let key = CacheKey(count: state.users.count, lastId: state.lastUserId)
        guard key != self.staffKey else { return }
        self.staffKey = key
        self.staffIds = state.users.keys.sorted()
        let handlers = self.staffIds.filter { id in
            let role = state.users[id]?.role
            return role == .waiter || role == .manager
        }
        self.handlerIds = handlers.isEmpty ? self.staffIds : handlers
    }
}
