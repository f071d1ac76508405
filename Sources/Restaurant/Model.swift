import TablecastJSON

/// The restaurant's entities, as the `/events` contract (version 1) and the REST API carry them.
///
/// Each type writes its JSON with ``JSONWriter`` in contract key order: `null` written out, money in minor units,
/// times as ISO 8601 UTC with milliseconds.

public enum OrderStatus: String, Sendable, Codable, CaseIterable {
    case pending, served, completed, cancelled
}

public struct OrderItem: Sendable, Hashable, Codable {
    public var menuItemId: Int
    public var name: String
    public var quantity: Int
    /// Minor units (cents).
    public var unitPrice: Int
    public var notes: String?

    public init(menuItemId: Int, name: String, quantity: Int, unitPrice: Int, notes: String? = nil) {
        self.menuItemId = menuItemId
        self.name = name
        self.quantity = quantity
        self.unitPrice = unitPrice
        self.notes = notes
    }

    public func encode(into writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("menuItemId"); writer.value(self.menuItemId)
        writer.key("name"); writer.value(self.name)
        writer.key("quantity"); writer.value(self.quantity)
        writer.key("unitPrice"); writer.value(self.unitPrice)
        writer.key("notes"); writer.value(self.notes)
        writer.endObject()
    }
}

public struct Order: Sendable, Hashable, Codable {
    public var id: Int
    public var tableNumber: Int
    public var status: OrderStatus
    public var items: [OrderItem]
    /// Minor units: the sum of quantity × unit price over the items.
    public var totalPrice: Int
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var servedAt: Timestamp?
    public var completedAt: Timestamp?
    public var cancelledAt: Timestamp?

    public init(id: Int, tableNumber: Int, status: OrderStatus, items: [OrderItem], totalPrice: Int,
                createdAt: Timestamp, updatedAt: Timestamp, servedAt: Timestamp? = nil,
                completedAt: Timestamp? = nil, cancelledAt: Timestamp? = nil) {
        self.id = id
        self.tableNumber = tableNumber
        self.status = status
        self.items = items
        self.totalPrice = totalPrice
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.servedAt = servedAt
        self.completedAt = completedAt
        self.cancelledAt = cancelledAt
    }

    /// Whether the order still keeps its table from checking out (`pending` or `served`).
    public var isOpen: Bool { self.status == .pending || self.status == .served }

    public func encode(into writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("id"); writer.value(self.id)
        writer.key("tableNumber"); writer.value(self.tableNumber)
        writer.key("status"); writer.value(self.status.rawValue)
        writer.key("items")
        writer.beginArray()
        for item in self.items {
            item.encode(into: &writer)
        }
        writer.endArray()
        writer.key("totalPrice"); writer.value(self.totalPrice)
        writer.key("createdAt"); writer.value(self.createdAt)
        writer.key("updatedAt"); writer.value(self.updatedAt)
        writer.key("servedAt"); writer.value(self.servedAt)
        writer.key("completedAt"); writer.value(self.completedAt)
        writer.key("cancelledAt"); writer.value(self.cancelledAt)
        writer.endObject()
    }
}

public enum TableStatus: String, Sendable, Codable, CaseIterable {
    case available, active, checkout
}

public struct Table: Sendable, Hashable, Codable {
    public var number: Int
    public var seats: Int
    public var status: TableStatus

    public init(number: Int, seats: Int, status: TableStatus = .available) {
        self.number = number
        self.seats = seats
        self.status = status
    }

    public func encode(into writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("number"); writer.value(self.number)
        writer.key("seats"); writer.value(self.seats)
        writer.key("status"); writer.value(self.status.rawValue)
        writer.endObject()
    }
}

public struct MenuItem: Sendable, Hashable, Codable {
    public var id: Int
    public var name: String
    public var category: String
    /// Minor units (cents).
    public var price: Int

    public init(id: Int, name: String, category: String, price: Int) {
        self.id = id
        self.name = name
        self.category = category
        self.price = price
    }

    public func encode(into writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("id"); writer.value(self.id)
        writer.key("name"); writer.value(self.name)
        writer.key("category"); writer.value(self.category)
        writer.key("price"); writer.value(self.price)
        writer.endObject()
    }
}

public enum UserRole: String, Sendable, Codable, CaseIterable {
    case admin, manager, waiter, kitchen
}

public struct User: Sendable, Hashable, Codable {
    public var id: Int
    public var username: String
    public var role: UserRole

    public init(id: Int, username: String, role: UserRole) {
        self.id = id
        self.username = username
        self.role = role
    }

    public func encode(into writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("id"); writer.value(self.id)
        writer.key("username"); writer.value(self.username)
        writer.key("role"); writer.value(self.role.rawValue)
        writer.endObject()
    }
}

public struct Message: Sendable, Hashable, Codable {
    public var id: Int
    public var content: String
    public var authorId: Int
    public var authorName: String
    public var isPinned: Bool
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(id: Int, content: String, authorId: Int, authorName: String, isPinned: Bool, createdAt: Timestamp,
                updatedAt: Timestamp) {
        self.id = id
        self.content = content
        self.authorId = authorId
        self.authorName = authorName
        self.isPinned = isPinned
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public func encode(into writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("id"); writer.value(self.id)
        writer.key("content"); writer.value(self.content)
        writer.key("authorId"); writer.value(self.authorId)
        writer.key("authorName"); writer.value(self.authorName)
        writer.key("isPinned"); writer.value(self.isPinned)
        writer.key("createdAt"); writer.value(self.createdAt)
        writer.key("updatedAt"); writer.value(self.updatedAt)
        writer.endObject()
    }
}

public enum ServiceCallType: String, Sendable, Codable, CaseIterable {
    case waiter, bill, water, help
}

public enum ServiceCallStatus: String, Sendable, Codable, CaseIterable {
    case pending, handled
}

public struct ServiceCall: Sendable, Hashable, Codable {
    public var id: Int
    public var tableNumber: Int
    public var type: ServiceCallType
    public var status: ServiceCallStatus
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var handledAt: Timestamp?
    /// The id of the user who handled the call.
    public var handledBy: Int?

    public init(id: Int, tableNumber: Int, type: ServiceCallType, status: ServiceCallStatus, createdAt: Timestamp,
                updatedAt: Timestamp, handledAt: Timestamp? = nil, handledBy: Int? = nil) {
        self.id = id
        self.tableNumber = tableNumber
        self.type = type
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.handledAt = handledAt
        self.handledBy = handledBy
    }

    public func encode(into writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("id"); writer.value(self.id)
        writer.key("tableNumber"); writer.value(self.tableNumber)
        writer.key("type"); writer.value(self.type.rawValue)
        writer.key("status"); writer.value(self.status.rawValue)
        writer.key("createdAt"); writer.value(self.createdAt)
        writer.key("updatedAt"); writer.value(self.updatedAt)
        writer.key("handledAt"); writer.value(self.handledAt)
        writer.key("handledBy"); writer.value(self.handledBy)
        writer.endObject()
    }
}
