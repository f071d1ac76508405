import Restaurant

/// Parties: arrival, seating, orders, service calls, checkout.
extension SimulationEngine {
    // MARK: Arrival and seating

    mutating func arrive<Sink: CommandSink>(_ intent: Intent, at time: Timestamp, sink: inout Sink)
        -> [RestaurantEvent]
    {
        let now = intent.time
        self.statistics.arrivals += 1
        self.statistics.arrivalsByPhase[Int(intent.extra)] += 1
        self.scheduleNextArrival(after: now)
        let size = self.traffic.parties.size.draw(using: &self.random)
        var chosen = -1
        let result = sink.perform { (state: borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent] in
            self.tables.reclaim(from: state)
            while let index = self.tables.take(size: size, random: &self.random) {
                let number = self.tables.numbers[index]
                guard state.tables[number]?.status == .available else {
                    self.tables.setAside(index)
                    continue
                }
                chosen = index
                return [try state.activateTable(tableNumber: number)]
            }
            return []
        }
        if case .success(let events) = result, chosen >= 0 {
            self.seatParty(tableIndex: chosen, now: now)
            return events
        }
        if chosen >= 0 {
            self.tables.setAside(chosen)
        }
        // No table: the party waits, if it has the patience and the line is not absurd, or leaves.
        if self.traffic.parties.patience > 0, size <= self.tables.maximumSeats,
            self.waitlist.count < max(8, self.tables.numbers.count)
        {
            self.waitlist.append(WaitingParty(arrivedAt: now, size: size))
        } else {
            self.statistics.partiesTurnedAway += 1
        }
        return []
    }

    mutating func seatWaiting<Sink: CommandSink>(_ intent: Intent, at time: Timestamp, sink: inout Sink)
        -> [RestaurantEvent]
    {
        let index = intent.argument
        let number = self.tables.numbers[index]
        var available = false
        let result = sink.perform { (state: borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent] in
            guard state.tables[number]?.status == .available else { return [] }
            available = true
            return [try state.activateTable(tableNumber: number)]
        }
        if available, case .success(let events) = result {
            self.seatParty(tableIndex: index, now: intent.time)
            self.statistics.partiesSeatedAfterWaiting += 1
            return events
        }
        // Someone else took the table kept for the party in the meantime.
        self.tables.setAside(index)
        self.statistics.partiesTurnedAway += 1
        self.statistics.intentsDropped += 1
        return []
    }

    /// A party now sits at a table: plan its first order, its calls and, if it orders nothing, its checkout.
    private mutating func seatParty(tableIndex: Int, now: Double) {
        let slot = self.newPartySlot()
        var party = self.parties[Int(slot)]
        party.isSeated = true
        party.tableIndex = tableIndex
        party.tableNumber = self.tables.numbers[tableIndex]
        party.dwellEnds = now + self.traffic.parties.dwell.draw(using: &self.random)
        party.ordersToPlace = self.random.int(in: self.traffic.orders.perParty)
        party.openOrders = 0
        party.inCheckout = false
        self.parties[Int(slot)] = party
        self.statistics.partiesSeated += 1
        if party.ordersToPlace > 0 {
            self.agenda.schedule(.placeOrder, at: now + self.traffic.orders.firstAfter.draw(using: &self.random),
                                 slot: slot, generation: party.generation)
        } else {
            self.agenda.schedule(.startCheckout, at: party.dwellEnds, slot: slot, generation: party.generation)
        }
        self.scheduleServiceCall(slot: slot, after: now)
    }

    /// Takes over a table that was occupied before the engine started.
    mutating func adopt(tableIndex: Int, table: Table, openOrders: [Order], now: Double) {
        let slot = self.newPartySlot()
        var party = self.parties[Int(slot)]
        party.isSeated = true
        party.tableIndex = tableIndex
        party.tableNumber = table.number
        party.dwellEnds = now
        party.ordersToPlace = 0
        party.openOrders = openOrders.count
        party.inCheckout = table.status == .checkout
        self.parties[Int(slot)] = party
        for order in openOrders {
            let kind: Intent.Kind = order.status == .pending ? .serveOrder : .completeOrder
            let delay = order.status == .pending ? self.traffic.orders.serveAfter : self.traffic.orders.completeAfter
            self.agenda.schedule(kind, at: now + delay.draw(using: &self.random), slot: slot,
                                 generation: party.generation, argument: order.id)
        }
        if party.inCheckout {
            let completeAt = now + self.traffic.checkout.completeAfter.draw(using: &self.random)
            self.agenda.schedule(.completeCheckout, at: completeAt, slot: slot, generation: party.generation)
        } else if party.openOrders == 0 {
            self.agenda.schedule(.startCheckout, at: now + self.traffic.checkout.startAfter.draw(using: &self.random),
                                 slot: slot, generation: party.generation)
        }
        self.scheduleServiceCall(slot: slot, after: now)
    }

