import TablecastJSON

/// A value as a Node.js Socket.IO server holds it between the wire formats: what `JSON.parse` or a msgpack decoder
/// gives, and what `JSON.stringify` or a msgpack encoder takes. Converting through it reproduces JavaScript's rules
/// where the formats disagree: object keys in JavaScript's order (array-index keys first, ascending; then the others
/// as inserted; a repeated key keeps its first place and its last value), every number a double, binary and dates
/// apart.
public indirect enum JSValue: Sendable, Equatable {
    /// Only from msgpack (notepack 2.x's `d4 00 00`): skipped in objects, `null` in arrays, as `JSON.stringify` does.
    case undefined
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    /// A `Buffer`: msgpack `bin`; a Socket.IO client gets it as an attachment.
    case binary([UInt8])
    /// A `Date`, in milliseconds since 1970 (msgpack's timestamp extension); `JSON.stringify` writes its ISO text.
    case date(Double)
    case array([JSValue])
    case object(JSObject)

    public static func == (lhs: JSValue, rhs: JSValue) -> Bool {
        switch (lhs, rhs) {
        case (.undefined, .undefined), (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.number(let a), .number(let b)): a == b || (a.isNaN && b.isNaN)
        case (.string(let a), .string(let b)): a == b
        case (.binary(let a), .binary(let b)): a == b
        case (.date(let a), .date(let b)): a == b || (a.isNaN && b.isNaN)
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)): a == b
        default: false
        }
    }
}

/// A JavaScript object's own properties, in `Object.keys` order.
public struct JSObject: Sendable, Equatable {
    public private(set) var keys: [String] = []
    public private(set) var values: [JSValue] = []
    private var indexKeyCount = 0

    public init() {}

    public subscript(key: String) -> JSValue? {
        self.keys.firstIndex(of: key).map { self.values[$0] }
    }

    /// Sets a property as an assignment does: an existing key keeps its place; a new array-index key goes among the
    /// others in ascending order, before every other key; any other new key goes last.
    public mutating func set(_ key: String, _ value: JSValue) {
        if let existing = self.keys.firstIndex(of: key) {
            self.values[existing] = value
            return
        }
        if let index = Self.arrayIndex(key) {
            var position = 0
            while position < self.indexKeyCount, Self.arrayIndex(self.keys[position])! < index {
                position += 1
            }
            self.keys.insert(key, at: position)
            self.values.insert(value, at: position)
            self.indexKeyCount += 1
        } else {
            self.keys.append(key)
            self.values.append(value)
        }
    }

    public static func == (lhs: JSObject, rhs: JSObject) -> Bool {
        lhs.keys == rhs.keys && lhs.values == rhs.values
    }

    /// The key's value as an array index (a canonical decimal below 2^32 − 1), or `nil`.
    static func arrayIndex(_ key: String) -> UInt32? {
        let utf8 = key.utf8
        guard let first = utf8.first, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9"),
              utf8.count <= 10, first != UInt8(ascii: "0") || utf8.count == 1
        else { return nil }
        var value: UInt64 = 0
        for byte in utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
        }
        return value < 0xFFFF_FFFF ? UInt32(value) : nil
    }
}

/// Why a value cannot cross between the formats.
public struct JSValueError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
}

// MARK: - In

