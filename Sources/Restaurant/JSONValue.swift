/// A parsed JSON value that keeps what payload checking and the contract's examples need and Foundation's
/// `JSONSerialization` loses on Linux: object keys in document order (duplicates included), booleans apart from
/// numbers, integers apart from fractions, and fractions as written.
@_spi(Fuzzing) public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// A number written without fraction or exponent that fits in an `Int`.
    case integer(Int)
    /// Any other number, kept exactly as it was written.
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in document order.
    case object([JSONMember])

    /// The JSON type's name, for messages: `object`, `string`, `integer`, ….
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .integer: "integer"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// The value as an `Int`, when it is an integer (JSON Schema counts `2.0` as one).
    var integerValue: Int? {
        switch self {
        case .integer(let value):
            return value
        case .number(let text):
            guard let value = Double(text), value.rounded() == value, let exact = Int(exactly: value) else {
                return nil
            }
            return exact
        default:
            return nil
        }
    }
}

/// One member of a JSON object.
@_spi(Fuzzing) public struct JSONMember: Sendable, Hashable {
    public var key: String
    public var value: JSONValue
}

/// Why bytes are not one JSON value.
@_spi(Fuzzing) public struct JSONParseError: Error, Sendable, Hashable {
    /// The byte offset of the problem.
    public var offset: Int
    public var reason: String
}

/// A strict RFC 8259 parser for payloads, journal details and the contract's examples (small documents); Restaurant
/// depends on Foundation only, so it cannot share SocketIOProtocol's scanner.
@_spi(Fuzzing) public struct JSONParser {
    /// Nesting beyond this is refused, so that hostile input cannot exhaust the stack; payloads nest 3 deep.
    public static let maximumDepth = 64

    private let bytes: [UInt8]
    private var index = 0
    /// Whether whitespace appeared between tokens (the contract writes none).
    private(set) var sawWhitespace = false

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses exactly one JSON value, optionally surrounded by whitespace.
    ///
    /// - Returns: The value, and whether any whitespace appeared outside strings.
    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> (value: JSONValue, sawWhitespace: Bool) {
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else {
            throw JSONParseError(offset: parser.index, reason: "unexpected data after the JSON value")
        }
        return (value, parser.sawWhitespace)
    }

    private var peek: UInt8? {
        self.index < self.bytes.count ? self.bytes[self.index] : nil
    }

