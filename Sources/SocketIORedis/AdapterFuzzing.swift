import TablecastJSON

/// The check the `FuzzRedisAdapter` target of `FuzzTesting/` runs on one input, and the regression tests replay on
/// every input that once failed (`FuzzTesting/FailCases/FuzzRedisAdapter/`). Whatever Redis hands tablecast comes
/// from other programs: a malformed message must be an error, never a crash.
@_spi(Fuzzing)
public enum AdapterFuzzing {
    /// `FuzzRedisAdapter`: the input as msgpack, as a classic-adapter broadcast, and as a Streams entry (fields split
    /// at NUL bytes). Properties beyond "no crash":
    /// - a decoded msgpack value written back decodes to the same value;
    /// - a value that converts to JavaScript's model converts back to msgpack bytes that convert to the same value
    ///   (less its `undefined` members);
    /// - an event's payload is JSON that reads back and writes back to the same bytes (`JSON.stringify` is
    ///   idempotent), and the same holds for the JSON of any value;
    /// - a tablecast entry's verbatim payload (the arguments' spans in `data`) is one JSON value.
    public static func check(_ input: UnsafeRawBufferPointer) -> String? {
        let bytes = [UInt8](input)
        if let decoded = try? MessagePackDecoder.decode(bytes) {
            var writer = MessagePackWriter()
            writer.value(decoded)
            guard let again = try? MessagePackDecoder.decode(writer.bytes) else {
                return "a decoded value written back does not decode: \(Self.show(bytes))"
            }
            guard again == decoded else {
                return "a decoded value written back decodes differently: \(Self.show(bytes))"
            }
            if let value = try? JSValue(messagePack: decoded) {
                guard let back = try? JSValue(messagePack: MessagePackDecoder.decode(value.messagePackBytes)) else {
                    return "a JavaScript value's msgpack does not convert back: \(Self.show(bytes))"
                }
                guard back == Self.afterMessagePack(value) || Self.hasLossyNumber(value) else {
                    return "a JavaScript value's msgpack converts back differently: \(Self.show(bytes))"
                }
                if let failure = Self.idempotentJSON(value.jsonBytes, Self.show(bytes)) {
                    return failure
                }
            }
        }
        if let broadcast = try? ClassicAdapter.decodeBroadcast(bytes), let event = try? AdapterEvent(data: broadcast.data),
           let failure = Self.idempotentJSON(event.payload, Self.show(bytes))
        {
            return failure
        }
        let fields = bytes.split(separator: 0, omittingEmptySubsequences: false).map(Array.init)
        if let entry = try? StreamsAdapter.decodeEntry(fields: fields), let event = try? entry.event(),
           let failure = Self.idempotentJSON(event.event.payload, Self.show(bytes))
        {
            return failure
        }
        if let entry = try? StreamsAdapter.decodeEntry(fields: fields), let raw = entry.rawData,
           let verbatim = StreamsAdapter.verbatimEvent(data: raw), !verbatim.payload.isEmpty,
           (verbatim.payload.withUnsafeBytes { try? JSONScanner.validate($0) }) == nil
        {
            return "a verbatim payload is not one JSON value: \(Self.show(bytes))"
        }
        return nil
    }

    /// JSON that JavaScript's rules wrote must read back and write back to the same bytes.
    static func idempotentJSON(_ json: [UInt8], _ input: String) -> String? {
        guard !json.isEmpty else { return nil }
        guard let value = try? JSValue(jsonBytes: json) else {
            return "written JSON does not parse: \(String(decoding: json, as: UTF8.self)) from \(input)"
        }
        guard value.jsonBytes == json else {
            return "written JSON writes back differently: \(String(decoding: json, as: UTF8.self)) from \(input)"
        }
        return nil
    }

    /// What survives a msgpack round trip: `undefined` members are skipped, `undefined` elements become `null`.
    static func afterMessagePack(_ value: JSValue) -> JSValue {
        switch value {
        case .undefined: return .null
        case .array(let elements): return .array(elements.map(Self.afterMessagePack))
        case .object(let object):
            var kept = JSObject()
            for (key, member) in zip(object.keys, object.values) where member != .undefined {
                kept.set(key, Self.afterMessagePack(member))
            }
            return .object(kept)
        default: return value
        }
    }

    /// Numbers no round trip keeps: NaN and the infinities (no JSON; `null` comes back), integral numbers beyond 64
    /// bits, which notepack writes wrongly (and so does tablecast, on purpose: the same bytes), and dates outside
    /// JavaScript's range.
    static func hasLossyNumber(_ value: JSValue) -> Bool {
        switch value {
        case .number(let number):
            !number.isFinite || (number == number.rounded(.down) && (number >= 0x1p64 || number < -0x1p63))
        case .date(let millis):
            !(abs(millis) <= 8.64e15)  // an invalid JavaScript date
        case .array(let elements): elements.contains(where: Self.hasLossyNumber)
        case .object(let object): object.values.contains(where: Self.hasLossyNumber)
        default: false
        }
    }

    static func show(_ bytes: [UInt8]) -> String {
        bytes.prefix(64).map { String($0, radix: 16) }.joined(separator: " ") + (bytes.count > 64 ? " …" : "")
    }
}