    private mutating func newPartySlot() -> Int32 {
        if let slot = self.freeSlots.popLast() {
            return slot
        }
        self.parties.append(Party())
        return Int32(self.parties.count - 1)
    }

    /// Whether a party-bound intent's party is still the one it was scheduled for.
    private func isCurrent(_ intent: Intent) -> Bool {
        intent.slot >= 0 && self.parties[Int(intent.slot)].generation == intent.generation
            && self.parties[Int(intent.slot)].isSeated
    }

    /// The party stops being driven: someone else changed its table. The table is set aside until it is free.
    private mutating func forget(slot: Int32) {
        self.retire(slot: slot)
        self.tables.setAside(self.parties[Int(slot)].tableIndex)
        self.statistics.partiesForgotten += 1
        self.statistics.intentsDropped += 1
    }

    /// The slot is free for another party; every intent scheduled for this one is void.
    private mutating func retire(slot: Int32) {
        self.parties[Int(slot)].generation &+= 1
        self.parties[Int(slot)].isSeated = false
        self.freeSlots.append(slot)
    }

    /// A table is free again: it goes to the first waiting party it seats (after it is cleared), or to the pool.
    mutating func release(tableIndex: Int, now: Double) {
        let patience = self.traffic.parties.patience
        while let first = self.waitlist.first, first.arrivedAt + patience < now {
            self.waitlist.removeFirst()
            self.statistics.partiesTurnedAway += 1
        }
        let seats = self.tables.seats[tableIndex]
        if let position = self.waitlist.firstIndex(where: { $0.size <= seats }) {
            let waiting = self.waitlist.remove(at: position)
            self.agenda.schedule(.seatWaiting, at: now + self.traffic.parties.turnover.draw(using: &self.random),
                                 argument: tableIndex, extra: Int32(waiting.size))
        } else {
            self.tables.release(tableIndex)
        }
    }

    // MARK: Orders

    mutating func placeOrder<Sink: CommandSink>(_ intent: Intent, at time: Timestamp, sink: inout Sink)
        -> [RestaurantEvent]
    {
        guard self.isCurrent(intent) else { return [] }
        let slot = intent.slot
        let number = self.parties[Int(slot)].tableNumber
        var tableLost = false
        let result = sink.perform { (state: borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent] in
            guard state.tables[number]?.status == .active else {
                tableLost = true
                return []
            }
            let menu = self.menu(of: state)
            guard !menu.isEmpty else { return [] }
            let orders = self.traffic.orders
            self.itemBuffer.removeAll(keepingCapacity: true)
            for _ in 0..<self.random.int(in: orders.items) {
                let notes = self.random.chance(orders.notesShare)
                    ? self.random.element(of: SimulationTexts.notes) : nil
                self.itemBuffer.append(
                    OrderItemRequest(
                        menuItemId: menu[self.random.index(menu.count)],
                        quantity: orders.quantity.draw(using: &self.random),
                        notes: notes
                    )
                )
            }
            return [try state.createOrder(tableNumber: number, items: self.itemBuffer, at: time)]
        }
        if tableLost {
            self.forget(slot: slot)
            return []
        }
        let now = intent.time
        self.parties[Int(slot)].ordersToPlace -= 1
        guard case .success(let events) = result, case .orderCreated(let order)? = events.first else {
            // No menu to order from (or the menu changed under the draw): this order is skipped.
            self.statistics.intentsDropped += 1
            self.continueOrdering(slot: slot, now: now)
            return []
        }
        self.parties[Int(slot)].openOrders += 1
        let orders = self.traffic.orders
        let serveAt = now + orders.serveAfter.draw(using: &self.random)
        let generation = intent.generation
        if self.random.chance(orders.cancelShare * 0.75) {
            // Cancelled while pending: before the kitchen would have served it.
            let cancelAt = now + (serveAt - now) * self.random.unit()
            self.agenda.schedule(.cancelOrder, at: cancelAt, slot: slot, generation: generation, argument: order.id)
        } else {
            self.agenda.schedule(.serveOrder, at: serveAt, slot: slot, generation: generation, argument: order.id)
        }
        self.continueOrdering(slot: slot, now: now)
        return events
    }

    /// After an order is placed or skipped: the next order, or the checkout once everything is closed.
    private mutating func continueOrdering(slot: Int32, now: Double) {
        let party = self.parties[Int(slot)]
        if party.ordersToPlace > 0 {
            self.agenda.schedule(.placeOrder, at: now + self.traffic.orders.nextAfter.draw(using: &self.random),
                                 slot: slot, generation: party.generation)
        } else {
            self.checkoutIfDone(slot: slot, now: now)
        }
    }