extension JSValue {
    /// What `JSON.parse` makes of a parsed document.
    public init(json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .integer(let number): self = .number(Double(number))
        // The grammar was checked by the parser, so Swift reads every number (out of range: ±infinity, as JS).
        case .number(let text): self = .number(Double(text) ?? .nan)
        case .string(let text): self = .string(text)
        case .array(let elements): self = .array(elements.map(JSValue.init(json:)))
        case .object(let members):
            var object = JSObject()
            for member in members {
                object.set(member.key, JSValue(json: member.value))
            }
            self = .object(object)
        }
    }

    /// What `JSON.parse` makes of JSON bytes.
    public init(jsonBytes: [UInt8]) throws(JSONError) {
        self.init(json: try JSONParser.parse(jsonBytes).value)
    }

    /// What notepack.io (the classic adapter) or `@msgpack/msgpack` (the Streams adapter) decodes: integers and
    /// floats become numbers, `bin` a `Buffer`, the timestamp extension a `Date`; notepack 2.x's `undefined`
    /// (`d4 00 00`) and `Date` (`d7 00` + milliseconds) are read too. Other extensions are refused.
    public init(messagePack value: MessagePackValue) throws(JSValueError) {
        switch value {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .int(let number): self = .number(Double(number))
        case .uint(let number): self = .number(Double(number))
        case .double(let number): self = .number(number)
        case .string(let utf8): self = .string(String(decoding: utf8, as: UTF8.self))
        case .binary(let data): self = .binary(data)
        case .array(let elements):
            var values: [JSValue] = []
            values.reserveCapacity(elements.count)
            for element in elements {
                values.append(try JSValue(messagePack: element))
            }
            self = .array(values)
        case .map(let entries):
            var object = JSObject()
            for entry in entries {
                object.set(try Self.propertyKey(entry.key), try JSValue(messagePack: entry.value))
            }
            self = .object(object)
        case .ext(let type, let data):
            self = try Self.extensionValue(type: type, data: data)
        }
    }

    /// A msgpack map key as a property name: JavaScript converts it with `String(key)`.
    private static func propertyKey(_ key: MessagePackValue) throws(JSValueError) -> String {
        switch key {
        case .string(let utf8): String(decoding: utf8, as: UTF8.self)
        case .int(let number): JSNumber.string(Double(number))
        case .uint(let number): JSNumber.string(Double(number))
        case .double(let number): number.isNaN ? "NaN" : number.isInfinite ? (number < 0 ? "-Infinity" : "Infinity") : JSNumber.string(number)
        case .bool(let flag): flag ? "true" : "false"
        case .null: "null"
        default: throw JSValueError(description: "a map key that is an array, a map, binary or an extension")
        }
    }

    private static func extensionValue(type: Int8, data: [UInt8]) throws(JSValueError) -> JSValue {
        func unsigned(_ bytes: ArraySlice<UInt8>) -> UInt64 {
            bytes.reduce(0) { $0 << 8 | UInt64($1) }
        }
        switch (type, data.count) {
        case (-1, 4):
            return .date(Double(unsigned(data[0..<4])) * 1000)
        case (-1, 8):
            let word = unsigned(data[0..<8])
            let nanoseconds = word >> 34
            let seconds = word & 0x3_FFFF_FFFF
            return .date(Double(seconds) * 1000 + Double(nanoseconds / 1_000_000))
        case (-1, 12):
            let nanoseconds = unsigned(data[0..<4])
            let seconds = Int64(bitPattern: unsigned(data[4..<12]))
            return .date(Double(seconds) * 1000 + Double(nanoseconds / 1_000_000))
        case (0, 8):
            return .date(Double(Int64(bitPattern: unsigned(data[0..<8]))))
        case (0, 1) where data[0] == 0:
            return .undefined
        default:
            throw JSValueError(description: "msgpack extension type \(type) of \(data.count) bytes is not a Date")
        }
    }
}

// MARK: - Out

extension JSValue {
    /// `JSON.stringify` of the value, after Socket.IO's parser has replaced each `Buffer` by its attachment
    /// placeholder `{"_placeholder":true,"num":N}` (numbered from `firstAttachment`, depth first): the text a
    /// Socket.IO client receives. `undefined` writes `null` (at the top level and in arrays).
    public func writeJSON(to writer: inout JSONWriter, attachments: inout Int) {
        switch self {
        case .undefined, .null: writer.null()
        case .bool(let flag): writer.value(flag)
        case .number(let number): writer.rawValue(JSNumber.json(number).utf8)
        case .string(let text): writer.value(text)
        case .binary:
            writer.beginObject()
            writer.key("_placeholder"); writer.value(true)
            writer.key("num"); writer.value(attachments)
            writer.endObject()
            attachments += 1
        case .date(let millis):
            if let text = Self.isoText(millis) {
                writer.value(text)
            } else {
                writer.null()
            }
        case .array(let elements):
            writer.beginArray()
            for element in elements {
                element.writeJSON(to: &writer, attachments: &attachments)
            }
            writer.endArray()
        case .object(let object):
            writer.beginObject()
            for (key, value) in zip(object.keys, object.values) where value != .undefined {
                writer.key(string: key)
                value.writeJSON(to: &writer, attachments: &attachments)
            }
            writer.endObject()
        }
    }

    /// `JSON.stringify` of the value (with attachment placeholders), as bytes.
    public var jsonBytes: [UInt8] {
        var writer = JSONWriter()
        var attachments = 0
        self.writeJSON(to: &writer, attachments: &attachments)
        return writer.bytes
    }

