import HTTPTypes
import Hummingbird
import NIOCore
import Restaurant
import TablecastJSON

/// The fake backend's REST API: reads of the restaurant state, and writes that go through the lifecycle rules and
/// emit the matching events.
///
/// Routes follow the backend's resources: `/orders`, `/tables`, `/menu`, `/users`, `/messages`, `/service-calls`.
/// Errors answer `{"error":"…"}` (with `"field"` or `"rule"` when there is one): 400 for a malformed body or
/// parameter, 404 for an unknown id, 409 for a transition the lifecycle forbids. Nothing is emitted or changed then.
struct RestaurantAPI {
    let pipeline: EmissionPipeline

    func register(on router: Router<TablecastRequestContext>) {
        self.registerOrders(on: router)
        self.registerTables(on: router)
        self.registerMenu(on: router)
        self.registerUsers(on: router)
        self.registerMessages(on: router)
        self.registerServiceCalls(on: router)
    }

    // MARK: Orders

    struct CreateOrder: RequestInput {
        var tableNumber: Int
        var items: [OrderItemRequest]
        static let fieldNames: Set<String> = ["tableNumber", "items"]
        static let nestedFieldNames: [String: Set<String>] = ["items": ["menuItemId", "quantity", "notes"]]
    }

    private func registerOrders(on router: Router<TablecastRequestContext>) {
        router.get("/orders") { request, _ in
            let status = try request.uri.queryParameters.get("status").map { value throws(HTTPFailure) in
                guard let status = OrderStatus(rawValue: value) else {
                    throw HTTPFailure(status: .badRequest, message: Self.badEnum("status", value, OrderStatus.allCases))
                }
                return status
            }
            let table = try request.uri.queryParameters.get("tableNumber").map { value throws(HTTPFailure) in
                try Self.positiveInteger(value, name: "tableNumber")
            }
            return self.read { state in Self.list(state.orders(status: status, tableNumber: table)) { $1.encode(into: &$0) } }
        }
        router.get("/orders/:id") { _, context in
            let id = try Self.parameter("id", context)
            return try self.read { (state) throws(HTTPFailure) in
                guard let order = state.orders[id] else { throw Self.notFound("order", id) }
                return Self.one(order) { $1.encode(into: &$0) }
            }
        }
        router.post("/orders") { request, _ in
            let input = try await RequestBody.decode(CreateOrder.self, from: request)
            let now = Self.now()
            return self.change(.created) { state throws(CommandError) in
                [try state.createOrder(tableNumber: input.tableNumber, items: input.items, at: now)]
            } render: { _, events in Self.payload(events.last) }
        }
        self.orderTransition("serve", on: router) { state, id, now throws(CommandError) in
            try state.serveOrder(id: id, at: now)
        }
        self.orderTransition("complete", on: router) { state, id, now throws(CommandError) in
            try state.completeOrder(id: id, at: now)
        }
        self.orderTransition("cancel", on: router) { state, id, now throws(CommandError) in
            try state.cancelOrder(id: id, at: now)
        }
    }

    private func orderTransition(
        _ action: String,
        on router: Router<TablecastRequestContext>,
        _ command: @escaping @Sendable (borrowing RestaurantState, Int, Timestamp) throws(CommandError)
            -> RestaurantEvent
    ) {
        router.post("/orders/:id/\(action)") { _, context in
            let id = try Self.parameter("id", context)
            let now = Self.now()
            return self.change(.ok, { state throws(CommandError) in [try command(state, id, now)] },
                               render: { _, events in Self.payload(events.last) })
        }
    }

    // MARK: Tables