    /// Once a party has placed every order and none is open, it asks for the check: after its dwell, and not before
    /// a moment has passed since its last order closed.
    private mutating func checkoutIfDone(slot: Int32, now: Double) {
        let party = self.parties[Int(slot)]
        guard party.isSeated, !party.inCheckout, party.ordersToPlace == 0, party.openOrders == 0 else { return }
        let at = max(party.dwellEnds, now + self.traffic.checkout.startAfter.draw(using: &self.random))
        self.agenda.schedule(.startCheckout, at: at, slot: slot, generation: party.generation)
    }

    /// An order of a party is completed or cancelled (by the engine or by someone else).
    private mutating func orderClosed(_ intent: Intent) {
        guard self.isCurrent(intent) else { return }
        self.parties[Int(intent.slot)].openOrders -= 1
        self.checkoutIfDone(slot: intent.slot, now: intent.time)
    }

    mutating func serveOrder<Sink: CommandSink>(_ intent: Intent, at time: Timestamp, sink: inout Sink)
        -> [RestaurantEvent]
    {
        let id = intent.argument
        var status: OrderStatus?
        let result = sink.perform { (state: borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent] in
            status = state.orders[id]?.status
            guard status == .pending else { return [] }
            return [try state.serveOrder(id: id, at: time)]
        }
        let served: [RestaurantEvent]
        switch (result, status) {
        case (.success(let events), .pending?) where !events.isEmpty:
            served = events
        case (_, .served?):
            // Someone else served it: it still has to be completed.
            served = []
            self.statistics.intentsDropped += 1
        default:
            // Gone or closed by someone else.
            self.statistics.intentsDropped += 1
            self.orderClosed(intent)
            return []
        }
        let orders = self.traffic.orders
        let completeAfter = orders.completeAfter.draw(using: &self.random)
        let cancelShare = orders.cancelShare
        // A quarter of the cancellations happen after serving (sent back); the rest were drawn at creation.
        let sentBack = cancelShare < 1 ? cancelShare * 0.25 / (1 - cancelShare * 0.75) : 1
        if self.random.chance(sentBack) {
            self.agenda.schedule(.cancelOrder, at: intent.time + completeAfter * self.random.unit(), slot: intent.slot,
                                 generation: intent.generation, argument: id)
        } else {
            self.agenda.schedule(.completeOrder, at: intent.time + completeAfter, slot: intent.slot,
                                 generation: intent.generation, argument: id)
        }
        return served
    }

    mutating func completeOrder<Sink: CommandSink>(_ intent: Intent, at time: Timestamp, sink: inout Sink)
        -> [RestaurantEvent]
    {
        let id = intent.argument
        let result = sink.perform { (state: borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent] in
            guard state.orders[id]?.status == .served else { return [] }
            return [try state.completeOrder(id: id, at: time)]
        }
        return self.finishOrder(intent, result)
    }

    mutating func cancelOrder<Sink: CommandSink>(_ intent: Intent, at time: Timestamp, sink: inout Sink)
        -> [RestaurantEvent]
    {
        let id = intent.argument
        let result = sink.perform { (state: borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent] in
            guard state.orders[id]?.isOpen == true else { return [] }
            return [try state.cancelOrder(id: id, at: time)]
        }
        return self.finishOrder(intent, result)
    }

    /// The order's lifecycle is over, whether this intent closed it or someone else had.
    private mutating func finishOrder(_ intent: Intent, _ result: Result<[RestaurantEvent], CommandError>)
        -> [RestaurantEvent]
    {
        self.orderClosed(intent)
        guard case .success(let events) = result, !events.isEmpty else {
            self.statistics.intentsDropped += 1
            return []
        }
        return events
    }

    // MARK: Service calls

    func nextServiceCallTime(after time: Double, random: inout SimulationRandom) -> Double {
        time + random.exponential(rate: self.traffic.serviceCalls.rate)
    }

    mutating func scheduleServiceCall(slot: Int32, after time: Double) {
        guard self.traffic.serviceCalls.rate > 0 else { return }
        let at = self.nextServiceCallTime(after: time, random: &self.random)
        guard at.isFinite else { return }
        self.agenda.schedule(.serviceCall, at: at, slot: slot, generation: self.parties[Int(slot)].generation)
    }

