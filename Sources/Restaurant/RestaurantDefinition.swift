/// The restaurant a run starts from: its tables, its menu and its staff.
///
/// A definition is what `Scenarios/*.yaml` describes and what ``RestaurantState/init(definition:)`` starts from; the
/// events of a run then change the state, never the definition. Decoders (the YAML loader, JSON) fill it through
/// `Codable` with the keys `tables` (`number`, `seats`), `menu` (`id`, `name`, `category`, `price` in cents) and
/// `users` (`id`, `username`, `role`), and call ``validate()`` before use: decoding checks types, not meaning.
public struct RestaurantDefinition: Sendable, Hashable, Codable {
    /// One table of the dining room.
    public struct TableDefinition: Sendable, Hashable, Codable {
        /// The table's number, as events and the REST API name it.
        public var number: Int
        /// How many guests it seats.
        public var seats: Int

        public init(number: Int, seats: Int) {
            self.number = number
            self.seats = seats
        }
    }

    /// The dining room, every table available at the start.
    public var tables: [TableDefinition]
    /// The menu at the start; prices in minor units (cents).
    public var menu: [MenuItem]
    /// The staff at the start.
    public var users: [User]

    public init(tables: [TableDefinition], menu: [MenuItem], users: [User]) {
        self.tables = tables
        self.menu = menu
        self.users = users
    }

    /// Checks what decoding cannot: unique, positive numbers and ids, positive seats and prices, non-empty names.
    ///
    /// Ids and numbers must be unique within their list and usernames unique among users, because events and the
    /// REST API find entities by them.
    ///
    /// - Throws: ``RestaurantDefinitionError`` for the first problem, naming the field (`tables[3].number`).
    public func validate() throws(RestaurantDefinitionError) {
        var numbers: [Int: Int] = [:]
        for (index, table) in self.tables.enumerated() {
            let field = "tables[\(index)]"
            try Self.requirePositive(table.number, field: "\(field).number")
            try Self.requirePositive(table.seats, field: "\(field).seats")
            if let first = numbers[table.number] {
                throw RestaurantDefinitionError(
                    field: "\(field).number",
                    message: "\(field).number \(table.number) is a duplicate of tables[\(first)].number"
                )
            }
            numbers[table.number] = index
        }
        var menuIds: [Int: Int] = [:]
        for (index, item) in self.menu.enumerated() {
            let field = "menu[\(index)]"
            try Self.requirePositive(item.id, field: "\(field).id")
            try Self.requireText(item.name, field: "\(field).name")
            try Self.requireText(item.category, field: "\(field).category")
            try Self.requirePositive(item.price, field: "\(field).price")
            if let first = menuIds[item.id] {
                throw RestaurantDefinitionError(
                    field: "\(field).id", message: "\(field).id \(item.id) is a duplicate of menu[\(first)].id"
                )
            }
            menuIds[item.id] = index
        }
        var userIds: [Int: Int] = [:]
        var usernames: [String: Int] = [:]
        for (index, user) in self.users.enumerated() {
            let field = "users[\(index)]"
            try Self.requirePositive(user.id, field: "\(field).id")
            try Self.requireText(user.username, field: "\(field).username")
            if let first = userIds[user.id] {
                throw RestaurantDefinitionError(
                    field: "\(field).id", message: "\(field).id \(user.id) is a duplicate of users[\(first)].id"
                )
            }
            if let first = usernames[user.username] {
                throw RestaurantDefinitionError(
                    field: "\(field).username",
                    message: "\(field).username \"\(user.username)\" is a duplicate of users[\(first)].username"
                )
            }
            userIds[user.id] = index
            usernames[user.username] = index
        }
    }

    private static func requirePositive(_ value: Int, field: String) throws(RestaurantDefinitionError) {
        guard value > 0 else {
            throw RestaurantDefinitionError(field: field, message: "\(field) must be positive, got \(value)")
        }
    }

    private static func requireText(_ value: String, field: String) throws(RestaurantDefinitionError) {
        guard !value.allSatisfy(\.isWhitespace) else {
            throw RestaurantDefinitionError(field: field, message: "\(field) must not be empty")
        }
    }
}

/// A ``RestaurantDefinition`` that ``RestaurantDefinition/validate()`` rejects.
public struct RestaurantDefinitionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The field at fault, as a path into the definition: `tables[3].number`, `menu[0].price`.
    public var field: String
    /// A sentence naming the field and the problem.
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { self.message }
}
