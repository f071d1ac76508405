import Restaurant

/// A duration drawn uniformly between two bounds, in model seconds (`2m..6m`); a fixed one when they are equal.
public struct DurationRange: Sendable, Hashable {
    public var lower: Double
    public var upper: Double

    public init(_ lower: Double, _ upper: Double) {
        precondition(lower >= 0 && lower <= upper, "a duration range needs 0 <= lower <= upper")
        self.lower = lower
        self.upper = upper
    }

    /// Always `seconds`.
    public static func fixed(_ seconds: Double) -> DurationRange {
        DurationRange(seconds, seconds)
    }

    /// Minutes to minutes, for the defaults: `.minutes(2, 6)`.
    public static func minutes(_ lower: Double, _ upper: Double) -> DurationRange {
        DurationRange(lower * 60, upper * 60)
    }

    /// The mean of the draws.
    public var mean: Double { (self.lower + self.upper) / 2 }

    public func draw(using random: inout SimulationRandom) -> Double {
        self.lower == self.upper ? self.lower : random.uniform(self.lower, self.upper)
    }
}

/// What staff chatter does: post, edit, pin (or unpin) or delete a message.
public enum ChatterKind: String, Sendable, Hashable, CaseIterable {
    case new, edit, pin, delete
}

/// What a menu change does.
public enum MenuChangeKind: String, Sendable, Hashable, CaseIterable {
    case create, update, delete
}

/// What a user change does.
public enum UserChangeKind: String, Sendable, Hashable, CaseIterable {
    case create, delete
}

/// The traffic model: how parties come, order, call for service and leave, and what the staff and managers do
/// meanwhile. Rates are per model second, durations in model seconds; every field has a default (a moderate
/// lunch), so a scenario file names only what it changes.
public struct TrafficModel: Sendable, Hashable {
    /// Parties: who comes, how long they stay.
    public struct Parties: Sendable, Hashable {
        /// Party sizes and their weights. A party sits at the smallest free table that seats it.
        public var size = WeightedChoice<Int>([(1, 10), (2, 40), (3, 15), (4, 22), (5, 5), (6, 5), (7, 1), (8, 2)])
        /// How long a party stays before it asks for the check, at least until each of its orders is completed or
        /// cancelled.
        public var dwell = DurationRange.minutes(35, 70)
        /// How long a party that finds no free table waits for one before it leaves; 0 leaves at once.
        public var patience: Double = 10 * 60
        /// How long a freed table takes to be cleared and given to a waiting party.
        public var turnover = DurationRange.minutes(1, 3)

        public init() {}
    }

    /// Orders: how many, how big, and the kitchen's pace.
    public struct Orders: Sendable, Hashable {
        /// Orders per party (starters, mains, desserts…).
        public var perParty = 1...3
        /// Lines per order, each a menu item drawn uniformly from the current menu.
        public var items = 1...4
        /// The quantity of a line, with weights.
        public var quantity = WeightedChoice<Int>([(1, 85), (2, 12), (3, 3)])
        /// The share of lines with a kitchen note.
        public var notesShare = 0.1
        /// From seating to the first order.
        public var firstAfter = DurationRange.minutes(2, 6)
        /// From one order to the next of the same party.
        public var nextAfter = DurationRange.minutes(8, 20)
        /// From created to served.
        public var serveAfter = DurationRange.minutes(5, 15)
        /// From served to completed.
        public var completeAfter = DurationRange.minutes(10, 25)
        /// The share of orders cancelled: three in four while pending, the rest after being served.
        public var cancelShare = 0.03

        public init() {}
    }

    /// Checkout: from the check asked for to the table free again.
    public struct Checkout: Sendable, Hashable {
        /// From the end of the dwell (or the last order closed, if later) to `table:checkoutStarted`.
        public var startAfter = DurationRange.minutes(1, 4)
        /// From `table:checkoutStarted` to `table:checkoutCompleted`.
        public var completeAfter = DurationRange.minutes(1, 5)

        public init() {}
    }

    /// Service calls from seated parties.
    public struct ServiceCalls: Sendable, Hashable {
        /// Calls per model second from each seated party (a Poisson process per party).
        public var rate = 1.5 / 3600
        /// Call types and their weights, in the declaration order of `ServiceCallType` (as a parsed file has them).
        public var types = WeightedChoice<ServiceCallType>([(.waiter, 5), (.bill, 2), (.water, 3), (.help, 1)])
        /// From a call to `serviceCallHandled`, by a waiter or manager.
        public var handleAfter = DurationRange(30, 240)

        public init() {}
    }

    /// Staff messages.
    public struct Chatter: Sendable, Hashable {
        /// Chatter actions per model second, for the whole staff.
        public var rate = 12.0 / 3600
        /// What each action does, with weights; an edit, pin or delete with no message to act on posts one.
        public var kinds = WeightedChoice<ChatterKind>([(.new, 6), (.edit, 2), (.pin, 1), (.delete, 1)])
        /// `allMessagesDeleted` per model second.
        public var deleteAllRate = 0.25 / 3600

        public init() {}
    }

    /// Menu changes by a manager.
    public struct MenuChanges: Sendable, Hashable {
        /// Changes per model second.
        public var rate = 1.0 / 3600
        /// What each change does, with weights. Deletes remove only dishes the simulation added, and creates stop
        /// once it has added a dozen, so the menu neither empties nor grows without bound.
        public var kinds = WeightedChoice<MenuChangeKind>([(.create, 1), (.update, 3), (.delete, 1)])

        public init() {}
    }

    /// Staff joining and leaving.
    public struct UserChanges: Sendable, Hashable {
        /// Changes per model second.
        public var rate = 0.5 / 3600
        /// What each change does, with weights. Deletes remove only users the simulation added (the restaurant's
        /// own staff stay, as authors and handlers), and creates stop once it has added a dozen.
        public var kinds = WeightedChoice<UserChangeKind>([(.create, 1), (.delete, 1)])

        public init() {}
    }

    public var parties = Parties()
    public var orders = Orders()
    public var checkout = Checkout()
    public var serviceCalls = ServiceCalls()
    public var chatter = Chatter()
    public var menuChanges = MenuChanges()
    public var userChanges = UserChanges()
    /// `table:forceReset` of an occupied table per model second (its open orders cancelled first).
    public var forceResetRate = 0.2 / 3600

    public init() {}
}
