import Simulator
import Testing

struct EventFilterTests {
    @Test(arguments: [
        ("order:*", "order:created", true), ("order:*", "order:", true), ("order:*", "table:activated", false),
        ("*Message*", "allMessagesDeleted", true), ("*Message*", "newMessage", true), ("*Message*", "serviceCall", false),
        ("table:checkout*", "table:checkoutStarted", true), ("table:checkout*", "table:activated", false),
        ("menu.?reated", "menu.created", true), ("menu.?reated", "menu.updated", false), ("*", "anything", true),
        ("serviceCall", "serviceCallHandled", false), ("serviceCall*", "serviceCallHandled", true),
        ("*a*b*c", "xaybzc", true), ("*a*b*c", "xaybzcd", false), ("", "", true), ("", "x", false),
    ])
    func globsMatchAsAShellWould(_ pattern: String, _ name: String, _ matches: Bool) {
        #expect(EventFilter.glob(pattern, matches: name) == matches)
    }

    @Test func onlyThenExcept() {
        let filter = EventFilter(only: ["order:*", "table:*"], except: ["order:served"])
        #expect(filter.admits("order:created"))
        #expect(!filter.admits("order:served"))
        #expect(filter.admits("table:forceReset"))
        #expect(!filter.admits("newMessage"))
        #expect(EventFilter().admits("newMessage") && EventFilter().isEmpty)
        #expect(!EventFilter(except: ["*"]).admits("newMessage"))
    }
}
