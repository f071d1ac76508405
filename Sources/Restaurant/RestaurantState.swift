import HashTreeCollections

/// The restaurant as the events have made it: the projection the REST API reads.
///
/// A pure value. It starts from a ``RestaurantDefinition`` and changes only through ``apply(_:)``, which checks the
/// contract's lifecycle rules first, so a live state and one rebuilt from a journal by applying the same events are
/// equal. The commands (``activateTable(tableNumber:)`` and the others, in `RestaurantState+Commands.swift`) turn an
/// intent into the events it causes without applying them; the caller applies each one and emits it.
///
/// The collections that grow with traffic (orders, messages, service calls, the closed history) are persistent hash
/// trees (`TreeDictionary`): a copy costs O(1) and a change to a copy O(log n), so the server can publish a snapshot
/// of the state after every change for the REST API to read without holding up the next one.
public struct RestaurantState: Sendable, Equatable {
    /// Tables by number.
    public internal(set) var tables: [Int: Table]
    /// Menu items by id.
    public internal(set) var menu: [Int: MenuItem]
    /// Users by id.
    public internal(set) var users: [Int: User]
    /// Orders by id: every open order, and the latest ``historyLimit`` completed or cancelled ones for the REST API's
    /// history (the journal keeps them all).
    public internal(set) var orders: TreeDictionary<Int, Order>
    /// Messages by id.
    public internal(set) var messages: TreeDictionary<Int, Message>
    /// Service calls by id: every pending one, and the latest ``historyLimit`` handled ones.
    public internal(set) var serviceCalls: TreeDictionary<Int, ServiceCall>
    /// How many closed orders (completed or cancelled), and how many handled service calls, the state keeps: older
    /// ones are forgotten in the order they closed, so that a restaurant running for days (or a load test creating
    /// hundreds of orders a second) holds bounded memory. Applying the same events with the same limit gives the
    /// same state, so a projection rebuilt from a journal still equals the live one.
    public let historyLimit: Int
    /// The default ``historyLimit``: a long day's service of a large restaurant.
    public static let defaultHistoryLimit = 10_000

    /// The highest order id seen, created here or taken from an applied event; 0 before the first.
    public internal(set) var lastOrderId: Int = 0
    /// The highest menu item id seen, the definition's included.
    public internal(set) var lastMenuItemId: Int = 0
    /// The highest user id seen, the definition's included.
    public internal(set) var lastUserId: Int = 0
    /// The highest message id seen.
    public internal(set) var lastMessageId: Int = 0
    /// The highest service call id seen.
    public internal(set) var lastServiceCallId: Int = 0

    /// The ids of each table's `pending` and `served` orders, so that checkout and force reset need not scan history.
    var openOrderIds: [Int: Set<Int>] = [:]
    /// The id of each table's pending service call, for the upsert.
    var pendingServiceCallIds: [Int: Int] = [:]
    /// Closed orders and handled service calls, oldest first, until they are forgotten.
    var closedOrderIds = ClosedHistory()
    var handledServiceCallIds = ClosedHistory()

