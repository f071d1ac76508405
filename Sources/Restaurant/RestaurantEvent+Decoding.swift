import TablecastJSON

extension EventCatalog {
    /// The whole menu item, as the journal keeps it beside `menu.created` and `menu.updated` (see
    /// ``RestaurantEvent/detail``) and as the REST API returns it.
    public static let menuItem = ObjectSchema(
        name: "MenuItem",
        description: "A menu item.",
        fields: [
            SchemaField("id", id, "Menu item id, increasing."),
            SchemaField("name", text, "Its name."),
            SchemaField("category", text, "Its category, such as Pizza."),
            SchemaField("price", money, "Its price, in minor units (cents)."),
        ]
    )
}

extension RestaurantEvent {
    /// Decodes a journaled or received event, checking its payload against the catalog's schema.
    ///
    /// Every field must be present with its JSON type, enumerations must hold one of their values, integers must
    /// reach their minimum and times must be in the contract's form; these are errors. Extra keys, keys out of order
    /// and whitespace between tokens are warnings: the event still decodes.
    ///
    /// `menu.created` and `menu.updated` need the whole item, which their payloads leave out: it comes from
    /// `detail`, the journal's copy of ``detail``. A journal recorded from a real backend has no detail; then
    /// `menu.created` makes the item from the payload with category `""` and price 0 (nothing better is known,
    /// and a later `menu.updated` cannot tell either), and `menu.updated` keeps the item as `menuItem` returns it,
    /// since its payload says only which item changed.
    ///
    /// - Parameters:
    ///   - name: The event name.
    ///   - payload: The payload's JSON bytes.
    ///   - detail: The journal's detail, if it kept one.
    ///   - menuItem: The current menu item of an id, for `menu.updated` without detail; ``RestaurantState``'s
    ///     ``RestaurantState/decodeEvent(name:payload:detail:)`` passes its menu.
    /// - Returns: The event, an unknown name, or the problems that keep it from decoding.
    public static func decode(
        name: String,
        payload: [UInt8],
        detail: [UInt8]?,
        menuItem: (Int) -> MenuItem? = { _ in nil }
    ) -> DecodedEvent {
        guard let eventName = EventName(rawValue: name) else {
            return .unknownName(name)
        }
        let descriptor = EventCatalog.descriptor(for: eventName)
        var checker = SchemaChecker()
        let root: JSONValue
        do throws(JSONError) {
            let parsed = try JSONParser.parse(payload)
            root = parsed.value
            if parsed.sawWhitespace {
                checker.report(.whitespace, path: "",
                               "the payload has whitespace between tokens; the contract writes none")
            }
        } catch {
            checker.report(.invalidJSON, path: "",
                           "the payload is not valid JSON: \(error.reason) at byte \(error.offset)")
            return .invalid(eventName, problems: checker.problems)
        }
        checker.check(root, .object(descriptor.payload), path: "")

        // The journal detail: the whole menu item of a menu event, nothing for the others.
        var detailValue: JSONValue?
        if let detail {
            if eventName == .menuCreated || eventName == .menuUpdated {
                do throws(JSONError) {
                    let value = try JSONParser.parse(detail).value
                    checker.check(value, .object(EventCatalog.menuItem), path: "detail")
                    detailValue = value
                } catch {
                    checker.report(.detailInvalidJSON, path: "detail",
                                   "the journal detail is not valid JSON: \(error.reason) at byte \(error.offset)")
                }
            } else {
                checker.report(.detailUnexpected, path: "detail",
                               "\(name) carries a journal detail, which only menu events have; it is ignored")
            }
        }
        guard !checker.hasErrors else {
            return .invalid(eventName, problems: checker.problems)
        }

        let event: RestaurantEvent
        do throws(SchemaChecker.ExtractionError) {
            let fields = try ObjectReader(root)
            switch eventName {
            case .orderCreated: event = .orderCreated(try fields.order())
            case .orderServed: event = .orderServed(try fields.order())
            case .orderCompleted: event = .orderCompleted(try fields.order())
            case .orderCancelled: event = .orderCancelled(try fields.order())
            case .tableActivated: event = .tableActivated(tableNumber: try fields.int("tableNumber"))
            case .tableCheckoutStarted: event = .tableCheckoutStarted(tableNumber: try fields.int("tableNumber"))
            case .tableCheckoutCompleted: event = .tableCheckoutCompleted(tableNumber: try fields.int("tableNumber"))
            case .tableForceReset: event = .tableForceReset(tableNumber: try fields.int("tableNumber"))
            case .menuCreated:
                let id = try fields.int("id")
                let name = try fields.string("name")
                if let detailValue {
                    let item = try ObjectReader(detailValue).menuItem()
                    if item.id != id || item.name != name {
                        checker.report(
                            .detailMismatch, path: "detail",
                            "the journal detail describes menu item \(item.id) \"\(item.name)\", but the payload "
                                + "names menu item \(id) \"\(name)\""
                        )
                        return .invalid(eventName, problems: checker.problems)
                    }
                    event = .menuCreated(item)
                } else {
                    event = .menuCreated(MenuItem(id: id, name: name, category: "", price: 0))
                }
            case .menuUpdated:
                let id = try fields.int("id")
                if let detailValue {
                    let item = try ObjectReader(detailValue).menuItem()
                    if item.id != id {
                        checker.report(
                            .detailMismatch, path: "detail",
                            "the journal detail describes menu item \(item.id), but the payload names menu item \(id)"
                        )
                        return .invalid(eventName, problems: checker.problems)
                    }
                    event = .menuUpdated(item)
                } else {
                    // An unknown id stays unknown: applying the event reports menu.update.requiresKnownId.
                    event = .menuUpdated(menuItem(id) ?? MenuItem(id: id, name: "", category: "", price: 0))
                }
            case .menuDeleted: event = .menuDeleted(id: try fields.int("id"))
            case .userCreated:
                event = .userCreated(
                    User(id: try fields.int("id"), username: try fields.string("username"),
                         role: try fields.enumeration("role"))
                )
            case .userDeleted: event = .userDeleted(id: try fields.int("id"))
            case .newMessage: event = .newMessage(try fields.message())
            case .messageUpdated: event = .messageUpdated(try fields.message())
            case .messagePinned: event = .messagePinned(try fields.message())
            case .messageDeleted: event = .messageDeleted(id: try fields.int("id"))
            case .allMessagesDeleted: event = .allMessagesDeleted
            case .serviceCall: event = .serviceCall(try fields.serviceCall())
            case .serviceCallHandled: event = .serviceCallHandled(try fields.serviceCall())
            }
        } catch {
            // The schema check above makes this unreachable; reported rather than trapped all the same.
            checker.report(.type, path: error.path, "\(error.path) could not be read as the schema says")
            return .invalid(eventName, problems: checker.problems)
        }
        return .decoded(event, warnings: checker.problems)
    }
}