    /// Encodes the value as notepack.io does: integral numbers in the shortest integer form, others as float64,
    /// `undefined` object members skipped (and `nil` in arrays), dates as timestamps.
    public func writeMessagePack(to writer: inout MessagePackWriter) {
        switch self {
        case .undefined, .null: writer.null()
        case .bool(let flag): writer.bool(flag)
        case .number(let number): Self.writeNumber(number, to: &writer)
        case .string(let text): writer.string(text)
        case .binary(let data): writer.binary(data)
        case .date(let millis): Self.writeDate(millis, to: &writer)
        case .array(let elements):
            writer.arrayHeader(elements.count)
            for element in elements {
                element.writeMessagePack(to: &writer)
            }
        case .object(let object):
            let present = zip(object.keys, object.values).filter { $0.1 != .undefined }
            writer.mapHeader(present.count)
            for (key, value) in present {
                writer.string(key)
                value.writeMessagePack(to: &writer)
            }
        }
    }

    public var messagePackBytes: [UInt8] {
        var writer = MessagePackWriter()
        self.writeMessagePack(to: &writer)
        return writer.bytes
    }

    /// notepack.io's number rules, its quirks beyond 2^63 included.
    private static func writeNumber(_ number: Double, to writer: inout MessagePackWriter) {
        guard number.isFinite, number.rounded(.down) == number else {
            writer.double(number)
            return
        }
        if number >= 0, number < 0x1p64 {
            writer.uint(UInt64(number))
        } else if number < 0, number >= -0x1p63 {
            writer.int(Int64(number))
        } else {
            // Beyond 64 bits notepack writes hi = ToInt32(floor(v / 2^32)) and lo = ToUint32(v), wrong but as sent.
            let hi = Self.modulo32(((number / 0x1p32).rounded(.down)))
            let lo = Self.modulo32(number)
            writer.raw64(head: number >= 0 ? 0xcf : 0xd3, hi << 32 | lo)
        }
    }

    /// An integral double modulo 2^32, as JavaScript's `ToUint32`.
    private static func modulo32(_ value: Double) -> UInt64 {
        let rest = value.truncatingRemainder(dividingBy: 0x1p32)
        return UInt64(rest < 0 ? rest + 0x1p32 : rest)
    }

    private static func writeDate(_ millis: Double, to writer: inout MessagePackWriter) {
        // Beyond ±8.64e15 ms a JavaScript Date is invalid (and the arithmetic below would overflow).
        guard millis.isFinite, abs(millis) <= 8.64e15 else {
            writer.null()
            return
        }
        let totalMillis = Int64(millis.rounded(.down))
        let seconds = totalMillis >= 0 ? totalMillis / 1000 : (totalMillis - 999) / 1000
        let nanoseconds = UInt64((totalMillis - seconds * 1000) * 1_000_000)
        var data: [UInt8] = []
        func append(_ value: UInt64, _ width: Int) {
            for shift in stride(from: (width - 1) * 8, through: 0, by: -8) {
                data.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
            }
        }
        if seconds >= 0, seconds < 0x1_0000_0000, nanoseconds == 0 {
            append(UInt64(seconds), 4)
        } else if seconds >= 0, seconds < 0x4_0000_0000 {
            append(nanoseconds << 34 | UInt64(seconds), 8)
        } else {
            append(nanoseconds, 4)
            append(UInt64(bitPattern: seconds), 8)
        }
        writer.ext(type: -1, data: data)
    }

    /// `Date.prototype.toISOString`, or `nil` for an invalid date (which `toJSON` writes as `null`).
    static func isoText(_ millis: Double) -> String? {
        guard millis.isFinite, abs(millis) <= 8.64e15 else { return nil }
        let (days, rest) = CivilDate.daysAndMilliseconds(Int64(millis.rounded(.towardZero)))
        let (year, month, day) = CivilDate.civil(fromDays: days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        let yearText = (0...9999).contains(year) ? pad(year, 4) : (year < 0 ? "-" : "+") + pad(abs(year), 6)
        return "\(yearText)-\(pad(month, 2))-\(pad(day, 2))T\(pad(rest / 3_600_000, 2)):\(pad(rest / 60000 % 60, 2))"
            + ":\(pad(rest / 1000 % 60, 2)).\(pad(rest % 1000, 3))Z"
    }
}