    private func registerTables(on router: Router<TablecastRequestContext>) {
        router.get("/tables") { _, _ in
            self.read { state in Self.list(state.tablesSorted) { $1.encode(into: &$0) } }
        }
        router.get("/tables/:number") { _, context in
            let number = try Self.parameter("number", context)
            return try self.read { (state) throws(HTTPFailure) in
                guard let table = state.tables[number] else { throw Self.notFound("table", number) }
                return Self.one(table) { $1.encode(into: &$0) }
            }
        }
        router.post("/tables/:number/activate") { _, context in
            let number = try Self.parameter("number", context)
            return self.change(.ok, { state throws(CommandError) in [try state.activateTable(tableNumber: number)] },
                               render: { state, _ in Self.tableBody(state, number) })
        }
        router.post("/tables/:number/checkout/start") { _, context in
            let number = try Self.parameter("number", context)
            return self.change(.ok, { state throws(CommandError) in [try state.startCheckout(tableNumber: number)] },
                               render: { state, _ in Self.tableBody(state, number) })
        }
        router.post("/tables/:number/checkout/complete") { _, context in
            let number = try Self.parameter("number", context)
            return self.change(.ok, { state throws(CommandError) in [try state.completeCheckout(tableNumber: number)] },
                               render: { state, _ in Self.tableBody(state, number) })
        }
        router.post("/tables/:number/force-reset") { _, context in
            let number = try Self.parameter("number", context)
            let now = Self.now()
            return self.change(.ok, { state throws(CommandError) in try state.forceReset(tableNumber: number, at: now) },
                               render: { state, _ in Self.tableBody(state, number) })
        }
    }

    // MARK: Menu

    struct CreateMenuItem: RequestInput {
        var name: String
        var category: String
        var price: Int
        static let fieldNames: Set<String> = ["name", "category", "price"]
    }

    struct UpdateMenuItem: RequestInput {
        var name: String?
        var category: String?
        var price: Int?
        static let fieldNames: Set<String> = ["name", "category", "price"]
    }

    private func registerMenu(on router: Router<TablecastRequestContext>) {
        router.get("/menu") { _, _ in
            self.read { state in Self.list(state.menuSorted) { $1.encode(into: &$0) } }
        }
        router.post("/menu") { request, _ in
            let input = try await RequestBody.decode(CreateMenuItem.self, from: request)
            return self.change(.created, { state throws(CommandError) in
                [try state.createMenuItem(name: input.name, category: input.category, price: input.price)]
            }, render: { _, events in Self.menuItemBody(events.last?.event) })
        }
        router.patch("/menu/:id") { request, context in
            let id = try Self.parameter("id", context)
            let input = try await RequestBody.decode(UpdateMenuItem.self, from: request)
            return self.change(.ok, { state throws(CommandError) in
                [try state.updateMenuItem(id: id, name: input.name, category: input.category, price: input.price)]
            }, render: { _, events in Self.menuItemBody(events.last?.event) })
        }
        router.delete("/menu/:id") { _, context in
            let id = try Self.parameter("id", context)
            return self.change(.noContent, { state throws(CommandError) in [try state.deleteMenuItem(id: id)] },
                               render: { _, _ in [] })
        }
    }

    // MARK: Users

    struct CreateUser: RequestInput {
        var username: String
        var role: String
        static let fieldNames: Set<String> = ["username", "role"]
    }

    private func registerUsers(on router: Router<TablecastRequestContext>) {
        router.get("/users") { _, _ in
            self.read { state in Self.list(state.usersSorted) { $1.encode(into: &$0) } }
        }
        router.post("/users") { request, _ in
            let input = try await RequestBody.decode(CreateUser.self, from: request)
            let role = try Self.enumeration(UserRole.self, input.role, field: "role")
            return self.change(.created, { state throws(CommandError) in
                [try state.createUser(username: input.username, role: role)]
            }, render: { _, events in Self.payload(events.last) })
        }
        router.delete("/users/:id") { _, context in
            let id = try Self.parameter("id", context)
            return self.change(.noContent, { state throws(CommandError) in [try state.deleteUser(id: id)] },
                               render: { _, _ in [] })
        }
    }

    // MARK: Messages

    struct PostMessage: RequestInput {
        var authorId: Int
        var content: String
        static let fieldNames: Set<String> = ["authorId", "content"]
    }

    struct EditMessage: RequestInput {
        var content: String
        static let fieldNames: Set<String> = ["content"]
    }

