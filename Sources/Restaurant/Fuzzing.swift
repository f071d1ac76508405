/// What the fuzz targets of `FuzzTesting/` need of this module beyond its public API: the JSON writers the parsed
/// values go back through, for round trips (see `SocketIOProtocolFuzzing` for the conventions).
@_spi(Fuzzing)
public enum RestaurantFuzzing {
    /// `value` on one line without whitespace, as the contract writes payloads (``ContractJSON/compact``).
    public static func compactJSON(_ value: JSONValue) -> [UInt8] {
        Array(ContractJSON(value).compact.utf8)
    }

    /// `text` as a JSON string literal, as the payload encoders write it (``JSONWriter/value(_:)-(String)``).
    public static func jsonString(_ text: String) -> [UInt8] {
        var writer = JSONWriter(capacity: text.utf8.count + 2)
        writer.value(text)
        return writer.bytes
    }

    /// `timestamp` as the payload encoders write it, quotes included (``JSONWriter/value(_:)-(Timestamp)``).
    public static func jsonTimestamp(_ timestamp: Timestamp) -> [UInt8] {
        var writer = JSONWriter(capacity: 32)
        writer.value(timestamp)
        return writer.bytes
    }
}