    /// The state before any event: every table available, the definition's menu and staff, no orders, messages or
    /// service calls.
    ///
    /// - Parameters:
    ///   - definition: The restaurant; expected to have passed ``RestaurantDefinition/validate()`` (a later
    ///     duplicate replaces an earlier one).
    ///   - historyLimit: How many closed orders and handled service calls to keep (at least 1).
    public init(definition: RestaurantDefinition, historyLimit: Int = RestaurantState.defaultHistoryLimit) {
        precondition(historyLimit > 0, "historyLimit must be at least 1")
        self.historyLimit = historyLimit
        self.tables = Dictionary(
            definition.tables.map { ($0.number, Table(number: $0.number, seats: $0.seats)) },
            uniquingKeysWith: { _, last in last }
        )
        self.menu = Dictionary(definition.menu.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        self.users = Dictionary(definition.users.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        self.orders = [:]
        self.messages = [:]
        self.serviceCalls = [:]
        self.lastMenuItemId = definition.menu.map(\.id).max() ?? 0
        self.lastUserId = definition.users.map(\.id).max() ?? 0
    }

    // MARK: Next ids

    /// The id the next created order gets.
    public var nextOrderId: Int { self.lastOrderId + 1 }
    /// The id the next created menu item gets.
    public var nextMenuItemId: Int { self.lastMenuItemId + 1 }
    /// The id the next created user gets.
    public var nextUserId: Int { self.lastUserId + 1 }
    /// The id the next posted message gets.
    public var nextMessageId: Int { self.lastMessageId + 1 }
    /// The id the next new service call gets.
    public var nextServiceCallId: Int { self.lastServiceCallId + 1 }

    // MARK: Sorted reads for the REST API

    /// Tables by ascending number.
    public var tablesSorted: [Table] { self.tables.values.sorted { $0.number < $1.number } }
    /// Menu items by ascending id.
    public var menuSorted: [MenuItem] { self.menu.values.sorted { $0.id < $1.id } }
    /// Users by ascending id.
    public var usersSorted: [User] { self.users.values.sorted { $0.id < $1.id } }
    /// Messages by ascending id (oldest first).
    public var messagesSorted: [Message] { self.messages.values.sorted { $0.id < $1.id } }

    /// Orders by ascending id, optionally only those in one status and of one table.
    ///
    /// - Parameters:
    ///   - status: Only orders in this status; every status when `nil`.
    ///   - tableNumber: Only orders of this table; every table when `nil`.
    public func orders(status: OrderStatus? = nil, tableNumber: Int? = nil) -> [Order] {
        if let status, status == .pending || status == .served {
            // Open orders only: found through the tables' open ids, without scanning the history.
            let ids = tableNumber.map { self.openOrderIds[$0] ?? [] }
                ?? self.openOrderIds.values.reduce(into: Set<Int>()) { $0.formUnion($1) }
            return ids.compactMap { self.orders[$0] }.filter { $0.status == status }.sorted { $0.id < $1.id }
        }
        return self.orders.values
            .filter { order in
                (status.map { order.status == $0 } ?? true) && (tableNumber.map { order.tableNumber == $0 } ?? true)
            }
            .sorted { $0.id < $1.id }
    }

    /// The `pending` and `served` orders of a table, by ascending id.
    public func openOrders(tableNumber: Int) -> [Order] {
        (self.openOrderIds[tableNumber] ?? []).compactMap { self.orders[$0] }.sorted { $0.id < $1.id }
    }

    /// Service calls by ascending id, optionally only those in one status.
    public func serviceCalls(status: ServiceCallStatus? = nil) -> [ServiceCall] {
        self.serviceCalls.values
            .filter { call in status.map { call.status == $0 } ?? true }
            .sorted { $0.id < $1.id }
    }

    /// The pending service call of a table, if it has one.
    public func pendingServiceCall(tableNumber: Int) -> ServiceCall? {
        self.pendingServiceCallIds[tableNumber].flatMap { self.serviceCalls[$0] }
    }
}

/// Ids in the order their entities closed, oldest first: a queue that forgets the oldest once past a limit.
///
/// Kept in a persistent hash tree by position, so that a snapshot of the state shares it and a change after the
/// snapshot copies O(log n), not the whole queue.
struct ClosedHistory: Sendable, Equatable {
    private var ids: TreeDictionary<Int, Int> = [:]
    /// The position of the oldest id kept, and the position the next one takes.
    private var head = 0
    private var tail = 0

    var count: Int { self.tail - self.head }

    /// Appends `id`; returns the oldest id once there are more than `limit`, which the caller then forgets.
    mutating func append(_ id: Int, limit: Int) -> Int? {
        self.ids[self.tail] = id
        self.tail += 1
        guard self.count > limit else { return nil }
        let oldest = self.ids.removeValue(forKey: self.head)
        self.head += 1
        return oldest
    }

    static func == (lhs: ClosedHistory, rhs: ClosedHistory) -> Bool {
        lhs.count == rhs.count && (0..<lhs.count).allSatisfy { lhs.ids[lhs.head + $0] == rhs.ids[rhs.head + $0] }
    }
}
