/// Payloads the benchmarks send, shaped as the `/events` contract (version 1) writes them.
public enum OrderFixtures {
    /// An `order:created` payload with three items: the contract's Order object, keys in contract order, no
    /// whitespace. 463 bytes, a typical size for the most frequent large event.
    public static let orderJSON: String =
        #"{"id":1042,"tableNumber":7,"status":"pending","items":["#
        + #"{"menuItemId":12,"name":"Margherita","quantity":2,"unitPrice":1150,"notes":null},"#
        + #"{"menuItemId":31,"name":"Caesar Salad","quantity":1,"unitPrice":950,"notes":"no croutons"},"#
        + #"{"menuItemId":44,"name":"Sparkling Water","quantity":2,"unitPrice":300,"notes":null}],"#
        + #""totalPrice":3850,"createdAt":"2026-11-26T12:00:00.000Z","updatedAt":"2026-11-26T12:00:00.000Z","#
        + #""servedAt":null,"completedAt":null,"cancelledAt":null}"#

    /// ``orderJSON`` as bytes, as the emission pipeline receives a payload.
    public static let orderPayload: [UInt8] = Array(Self.orderJSON.utf8)

    /// The namespace every contract event is emitted on.
    public static let namespace = "/events"

    /// The event that carries ``orderJSON``.
    public static let eventName = "order:created"
}