    private mutating func skipWhitespace() {
        while let byte = self.peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
            self.index += 1
            self.sawWhitespace = true
        }
    }

    private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= Self.maximumDepth else {
            throw JSONParseError(offset: self.index, reason: "nesting deeper than \(Self.maximumDepth)")
        }
        guard let byte = self.peek else {
            throw JSONParseError(offset: self.index, reason: "unexpected end of input")
        }
        switch byte {
        case UInt8(ascii: "{"):
            return try self.parseObject(depth: depth)
        case UInt8(ascii: "["):
            return try self.parseArray(depth: depth)
        case UInt8(ascii: "\""):
            return .string(try self.parseString())
        case UInt8(ascii: "t"):
            try self.expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try self.expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try self.expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try self.parseNumber()
        default:
            throw JSONParseError(offset: self.index, reason: "unexpected character '\(Self.show(byte))'")
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        self.index += 1
        var members: [JSONMember] = []
        self.skipWhitespace()
        if self.peek == UInt8(ascii: "}") {
            self.index += 1
            return .object(members)
        }
        while true {
            self.skipWhitespace()
            guard self.peek == UInt8(ascii: "\"") else {
                throw JSONParseError(offset: self.index, reason: "expected a string key in object")
            }
            let key = try self.parseString()
            self.skipWhitespace()
            guard self.peek == UInt8(ascii: ":") else {
                throw JSONParseError(offset: self.index, reason: "expected ':' after an object key")
            }
            self.index += 1
            self.skipWhitespace()
            let value = try self.parseValue(depth: depth + 1)
            members.append(JSONMember(key: key, value: value))
            self.skipWhitespace()
            switch self.peek {
            case UInt8(ascii: ","):
                self.index += 1
            case UInt8(ascii: "}"):
                self.index += 1
                return .object(members)
            default:
                throw JSONParseError(offset: self.index, reason: "expected ',' or '}' in object")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        self.index += 1
        var elements: [JSONValue] = []
        self.skipWhitespace()
        if self.peek == UInt8(ascii: "]") {
            self.index += 1
            return .array(elements)
        }
        while true {
            self.skipWhitespace()
            elements.append(try self.parseValue(depth: depth + 1))
            self.skipWhitespace()
            switch self.peek {
            case UInt8(ascii: ","):
                self.index += 1
            case UInt8(ascii: "]"):
                self.index += 1
                return .array(elements)
            default:
                throw JSONParseError(offset: self.index, reason: "expected ',' or ']' in array")
            }
        }
    }

    private mutating func parseString() throws(JSONParseError) -> String {
        let start = self.index
        self.index += 1
        var utf8: [UInt8] = []
        while true {
            guard let byte = self.peek else {
                throw JSONParseError(offset: start, reason: "unterminated string")
            }
            self.index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: utf8, as: UTF8.self) else {
                    throw JSONParseError(offset: start, reason: "string is not valid UTF-8")
                }
                return text
            case UInt8(ascii: "\\"):
                try self.parseEscape(into: &utf8)
            case 0x00..<0x20:
                throw JSONParseError(offset: self.index - 1, reason: "control character in string")
            default:
                utf8.append(byte)
            }
        }
    }

    private mutating func parseEscape(into utf8: inout [UInt8]) throws(JSONParseError) {
        guard let byte = self.peek else {
            throw JSONParseError(offset: self.index, reason: "unterminated escape")
        }
        self.index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(byte)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            let escapeStart = self.index - 2
            var scalar = try self.parseHex4()
            if (0xD800..<0xDC00).contains(scalar) {
                guard self.peek == UInt8(ascii: "\\"), self.index + 1 < self.bytes.count,
                    self.bytes[self.index + 1] == UInt8(ascii: "u")
                else {
                    throw JSONParseError(offset: escapeStart, reason: "unpaired surrogate escape")
                }
                self.index += 2
                let low = try self.parseHex4()
                guard (0xDC00..<0xE000).contains(low) else {
                    throw JSONParseError(offset: escapeStart, reason: "unpaired surrogate escape")
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else {
                throw JSONParseError(offset: escapeStart, reason: "unpaired surrogate escape")
            }
            utf8.append(contentsOf: Character(unicode).utf8)
        default:
            throw JSONParseError(offset: self.index - 1, reason: "invalid escape '\\\(Self.show(byte))'")
        }
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = self.peek else {
                throw JSONParseError(offset: self.index, reason: "unterminated \\u escape")
            }
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw JSONParseError(offset: self.index, reason: "invalid hex digit in \\u escape")
            }
            value = value << 4 | digit
            self.index += 1
        }
        return value
    }

    private mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = self.index
        if self.peek == UInt8(ascii: "-") { self.index += 1 }
        guard let first = self.peek, Self.isDigit(first) else {
            throw JSONParseError(offset: self.index, reason: "expected a digit")
        }
        if first == UInt8(ascii: "0") {
            self.index += 1
        } else {
            self.skipDigits()
        }
        var isInteger = true
        if self.peek == UInt8(ascii: ".") {
            isInteger = false
            self.index += 1
            guard let byte = self.peek, Self.isDigit(byte) else {
                throw JSONParseError(offset: self.index, reason: "expected a digit after '.'")
            }
            self.skipDigits()
        }
        if self.peek == UInt8(ascii: "e") || self.peek == UInt8(ascii: "E") {
            isInteger = false
            self.index += 1
            if self.peek == UInt8(ascii: "+") || self.peek == UInt8(ascii: "-") { self.index += 1 }
            guard let byte = self.peek, Self.isDigit(byte) else {
                throw JSONParseError(offset: self.index, reason: "expected a digit in the exponent")
            }
            self.skipDigits()
        }
        let text = String(decoding: self.bytes[start..<self.index], as: UTF8.self)
        if isInteger, let value = Int(text) {
            return .integer(value)
        }
        guard Double(text) != nil else {
            throw JSONParseError(offset: start, reason: "number out of range")
        }
        return .number(text)
    }

    private mutating func skipDigits() {
        while let byte = self.peek, Self.isDigit(byte) {
            self.index += 1
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: count)
        guard self.index + count <= self.bytes.count,
            self.bytes[self.index..<self.index + count].elementsEqual(expected)
        else {
            throw JSONParseError(offset: self.index, reason: "invalid literal, expected \(literal)")
        }
        self.index += count
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func show(_ byte: UInt8) -> String {
        guard (0x20..<0x7F).contains(byte) else {
            let hex = Array("0123456789ABCDEF".utf8)
            return "0x" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]], as: UTF8.self)
        }
        return String(UnicodeScalar(byte))
    }
}