    mutating func callService<Sink: CommandSink>(_ intent: Intent, at time: Timestamp, sink: inout Sink)
        -> [RestaurantEvent]
    {
        guard self.isCurrent(intent) else { return [] }
        let number = self.parties[Int(intent.slot)].tableNumber
        var tableLost = false
        var isNew = false
        let result = sink.perform { (state: borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent] in
            let status = state.tables[number]?.status
            guard status == .active || status == .checkout else {
                tableLost = true
                return []
            }
            isNew = state.pendingServiceCall(tableNumber: number) == nil
            let type = self.traffic.serviceCalls.types.draw(using: &self.random)
            return [try state.callService(tableNumber: number, type: type, at: time)]
        }
        guard !tableLost, case .success(let events) = result, case .serviceCall(let call)? = events.first else {
            self.forget(slot: intent.slot)
            return []
        }
        if isNew {
            // A repeated call while one is pending updates that call, which is already due to be handled.
            self.agenda.schedule(
                .handleCall, at: intent.time + self.traffic.serviceCalls.handleAfter.draw(using: &self.random),
                argument: call.id
            )
        }
        self.scheduleServiceCall(slot: intent.slot, after: intent.time)
        return events
    }

    mutating func handleCall<Sink: CommandSink>(_ intent: Intent, at time: Timestamp, sink: inout Sink)
        -> [RestaurantEvent]
    {
        let id = intent.argument
        let result = sink.perform { (state: borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent] in
            guard state.serviceCalls[id]?.status == .pending else { return [] }
            return [try state.handleServiceCall(id: id, byUserId: self.handler(of: state), at: time)]
        }
        guard case .success(let events) = result, !events.isEmpty else {
            // Handled already: at checkout, or by someone else.
            self.statistics.intentsDropped += 1
            return []
        }
        return events
    }

    // MARK: Checkout

    mutating func startCheckout<Sink: CommandSink>(_ intent: Intent, at time: Timestamp, sink: inout Sink)
        -> [RestaurantEvent]
    {
        guard self.isCurrent(intent) else { return [] }
        let number = self.parties[Int(intent.slot)].tableNumber
        let result = sink.perform { (state: borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent] in
            guard state.tables[number]?.status == .active else { return [] }
            return [try state.startCheckout(tableNumber: number)]
        }
        guard case .success(let events) = result, !events.isEmpty else {
            self.forget(slot: intent.slot)
            return []
        }
        self.parties[Int(intent.slot)].inCheckout = true
        self.agenda.schedule(
            .completeCheckout, at: intent.time + self.traffic.checkout.completeAfter.draw(using: &self.random),
            slot: intent.slot, generation: intent.generation
        )
        return events
    }

    mutating func completeCheckout<Sink: CommandSink>(_ intent: Intent, at time: Timestamp, sink: inout Sink)
        -> [RestaurantEvent]
    {
        guard self.isCurrent(intent) else { return [] }
        let slot = intent.slot
        let party = self.parties[Int(slot)]
        if party.openOrders > 0 {
            // An adopted table whose orders are still being seen through: pay once they are.
            self.agenda.schedule(
                .completeCheckout, at: intent.time + self.traffic.checkout.completeAfter.draw(using: &self.random),
                slot: slot, generation: intent.generation
            )
            return []
        }
        var handledCall = false
        let result = sink.perform { (state: borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent] in
            guard state.tables[party.tableNumber]?.status == .checkout else { return [] }
            if let call = state.pendingServiceCall(tableNumber: party.tableNumber) {
                // A waiter answers the table's open call before it pays.
                handledCall = true
                return [try state.handleServiceCall(id: call.id, byUserId: self.handler(of: state), at: time)]
            }
            return [try state.completeCheckout(tableNumber: party.tableNumber)]
        }
        guard case .success(let events) = result, !events.isEmpty else {
            self.forget(slot: slot)
            return []
        }
        if handledCall {
            self.agenda.schedule(.completeCheckout, at: intent.time + self.random.uniform(15, 45), slot: slot,
                                 generation: intent.generation)
        } else {
            self.retire(slot: slot)
            self.statistics.partiesLeft += 1
            self.release(tableIndex: party.tableIndex, now: intent.time)
        }
        return events
    }

    // MARK: Force reset

    mutating func forceReset<Sink: CommandSink>(_ intent: Intent, at time: Timestamp, sink: inout Sink)
        -> [RestaurantEvent]
    {
        self.scheduleActivity(.forceReset, rate: self.traffic.forceResetRate, after: intent.time)
        var seated: [Int32] = []
        for slot in self.parties.indices where self.parties[slot].isSeated {
            seated.append(Int32(slot))
        }
        guard !seated.isEmpty else { return [] }
        let slot = self.random.element(of: seated)
        let party = self.parties[Int(slot)]
        let result = sink.perform { (state: borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent] in
            try state.forceReset(tableNumber: party.tableNumber, at: time)
        }
        guard case .success(let events) = result else {
            self.forget(slot: slot)
            return []
        }
        // Its orders were cancelled with it: their pending intents find them closed and end.
        self.retire(slot: slot)
        self.statistics.partiesForgotten += 1
        self.statistics.forceResets += 1
        self.release(tableIndex: party.tableIndex, now: intent.time)
        return events
    }
}