    private func registerMessages(on router: Router<TablecastRequestContext>) {
        router.get("/messages") { _, _ in
            self.read { state in Self.list(state.messagesSorted) { $1.encode(into: &$0) } }
        }
        router.post("/messages") { request, _ in
            let input = try await RequestBody.decode(PostMessage.self, from: request)
            let now = Self.now()
            return self.change(.created, { state throws(CommandError) in
                [try state.postMessage(authorId: input.authorId, content: input.content, at: now)]
            }, render: { _, events in Self.payload(events.last) })
        }
        router.patch("/messages/:id") { request, context in
            let id = try Self.parameter("id", context)
            let input = try await RequestBody.decode(EditMessage.self, from: request)
            let now = Self.now()
            return self.change(.ok, { state throws(CommandError) in
                [try state.editMessage(id: id, content: input.content, at: now)]
            }, render: { _, events in Self.payload(events.last) })
        }
        router.post("/messages/:id/pin") { _, context in
            let id = try Self.parameter("id", context)
            let now = Self.now()
            return self.change(.ok, { state throws(CommandError) in [try state.togglePin(id: id, at: now)] },
                               render: { _, events in Self.payload(events.last) })
        }
        router.delete("/messages/:id") { _, context in
            let id = try Self.parameter("id", context)
            return self.change(.noContent, { state throws(CommandError) in [try state.deleteMessage(id: id)] },
                               render: { _, _ in [] })
        }
        router.delete("/messages") { _, _ in
            self.change(.noContent, { state in [state.deleteAllMessages()] }, render: { _, _ in [] })
        }
    }

    // MARK: Service calls

    struct CallService: RequestInput {
        var tableNumber: Int
        var type: String
        static let fieldNames: Set<String> = ["tableNumber", "type"]
    }

    struct HandleServiceCall: RequestInput {
        var handledBy: Int?
        static let fieldNames: Set<String> = ["handledBy"]
    }

    private func registerServiceCalls(on router: Router<TablecastRequestContext>) {
        router.get("/service-calls") { request, _ in
            let status = try request.uri.queryParameters.get("status").map { value throws(HTTPFailure) in
                guard let status = ServiceCallStatus(rawValue: value) else {
                    throw HTTPFailure(status: .badRequest,
                                      message: Self.badEnum("status", value, ServiceCallStatus.allCases))
                }
                return status
            }
            return self.read { state in Self.list(state.serviceCalls(status: status)) { $1.encode(into: &$0) } }
        }
        router.post("/service-calls") { request, _ in
            let input = try await RequestBody.decode(CallService.self, from: request)
            let type = try Self.enumeration(ServiceCallType.self, input.type, field: "type")
            let now = Self.now()
            // 201 when the call is new, 200 when it updates the table's pending call.
            let isUpdate = self.pipeline.read { state in state.pendingServiceCall(tableNumber: input.tableNumber) != nil }
            return self.change(isUpdate ? .ok : .created, { state throws(CommandError) in
                [try state.callService(tableNumber: input.tableNumber, type: type, at: now)]
            }, render: { _, events in Self.payload(events.last) })
        }
        router.post("/service-calls/:id/handle") { request, context in
            let id = try Self.parameter("id", context)
            let input = try await Self.optionalBody(HandleServiceCall.self, from: request) ?? HandleServiceCall()
            let now = Self.now()
            return self.change(.ok, { state throws(CommandError) in
                [try state.handleServiceCall(id: id, byUserId: input.handledBy, at: now)]
            }, render: { _, events in Self.payload(events.last) })
        }
    }

    // MARK: Plumbing

    private static func tableBody(_ state: borrowing RestaurantState, _ number: Int) -> [UInt8] {
        var writer = JSONWriter()
        state.tables[number]?.encode(into: &writer)
        return writer.bytes
    }

    /// The whole menu item a change produced (its events' payloads name only the id and name).
    private static func menuItemBody(_ event: RestaurantEvent?) -> [UInt8] {
        switch event {
        case .menuCreated(let item), .menuUpdated(let item):
            return Self.one(item) { $1.encode(into: &$0) }
        default:
            return Array("null".utf8)
        }
    }

    private func read(_ body: (borrowing RestaurantState) -> [UInt8]) -> Response {
        Self.json(.ok, self.pipeline.read(body))
    }

