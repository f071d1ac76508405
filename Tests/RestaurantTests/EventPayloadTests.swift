import Restaurant
import Testing

/// The payload bytes of every catalog example, against the JSON that `shared/contract/EVENTS.md` writes.
struct EventPayloadTests {
    /// From EVENTS.md, "Objects" (order, message, service call) and "Small payloads", copied as they stand. The
    /// contract shows the pending order, the unpinned message and the pending call; the other states are the same
    /// objects after their transition, at the examples' time.
    static let contract: [(EventName, String)] = [
        (.orderCreated, #"{"id":1042,"tableNumber":7,"status":"pending","items":[{"menuItemId":12,"name":"Margherita","quantity":2,"unitPrice":1150,"notes":null}],"totalPrice":2300,"createdAt":"2026-11-26T12:00:00.000Z","updatedAt":"2026-11-26T12:00:00.000Z","servedAt":null,"completedAt":null,"cancelledAt":null}"#),
        (.orderServed, #"{"id":1042,"tableNumber":7,"status":"served","items":[{"menuItemId":12,"name":"Margherita","quantity":2,"unitPrice":1150,"notes":null}],"totalPrice":2300,"createdAt":"2026-11-26T12:00:00.000Z","updatedAt":"2026-11-26T12:00:00.000Z","servedAt":"2026-11-26T12:00:00.000Z","completedAt":null,"cancelledAt":null}"#),
        (.orderCompleted, #"{"id":1042,"tableNumber":7,"status":"completed","items":[{"menuItemId":12,"name":"Margherita","quantity":2,"unitPrice":1150,"notes":null}],"totalPrice":2300,"createdAt":"2026-11-26T12:00:00.000Z","updatedAt":"2026-11-26T12:00:00.000Z","servedAt":"2026-11-26T12:00:00.000Z","completedAt":"2026-11-26T12:00:00.000Z","cancelledAt":null}"#),
        (.orderCancelled, #"{"id":1042,"tableNumber":7,"status":"cancelled","items":[{"menuItemId":12,"name":"Margherita","quantity":2,"unitPrice":1150,"notes":null}],"totalPrice":2300,"createdAt":"2026-11-26T12:00:00.000Z","updatedAt":"2026-11-26T12:00:00.000Z","servedAt":null,"completedAt":null,"cancelledAt":"2026-11-26T12:00:00.000Z"}"#),
        (.tableActivated, #"{"tableNumber":7}"#),
        (.tableCheckoutStarted, #"{"tableNumber":7}"#),
        (.tableCheckoutCompleted, #"{"tableNumber":7}"#),
        (.tableForceReset, #"{"tableNumber":7}"#),
        (.menuCreated, #"{"id":12,"name":"Margherita"}"#),
        (.menuUpdated, #"{"id":12}"#),
        (.menuDeleted, #"{"id":12}"#),
        (.userCreated, #"{"id":3,"username":"maria","role":"waiter"}"#),
        (.userDeleted, #"{"id":3}"#),
        (.newMessage, #"{"id":88,"content":"Table 7 is celebrating a birthday","authorId":3,"authorName":"maria","isPinned":false,"createdAt":"2026-11-26T12:00:00.000Z","updatedAt":"2026-11-26T12:00:00.000Z"}"#),
        (.messageUpdated, #"{"id":88,"content":"Table 7 is celebrating a birthday","authorId":3,"authorName":"maria","isPinned":false,"createdAt":"2026-11-26T12:00:00.000Z","updatedAt":"2026-11-26T12:00:00.000Z"}"#),
        (.messagePinned, #"{"id":88,"content":"Table 7 is celebrating a birthday","authorId":3,"authorName":"maria","isPinned":true,"createdAt":"2026-11-26T12:00:00.000Z","updatedAt":"2026-11-26T12:00:00.000Z"}"#),
        (.messageDeleted, #"{"id":88}"#),
        (.allMessagesDeleted, #"{}"#),
        (.serviceCall, #"{"id":310,"tableNumber":7,"type":"waiter","status":"pending","createdAt":"2026-11-26T12:00:00.000Z","updatedAt":"2026-11-26T12:00:00.000Z","handledAt":null,"handledBy":null}"#),
        (.serviceCallHandled, #"{"id":310,"tableNumber":7,"type":"waiter","status":"handled","createdAt":"2026-11-26T12:00:00.000Z","updatedAt":"2026-11-26T12:00:00.000Z","handledAt":"2026-11-26T12:00:00.000Z","handledBy":3}"#),
    ]

    @Test func everyEventOfTheCatalogHasAContractExample() {
        #expect(Self.contract.map(\.0) == EventName.allCases)
        #expect(EventCatalog.events.map(\.name) == EventName.allCases)
    }

    @Test(arguments: Self.contract.map { ContractExample(name: $0.0, json: $0.1) })
    func catalogExamplePayloadIsTheContractsBytes(_ example: ContractExample) {
        let event = EventCatalog.descriptor(for: example.name).example
        #expect(event.name == example.name)
        #expect(String(decoding: event.payload, as: UTF8.self) == example.json)
        #expect(event.payload == Array(example.json.utf8))
    }

    @Test(arguments: EventCatalog.events.map(\.name))
    func catalogExampleDecodesWithoutWarnings(_ name: EventName) {
        let event = EventCatalog.descriptor(for: name).example
        let decoded = RestaurantEvent.decode(name: name.rawValue, payload: event.payload, detail: event.detail)
        #expect(decoded == .decoded(event, warnings: []))
    }

    @Test func menuEventsCarryTheWholeItemAsDetail() {
        let item = MenuItem(id: 12, name: "Margherita", category: "Pizza", price: 1150)
        let expected = #"{"id":12,"name":"Margherita","category":"Pizza","price":1150}"#
        #expect(RestaurantEvent.menuCreated(item).detail == Array(expected.utf8))
        #expect(RestaurantEvent.menuUpdated(item).detail == Array(expected.utf8))
        #expect(RestaurantEvent.menuDeleted(id: 12).detail == nil)
    }

    @Test func stringsAreEscapedAndSlashesAreNot() {
        let message = Fixture.message(1, content: "He said \"hi\"\n\tand left \\ 1/2 \u{1} ü 🎉")
        let json = String(decoding: RestaurantEvent.newMessage(message).payload, as: UTF8.self)
        #expect(json.contains(#""content":"He said \"hi\"\n\tand left \\ 1/2 \u0001 ü 🎉""#))
    }
}

/// One contract example, named for the test list.
struct ContractExample: Sendable, CustomTestStringConvertible {
    var name: EventName
    var json: String
    var testDescription: String { self.name.rawValue }
}