extension RestaurantState {
    /// Decodes a journaled or received event as ``RestaurantEvent/decode(name:payload:detail:menuItem:)`` does,
    /// taking the current menu item for a `menu.updated` that has no journal detail.
    public func decodeEvent(name: String, payload: [UInt8], detail: [UInt8]?) -> DecodedEvent {
        RestaurantEvent.decode(name: name, payload: payload, detail: detail) { self.menu[$0] }
    }
}

/// Checks a parsed value against a ``SchemaType`` and collects the problems.
struct SchemaChecker {
    /// A field that could not be read after the check passed (a bug of the checker, never of the payload).
    struct ExtractionError: Error {
        var path: String
    }

    private(set) var problems: [PayloadProblem] = []

    var hasErrors: Bool { self.problems.contains { $0.severity == .error } }

    mutating func report(_ rule: PayloadProblem.Rule, path: String, _ message: String) {
        self.problems.append(PayloadProblem(rule, path: path, message))
    }

    mutating func check(_ value: JSONValue, _ type: SchemaType, path: String) {
        switch type {
        case .integer(let minimum):
            guard let integer = value.integerValue else {
                return self.mismatch(value, expected: "an integer", path: path)
            }
            if let minimum, integer < minimum {
                self.report(.minimum, path: path, "\(Self.place(path)) must be at least \(minimum), got \(integer)")
            }
        case .string(let format):
            guard case .string(let text) = value else {
                return self.mismatch(value, expected: "a string", path: path)
            }
            if format == "date-time", Timestamp(iso8601: text) == nil {
                self.report(
                    .dateTime, path: path,
                    "\(Self.place(path)) must be an ISO 8601 UTC time with milliseconds such as "
                        + "2026-11-26T12:00:00.000Z, got \"\(text)\""
                )
            }
        case .boolean:
            guard case .bool = value else {
                return self.mismatch(value, expected: "a boolean", path: path)
            }
        case .enumeration(let values):
            guard case .string(let text) = value else {
                return self.mismatch(value, expected: "a string", path: path)
            }
            if !values.contains(text) {
                self.report(
                    .enumeration, path: path,
                    "\(Self.place(path)) must be one of \(values.joined(separator: ", ")), got \"\(text)\""
                )
            }
        case .array(let element):
            guard case .array(let elements) = value else {
                return self.mismatch(value, expected: "an array", path: path)
            }
            for (index, item) in elements.enumerated() {
                self.check(item, element, path: "\(path)[\(index)]")
            }
        case .object(let schema):
            self.checkObject(value, schema, path: path)
        case .nullable(let inner):
            if value != .null {
                self.check(value, inner, path: path)
            }
        }
    }