    private func read(_ body: (borrowing RestaurantState) throws(HTTPFailure) -> [UInt8]) throws(HTTPFailure) -> Response {
        Self.json(.ok, try self.pipeline.read(body))
    }

    /// Runs a command through the emission pipeline and answers with `render`'s body, or the error.
    private func change(
        _ status: HTTPResponse.Status,
        _ command: (borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent],
        render: (borrowing RestaurantState, [EmittedEvent]) -> [UInt8]
    ) -> Response {
        do {
            let body = try self.pipeline.perform(command, then: render)
            return status == .noContent ? Response(status: .noContent) : Self.json(status, body)
        } catch {
            return Self.response(for: error)
        }
    }

    static func response(for failure: EmissionPipeline.Failure) -> Response {
        switch failure {
        case .command(let error):
            var writer = JSONWriter()
            writer.beginObject()
            writer.key("error"); writer.value(error.message)
            if let field = error.field {
                writer.key("field"); writer.value(field)
            }
            if let rule = error.rule {
                writer.key("rule"); writer.value(rule)
            }
            writer.endObject()
            return Self.json(HTTPResponse.Status(code: error.httpStatus), writer.bytes)
        case .journal(let error):
            return .jsonError(.serviceUnavailable, "the journal refused the event: \(error)")
        case .backpressure(let error):
            return .backpressure(error)
        }
    }

    private static func json(_ status: HTTPResponse.Status, _ bytes: [UInt8]) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    private static func list<Element>(_ elements: [Element], _ encode: (inout JSONWriter, Element) -> Void) -> [UInt8] {
        var writer = JSONWriter(capacity: 64 + elements.count * 128)
        writer.beginArray()
        for element in elements {
            encode(&writer, element)
        }
        writer.endArray()
        return writer.bytes
    }

    private static func one<Element>(_ element: Element, _ encode: (inout JSONWriter, Element) -> Void) -> [UInt8] {
        var writer = JSONWriter()
        encode(&writer, element)
        return writer.bytes
    }

    /// The payload of the event a change emitted: the whole entity after the change, exactly as clients got it.
    private static func payload(_ emitted: EmittedEvent?) -> [UInt8] {
        emitted?.payload ?? Array("null".utf8)
    }

    private static func now() -> Timestamp {
        Timestamp(millisecondsSince1970: EmissionClock.wallMillis())
    }

    private static func parameter(_ name: String, _ context: TablecastRequestContext) throws(HTTPFailure) -> Int {
        try Self.positiveInteger(context.parameters.get(name) ?? "", name: name)
    }

    private static func positiveInteger(_ text: String, name: String) throws(HTTPFailure) -> Int {
        guard let value = Int(text), value > 0 else {
            throw HTTPFailure(status: .badRequest, message: "\(name) must be a positive integer, got \"\(text)\"")
        }
        return value
    }

    private static func enumeration<Value: RawRepresentable & CaseIterable>(
        _ type: Value.Type, _ text: String, field: String
    ) throws(HTTPFailure) -> Value where Value.RawValue == String {
        guard let value = Value(rawValue: text) else {
            throw HTTPFailure.badField(field, Self.badEnum(field, text, Array(Value.allCases)))
        }
        return value
    }

    private static func notFound(_ entity: String, _ id: Int) -> HTTPFailure {
        HTTPFailure(status: .notFound, message: "\(entity) \(id) does not exist")
    }

    private static func badEnum<Value: RawRepresentable>(_ name: String, _ value: String, _ allowed: [Value]) -> String
    where Value.RawValue == String {
        "\(name) must be one of \(allowed.map(\.rawValue).joined(separator: ", ")), got \"\(value)\""
    }

    /// A body that may be empty.
    private static func optionalBody<Input: RequestInput>(_ type: Input.Type, from request: Request) async throws
        -> Input?
    {
        if let length = request.headers[.contentLength], length == "0" {
            return nil
        }
        if request.headers[.contentLength] == nil, request.headers[.transferEncoding] == nil {
            return nil
        }
        return try await RequestBody.decode(type, from: request)
    }
}
