import Foundation
import Restaurant
import Testing

/// A payload that breaks its schema, and the problem expected first.
struct SchemaCase: Sendable, CustomTestStringConvertible {
    var label: String
    var name: String
    var json: String
    var rule: String
    var path: String
    var message: String
    var testDescription: String { self.label }

    static let order = #"{"id":1,"tableNumber":7,"status":"pending","items":[{"menuItemId":12,"name":"Margherita","#
        + #""quantity":2,"unitPrice":1150,"notes":null}],"totalPrice":2300,"createdAt":"2026-11-26T12:00:00.000Z","#
        + #""updatedAt":"2026-11-26T12:00:00.000Z","servedAt":null,"completedAt":null,"cancelledAt":null}"#

    static func order(replacing old: String, with new: String) -> String {
        precondition(Self.order.contains(old))
        return Self.order.replacingOccurrences(of: old, with: new)
    }

    static let errors: [SchemaCase] = [
        SchemaCase(label: "invalid JSON", name: "order:created", json: #"{"id":1,"#, rule: "payload.invalidJSON",
                   path: "", message: "the payload is not valid JSON: expected a string key in object at byte 8"),
        SchemaCase(label: "payload not an object", name: "table:activated", json: "[7]", rule: "schema.type", path: "",
                   message: "the payload must be an object, got array"),
        SchemaCase(label: "missing key", name: "order:created",
                   json: Self.order(replacing: #","cancelledAt":null"#, with: ""), rule: "schema.missingKey",
                   path: "cancelledAt", message: "the payload lacks the key \"cancelledAt\""),
        SchemaCase(label: "missing nested key", name: "order:created",
                   json: Self.order(replacing: #","notes":null"#, with: ""), rule: "schema.missingKey",
                   path: "items[0].notes", message: "items[0] lacks the key \"notes\""),
        SchemaCase(label: "string for integer", name: "table:activated", json: #"{"tableNumber":"7"}"#,
                   rule: "schema.type", path: "tableNumber", message: "tableNumber must be an integer, got string"),
        SchemaCase(label: "fraction for integer", name: "menu.deleted", json: #"{"id":1.5}"#, rule: "schema.type",
                   path: "id", message: "id must be an integer, got number"),
        SchemaCase(label: "null for non-nullable", name: "order:created",
                   json: Self.order(replacing: #""createdAt":"2026-11-26T12:00:00.000Z""#, with: #""createdAt":null"#),
                   rule: "schema.type", path: "createdAt", message: "createdAt must be a string, got null"),
        SchemaCase(label: "number for boolean", name: "newMessage",
                   json: #"{"id":1,"content":"x","authorId":3,"authorName":"maria","isPinned":0,"#
                       + #""createdAt":"2026-11-26T12:00:00.000Z","updatedAt":"2026-11-26T12:00:00.000Z"}"#,
                   rule: "schema.type", path: "isPinned", message: "isPinned must be a boolean, got integer"),
        SchemaCase(label: "object for array", name: "order:created",
                   json: Self.order(replacing: #""items":["#, with: #""items":{"x":["#)
                       .replacingOccurrences(of: #"}],"totalPrice""#, with: #"}]},"totalPrice""#),
                   rule: "schema.type", path: "items", message: "items must be an array, got object"),
        SchemaCase(label: "enum value", name: "order:created",
                   json: Self.order(replacing: #""status":"pending""#, with: #""status":"done""#), rule: "schema.enum",
                   path: "status",
                   message: "status must be one of pending, served, completed, cancelled, got \"done\""),
        SchemaCase(label: "role enum", name: "user.created", json: #"{"id":3,"username":"maria","role":"chef"}"#,
                   rule: "schema.enum", path: "role",
                   message: "role must be one of admin, manager, waiter, kitchen, got \"chef\""),
        SchemaCase(label: "id minimum", name: "user.deleted", json: #"{"id":0}"#, rule: "schema.minimum", path: "id",
                   message: "id must be at least 1, got 0"),
        SchemaCase(label: "nested quantity minimum", name: "order:created",
                   json: Self.order(replacing: #""quantity":2"#, with: #""quantity":0"#), rule: "schema.minimum",
                   path: "items[0].quantity", message: "items[0].quantity must be at least 1, got 0"),
        SchemaCase(label: "negative money", name: "order:created",
                   json: Self.order(replacing: #""totalPrice":2300"#, with: #""totalPrice":-1"#),
                   rule: "schema.minimum", path: "totalPrice", message: "totalPrice must be at least 0, got -1"),
        SchemaCase(label: "date-time without milliseconds", name: "order:created",
                   json: Self.order(replacing: #""updatedAt":"2026-11-26T12:00:00.000Z""#,
                                    with: #""updatedAt":"2026-11-26T12:00:00Z""#),
                   rule: "schema.dateTime", path: "updatedAt",
                   message: "updatedAt must be an ISO 8601 UTC time with milliseconds such as "
                       + "2026-11-26T12:00:00.000Z, got \"2026-11-26T12:00:00Z\""),
        SchemaCase(label: "nullable date-time", name: "order:created",
                   json: Self.order(replacing: #""servedAt":null"#, with: #""servedAt":"yesterday""#),
                   rule: "schema.dateTime", path: "servedAt",
                   message: "servedAt must be an ISO 8601 UTC time with milliseconds such as "
                       + "2026-11-26T12:00:00.000Z, got \"yesterday\""),
        SchemaCase(label: "duplicate key", name: "table:activated", json: #"{"tableNumber":7,"tableNumber":8}"#,
                   rule: "schema.duplicateKey", path: "tableNumber",
                   message: "the payload has the key \"tableNumber\" more than once"),
        SchemaCase(label: "service call type", name: "serviceCall",
                   json: #"{"id":1,"tableNumber":7,"type":"coffee","status":"pending","#
                       + #""createdAt":"2026-11-26T12:00:00.000Z","updatedAt":"2026-11-26T12:00:00.000Z","#
                       + #""handledAt":null,"handledBy":null}"#,
                   rule: "schema.enum", path: "type",
                   message: "type must be one of waiter, bill, water, help, got \"coffee\""),
        SchemaCase(label: "nullable id minimum", name: "serviceCallHandled",
                   json: #"{"id":1,"tableNumber":7,"type":"waiter","status":"handled","#
                       + #""createdAt":"2026-11-26T12:00:00.000Z","updatedAt":"2026-11-26T12:00:00.000Z","#
                       + #""handledAt":"2026-11-26T12:00:00.000Z","handledBy":-3}"#,
                   rule: "schema.minimum", path: "handledBy", message: "handledBy must be at least 1, got -3"),
    ]
}

struct EventDecodingTests {
    @Test(arguments: SchemaCase.errors)
    func schemaErrorsAreReportedWithTheirPath(_ schema: SchemaCase) {
        let decoded = RestaurantEvent.decode(name: schema.name, payload: Array(schema.json.utf8), detail: nil)
        guard case .invalid(let name, let problems) = decoded else {
            Issue.record("expected invalid, got \(decoded)")
            return
        }
        #expect(name.rawValue == schema.name)
        let first = problems.first { $0.severity == .error }
        #expect(first?.rule == schema.rule)
        #expect(first?.path == schema.path)
        #expect(first?.message == schema.message)
        #expect(problems.allSatisfy { PayloadProblem.allRules.contains($0.rule) })
    }

    @Test func everyProblemOfAPayloadIsReported() {
        let json = #"{"id":"x","username":"","role":"chef","extra":true}"#
        let decoded = RestaurantEvent.decode(name: "user.created", payload: Array(json.utf8), detail: nil)
        guard case .invalid(_, let problems) = decoded else {
            Issue.record("expected invalid, got \(decoded)")
            return
        }
        #expect(problems.map(\.rule) == ["schema.type", "schema.enum", "schema.extraKey"])
        #expect(problems.map(\.severity) == [.error, .error, .warning])
    }

    @Test func extraKeysAreWarningsAndTheEventStillDecodes() {
        let json = #"{"tableNumber":7,"floor":2}"#
        let decoded = RestaurantEvent.decode(name: "table:activated", payload: Array(json.utf8), detail: nil)
        #expect(decoded == .decoded(
            .tableActivated(tableNumber: 7),
            warnings: [PayloadProblem(severity: .warning, rule: "schema.extraKey", path: "floor",
                                      message: "the payload has the key \"floor\", which the contract does not define")]
        ))
    }

    @Test func keyOrderAndWhitespaceAreWarnings() {
        let json = #"{ "username": "maria", "id": 3, "role": "waiter" }"#
        let decoded = RestaurantEvent.decode(name: "user.created", payload: Array(json.utf8), detail: nil)
        guard case .decoded(let event, let warnings) = decoded else {
            Issue.record("expected decoded, got \(decoded)")
            return
        }
        #expect(event == .userCreated(User(id: 3, username: "maria", role: .waiter)))
        #expect(warnings.map(\.rule) == ["payload.whitespace", "schema.keyOrder"])
        #expect(warnings.last?.message
            == "the payload has its keys in the order username, id, role; the contract's order is id, username, role")
    }

    @Test func unknownNamesAreASeparateOutcome() {
        let decoded = RestaurantEvent.decode(name: "order:refunded", payload: Array("not even json".utf8), detail: nil)
        #expect(decoded == .unknownName("order:refunded"))
        #expect(decoded.event == nil)
    }

    @Test func integralNumbersCountAsIntegers() {
        let decoded = RestaurantEvent.decode(name: "table:activated", payload: Array(#"{"tableNumber":7.0}"#.utf8),
                                             detail: nil)
        #expect(decoded.event == .tableActivated(tableNumber: 7))
    }

    @Test func escapesAndUnicodeRoundTrip() {
        let message = Fixture.message(1, content: "He said \"hi\"\n\tand left \\ 1/2 \u{1} ü 🎉")
        let event = RestaurantEvent.newMessage(message)
        #expect(RestaurantEvent.decode(name: "newMessage", payload: event.payload, detail: nil).event == event)
        let escaped = #"{"id":1,"content":"\u00fc\ud83c\udf89\/","authorId":3,"authorName":"maria","isPinned":false,"#
            + #""createdAt":"2026-11-26T12:00:00.000Z","updatedAt":"2026-11-26T12:00:00.000Z"}"#
        let decoded = RestaurantEvent.decode(name: "newMessage", payload: Array(escaped.utf8), detail: nil)
        #expect(decoded.event == .newMessage(Fixture.message(1, content: "ü🎉/")))
    }

    @Test(arguments: [
        #"{"tableNumber":7"#, #"{"tableNumber":07}"#, #"{"tableNumber":7,}"#, #"{'tableNumber':7}"#,
        #"{"tableNumber":7} x"#, #"{"tableNumber":tru}"#, #"{"table\qNumber":7}"#, #"{"a":"\ud800"}"#,
        "{\"a\":\"\u{1}\"}", "", #"{"tableNumber":-}"#, #"{"tableNumber":1e}"#,
    ])
    func malformedJSONIsInvalid(_ json: String) {
        let decoded = RestaurantEvent.decode(name: "table:activated", payload: Array(json.utf8), detail: nil)
        guard case .invalid(_, let problems) = decoded else {
            Issue.record("expected invalid, got \(decoded)")
            return
        }
        #expect(problems.map(\.rule) == ["payload.invalidJSON"])
    }

    @Test func invalidUTF8IsInvalidJSON() {
        let payload: [UInt8] = Array(#"{"a":""#.utf8) + [0xFF] + Array(#""}"#.utf8)
        let decoded = RestaurantEvent.decode(name: "allMessagesDeleted", payload: payload, detail: nil)
        guard case .invalid(_, let problems) = decoded else {
            Issue.record("expected invalid, got \(decoded)")
            return
        }
        #expect(problems.first?.message == "the payload is not valid JSON: string is not valid UTF-8 at byte 5")
    }

    @Test func deepNestingIsRefused() {
        let json = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        let decoded = RestaurantEvent.decode(name: "allMessagesDeleted", payload: Array(json.utf8), detail: nil)
        guard case .invalid(_, let problems) = decoded else {
            Issue.record("expected invalid, got \(decoded)")
            return
        }
        #expect(problems.first?.rule == "payload.invalidJSON")
    }

    // MARK: Journal detail

    @Test func menuCreatedWithoutDetailHasAnEmptyCategoryAndNoPrice() {
        let decoded = RestaurantEvent.decode(name: "menu.created", payload: Array(#"{"id":31,"name":"Focaccia"}"#.utf8),
                                             detail: nil)
        #expect(decoded == .decoded(.menuCreated(MenuItem(id: 31, name: "Focaccia", category: "", price: 0)),
                                    warnings: []))
    }

    @Test func menuUpdatedWithoutDetailKeepsTheCurrentItem() throws {
        var state = RestaurantState(definition: .default)
        let decoded = state.decodeEvent(name: "menu.updated", payload: Array(#"{"id":12}"#.utf8), detail: nil)
        let margherita = MenuItem(id: 12, name: "Margherita", category: "Pizza", price: 1150)
        #expect(decoded == .decoded(.menuUpdated(margherita), warnings: []))
        try state.apply(#require(decoded.event))
        #expect(state.menu[12] == margherita)

        // An unknown id decodes, and applying it reports the lifecycle rule.
        let unknown = state.decodeEvent(name: "menu.updated", payload: Array(#"{"id":99}"#.utf8), detail: nil)
        let violation = #expect(throws: LifecycleViolation.self) { try state.apply(#require(unknown.event)) }
        #expect(violation?.rule == "menu.update.requiresKnownId")
    }

    @Test func detailIsCheckedAgainstTheMenuItemSchemaAndThePayload() {
        func problems(_ name: String, _ payload: String, _ detail: String) -> [String] {
            let decoded = RestaurantEvent.decode(name: name, payload: Array(payload.utf8), detail: Array(detail.utf8))
            switch decoded {
            case .invalid(_, let problems): return problems.map { "\($0.rule) \($0.path)" }
            case .decoded(_, let warnings): return warnings.map { "\($0.rule) \($0.path)" }
            case .unknownName: return ["unknown"]
            }
        }
        #expect(problems("menu.created", #"{"id":31,"name":"A"}"#, #"{"id":31,"name":"A","category":"B","price":-1}"#)
            == ["schema.minimum detail.price"])
        #expect(problems("menu.created", #"{"id":31,"name":"A"}"#, #"{"id":31,"name":"A","category":"B"}"#)
            == ["schema.missingKey detail.price"])
        #expect(problems("menu.created", #"{"id":31,"name":"A"}"#, #"{"id":31,"name":"Z","category":"B","price":1}"#)
            == ["detail.mismatch detail"])
        #expect(problems("menu.updated", #"{"id":31}"#, #"{"id":32,"name":"A","category":"B","price":1}"#)
            == ["detail.mismatch detail"])
        #expect(problems("menu.updated", #"{"id":31}"#, #"{"id":31,"#) == ["detail.invalidJSON detail"])
        #expect(problems("menu.deleted", #"{"id":31}"#, #"{}"#) == ["detail.unexpected detail"])
    }

    // MARK: Round trips

    /// Every kind of event, with optional fields both set and null.
    static let events: [RestaurantEvent] = {
        let order = Fixture.pending(5, items: [
            Fixture.margherita,
            OrderItem(menuItemId: 27, name: "Espresso", quantity: 1, unitPrice: 280, notes: "decaf"),
        ])
        var pinned = Fixture.message(9, content: "Pinned \"note\"")
        pinned.isPinned = true
        return EventCatalog.events.map(\.example) + [
            .orderCreated(order), .orderServed(Fixture.served(order)),
            .orderCompleted(Fixture.completed(Fixture.served(order))), .orderCancelled(Fixture.cancelled(order)),
            .orderCancelled(Fixture.cancelled(Fixture.served(order))),
            .tableActivated(tableNumber: 20),
            .menuCreated(MenuItem(id: 31, name: "Crème brûlée", category: "Desserts", price: 800)),
            .menuUpdated(MenuItem(id: 1, name: "Bruschetta", category: "Starters", price: 1)),
            .userCreated(User(id: 12, username: "nina", role: .kitchen)), .userCreated(User(id: 13, username: "a",
                                                                                         role: .admin)),
            .messagePinned(pinned), .messageUpdated(Fixture.message(9, content: "")),
            .serviceCall(Fixture.call(4, table: 2, type: .help)),
            .serviceCallHandled(Fixture.handled(Fixture.call(4, type: .bill), by: nil)),
            .serviceCallHandled(Fixture.handled(Fixture.call(4, type: .water), by: 11)),
        ]
    }()

    @Test(arguments: Self.events)
    func decodingTheEncodedEventGivesItBack(_ event: RestaurantEvent) {
        let decoded = RestaurantEvent.decode(name: event.name.rawValue, payload: event.payload, detail: event.detail)
        #expect(decoded == .decoded(event, warnings: []))
    }

    @Test func roundTripsCoverEveryEventName() {
        #expect(Set(Self.events.map(\.name)) == Set(EventName.allCases))
    }
}