    private mutating func checkObject(_ value: JSONValue, _ schema: ObjectSchema, path: String) {
        guard case .object(let members) = value else {
            return self.mismatch(value, expected: "an object", path: path)
        }
        var seen: Set<String> = []
        var knownOrder: [String] = []
        for member in members {
            let memberPath = path.isEmpty ? member.key : "\(path).\(member.key)"
            guard seen.insert(member.key).inserted else {
                self.report(.duplicateKey, path: memberPath,
                            "\(Self.place(path)) has the key \"\(member.key)\" more than once")
                continue
            }
            guard let field = schema.fields.first(where: { $0.name == member.key }) else {
                self.report(.extraKey, path: memberPath,
                            "\(Self.place(path)) has the key \"\(member.key)\", which the contract does not define")
                continue
            }
            knownOrder.append(member.key)
            self.check(member.value, field.type, path: memberPath)
        }
        for field in schema.fields where !seen.contains(field.name) {
            self.report(.missingKey, path: path.isEmpty ? field.name : "\(path).\(field.name)",
                        "\(Self.place(path)) lacks the key \"\(field.name)\"")
        }
        let contractOrder = schema.fields.map(\.name).filter { seen.contains($0) }
        if knownOrder != contractOrder {
            self.report(
                .keyOrder, path: path,
                "\(Self.place(path)) has its keys in the order \(knownOrder.joined(separator: ", ")); the contract's "
                    + "order is \(contractOrder.joined(separator: ", "))"
            )
        }
    }

    private mutating func mismatch(_ value: JSONValue, expected: String, path: String) {
        self.report(.type, path: path, "\(Self.place(path)) must be \(expected), got \(value.typeName)")
    }

    /// How a message names a path: the path itself, or "the payload" for the root.
    static func place(_ path: String) -> String {
        path.isEmpty ? "the payload" : path
    }
}

/// Reads the fields of an object that ``SchemaChecker`` has accepted.
private struct ObjectReader {
    private var members: [String: JSONValue]
    private var path: String

    init(_ value: JSONValue, path: String = "") throws(SchemaChecker.ExtractionError) {
        guard case .object(let members) = value else {
            throw SchemaChecker.ExtractionError(path: path)
        }
        // Duplicate keys were already reported as errors; the first one wins here.
        self.members = Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        self.path = path
    }

    private func value(_ key: String) throws(SchemaChecker.ExtractionError) -> JSONValue {
        guard let value = self.members[key] else {
            throw SchemaChecker.ExtractionError(path: self.place(key))
        }
        return value
    }

