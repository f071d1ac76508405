/// One thing the simulation will try to do at a model time.
///
/// A plain value of 40 bytes without references, so the heap moves it cheaply. What it names (a party, an order, a
/// table) is looked up again when it runs: the state may have changed meanwhile.
struct Intent: Sendable {
    enum Kind: UInt8, Sendable {
        /// A party arrives (`extra`: the phase it arrived in).
        case arrival
        /// A waiting party is seated at a table kept for it (`argument`: the table's index, `extra`: the size).
        case seatWaiting
        /// A party places its next order.
        case placeOrder
        /// The kitchen serves an order (`argument`: the order id).
        case serveOrder
        /// A served order is completed (`argument`: the order id).
        case completeOrder
        /// An order is cancelled (`argument`: the order id).
        case cancelOrder
        /// A party calls for service.
        case serviceCall
        /// Staff handle a service call (`argument`: the call id).
        case handleCall
        /// A party asks for the check.
        case startCheckout
        /// A party pays and leaves.
        case completeCheckout
        /// Staff post, edit, pin or delete a message.
        case chatter
        /// Every message is deleted.
        case deleteAllMessages
        /// A manager changes the menu.
        case menuChange
        /// Staff join or leave.
        case userChange
        /// A manager force-resets an occupied table.
        case forceReset
        /// A fault of the scenario's `faults:` section strikes (`argument`: the entry's index).
        case fault

        /// Whether the intent belongs to a party and is void once that party has left or been forgotten. Order and
        /// service-call intents are not: an order placed is served, completed or cancelled whatever becomes of its
        /// party, so that no lifecycle is left open.
        var isPartyBound: Bool {
            switch self {
            case .placeOrder, .serviceCall, .startCheckout, .completeCheckout: true
            default: false
            }
        }
    }

    /// Model seconds since the start.
    var time: Double
    /// The order of scheduling, which breaks ties in time (first scheduled, first run).
    var sequence: UInt64
    /// Its argument: an order id, a service call id, a table index; 0 when unused.
    var argument: Int
    /// The party slot it belongs to, or -1.
    var slot: Int32
    /// The party's generation when scheduled: a party-bound intent whose party has moved on is void.
    var generation: UInt32
    /// A second small argument: a party size, a phase index.
    var extra: Int32
    var kind: Kind

    /// Whether `self` runs before `other`.
    @inline(__always)
    func precedes(_ other: Intent) -> Bool {
        self.time < other.time || (self.time == other.time && self.sequence < other.sequence)
    }
}

/// The simulation's agenda: a binary min-heap of intents ordered by time, then by scheduling order, so that the same
/// schedule always runs in the same order.
struct Agenda: Sendable {
    private var heap: [Intent] = []
    private var nextSequence: UInt64 = 0

    init() {
        self.heap.reserveCapacity(256)
    }

    var isEmpty: Bool { self.heap.isEmpty }
    var count: Int { self.heap.count }

    /// The intent that runs next.
    var first: Intent? { self.heap.first }

    mutating func schedule(_ kind: Intent.Kind, at time: Double, slot: Int32 = -1, generation: UInt32 = 0,
                           argument: Int = 0, extra: Int32 = 0) {
        precondition(time.isFinite, "an intent needs a finite time")
        let intent = Intent(time: time, sequence: self.nextSequence, argument: argument, slot: slot,
                            generation: generation, extra: extra, kind: kind)
        self.nextSequence &+= 1
        self.heap.append(intent)
        var child = self.heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard intent.precedes(self.heap[parent]) else { break }
            self.heap[child] = self.heap[parent]
            child = parent
        }
        self.heap[child] = intent
    }

    mutating func removeFirst() -> Intent? {
        guard let first = self.heap.first else { return nil }
        let last = self.heap.removeLast()
        guard !self.heap.isEmpty else { return first }
        let count = self.heap.count
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < count else { break }
            let right = left + 1
            let child = right < count && self.heap[right].precedes(self.heap[left]) ? right : left
            guard self.heap[child].precedes(last) else { break }
            self.heap[parent] = self.heap[child]
            parent = child
        }
        self.heap[parent] = last
        return first
    }
}
