/// A delay fault's hold on delivery: while it lasts, events are numbered and journaled but kept back, then sent in
/// order when it ends. A later delay extends the hold: only the latest one's end releases it.
struct DeliveryHold: Sendable {
    private var held: [EventDelivery]?
    /// Identifies the latest hold, so that only its end releases what is held.
    private(set) var generation = 0

    var isHolding: Bool { self.held != nil }

    /// How many events wait for the hold to end.
    var count: Int { self.held?.count ?? 0 }

    /// Starts (or extends) a hold.
    /// - Returns: the generation whose end releases it.
    mutating func begin() -> Int {
        if self.held == nil {
            self.held = []
        }
        self.generation += 1
        return self.generation
    }

    /// Keeps `delivery` while holding.
    /// - Returns: whether it was kept; if not, it goes out now.
    mutating func keep(_ delivery: EventDelivery) -> Bool {
        guard self.held != nil else { return false }
        self.held!.append(delivery)
        return true
    }

    /// Ends the hold if `generation` is the latest.
    /// - Returns: what it held, in order; `nil` when a later hold is still on (or none was).
    mutating func end(generation: Int) -> [EventDelivery]? {
        guard generation == self.generation, let held = self.held else { return nil }
        self.held = nil
        return held
    }
}