    private func place(_ key: String) -> String {
        self.path.isEmpty ? key : "\(self.path).\(key)"
    }

    func int(_ key: String) throws(SchemaChecker.ExtractionError) -> Int {
        guard let integer = try self.value(key).integerValue else {
            throw SchemaChecker.ExtractionError(path: self.place(key))
        }
        return integer
    }

    func optionalInt(_ key: String) throws(SchemaChecker.ExtractionError) -> Int? {
        try self.value(key) == .null ? nil : try self.int(key)
    }

    func string(_ key: String) throws(SchemaChecker.ExtractionError) -> String {
        guard case .string(let text) = try self.value(key) else {
            throw SchemaChecker.ExtractionError(path: self.place(key))
        }
        return text
    }

    func optionalString(_ key: String) throws(SchemaChecker.ExtractionError) -> String? {
        try self.value(key) == .null ? nil : try self.string(key)
    }

    func bool(_ key: String) throws(SchemaChecker.ExtractionError) -> Bool {
        guard case .bool(let flag) = try self.value(key) else {
            throw SchemaChecker.ExtractionError(path: self.place(key))
        }
        return flag
    }

    func timestamp(_ key: String) throws(SchemaChecker.ExtractionError) -> Timestamp {
        guard let time = Timestamp(iso8601: try self.string(key)) else {
            throw SchemaChecker.ExtractionError(path: self.place(key))
        }
        return time
    }

    func optionalTimestamp(_ key: String) throws(SchemaChecker.ExtractionError) -> Timestamp? {
        try self.value(key) == .null ? nil : try self.timestamp(key)
    }

    func enumeration<Value: RawRepresentable<String>>(_ key: String) throws(SchemaChecker.ExtractionError) -> Value {
        guard let value = Value(rawValue: try self.string(key)) else {
            throw SchemaChecker.ExtractionError(path: self.place(key))
        }
        return value
    }

    func order() throws(SchemaChecker.ExtractionError) -> Order {
        guard case .array(let elements) = try self.value("items") else {
            throw SchemaChecker.ExtractionError(path: self.place("items"))
        }
        var items: [OrderItem] = []
        for (index, element) in elements.enumerated() {
            let item = try ObjectReader(element, path: self.place("items[\(index)]"))
            items.append(
                OrderItem(menuItemId: try item.int("menuItemId"), name: try item.string("name"),
                          quantity: try item.int("quantity"), unitPrice: try item.int("unitPrice"),
                          notes: try item.optionalString("notes"))
            )
        }
        return Order(
            id: try self.int("id"), tableNumber: try self.int("tableNumber"), status: try self.enumeration("status"),
            items: items, totalPrice: try self.int("totalPrice"), createdAt: try self.timestamp("createdAt"),
            updatedAt: try self.timestamp("updatedAt"), servedAt: try self.optionalTimestamp("servedAt"),
            completedAt: try self.optionalTimestamp("completedAt"),
            cancelledAt: try self.optionalTimestamp("cancelledAt")
        )
    }

    func menuItem() throws(SchemaChecker.ExtractionError) -> MenuItem {
        MenuItem(id: try self.int("id"), name: try self.string("name"), category: try self.string("category"),
                 price: try self.int("price"))
    }

    func message() throws(SchemaChecker.ExtractionError) -> Message {
        Message(id: try self.int("id"), content: try self.string("content"), authorId: try self.int("authorId"),
                authorName: try self.string("authorName"), isPinned: try self.bool("isPinned"),
                createdAt: try self.timestamp("createdAt"), updatedAt: try self.timestamp("updatedAt"))
    }

    func serviceCall() throws(SchemaChecker.ExtractionError) -> ServiceCall {
        ServiceCall(id: try self.int("id"), tableNumber: try self.int("tableNumber"),
                    type: try self.enumeration("type"), status: try self.enumeration("status"),
                    createdAt: try self.timestamp("createdAt"),
                    updatedAt: try self.timestamp("updatedAt"), handledAt: try self.optionalTimestamp("handledAt"),
                    handledBy: try self.optionalInt("handledBy"))
    }
}
