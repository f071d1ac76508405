/// What a reading of JSON does with the parts the grammar finds.
///
/// ``JSONReader`` holds the one grammar (RFC 8259, UTF-8 checked); what differs between the scanner and the parser is
/// only what they keep of it, a handler each. The handlers are specialized into the grammar, so the scanner's, which
/// keeps nothing but kinds, costs no more than a grammar written for it alone.
protocol JSONHandler {
    associatedtype Value
    associatedtype Key
    associatedtype ArrayBuilder
    associatedtype ObjectBuilder

    /// The deepest nesting of arrays and objects accepted, so that hostile input cannot exhaust the stack.
    var maximumDepth: Int { get }

    mutating func null() -> Value
    mutating func bool(_ value: Bool) -> Value
    /// A number at `span` of `bytes`, which the grammar has checked; `isInteger` when it has no fraction or exponent.
    mutating func number(_ span: Range<Int>, isInteger: Bool, in bytes: UnsafeRawBufferPointer) throws(JSONError)
        -> Value
    /// A string literal at `span` of `bytes` (quotes included), which the grammar has checked; `isEscaped` when it
    /// holds a backslash.
    mutating func string(_ span: Range<Int>, isEscaped: Bool, in bytes: UnsafeRawBufferPointer) throws(JSONError)
        -> Value

    /// An array opens, `depth` arrays and objects deep (1 for a document that is an array).
    mutating func beginArray(depth: Int) -> ArrayBuilder
    mutating func append(_ element: Value, at span: Range<Int>, to array: inout ArrayBuilder, depth: Int)
    mutating func endArray(_ array: ArrayBuilder, depth: Int) -> Value

    /// An object opens, `depth` arrays and objects deep.
    mutating func beginObject(depth: Int) -> ObjectBuilder
    /// The key of a member, a string literal at `span` of `bytes`.
    mutating func key(_ span: Range<Int>, isEscaped: Bool, in bytes: UnsafeRawBufferPointer, depth: Int)
        throws(JSONError) -> Key
    mutating func append(_ value: Value, key: Key, at span: Range<Int>, to object: inout ObjectBuilder, depth: Int)
    mutating func endObject(_ object: ObjectBuilder, depth: Int) -> Value
}

/// The JSON grammar over a byte span: a position, and what it reads from there.
struct JSONReader {
    let bytes: UnsafeRawBufferPointer
    var index = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// Reads exactly one value, optionally surrounded by whitespace.
    /// - Returns: What `handler` made of it, and its span (whitespace excluded).
    static func read<Handler: JSONHandler>(
        _ bytes: UnsafeRawBufferPointer,
        with handler: inout Handler
    ) throws(JSONError) -> (value: Handler.Value, span: Range<Int>) {
        var reader = JSONReader(bytes)
        reader.skipWhitespace()
        let start = reader.index
        let value = try reader.readValue(&handler, depth: 0)
        let end = reader.index
        reader.skipWhitespace()
        guard reader.index == bytes.count else {
            throw JSONError(offset: reader.index, reason: "unexpected data after the JSON value")
        }
        return (value, start..<end)
    }

    /// The first byte after any whitespace, without moving.
    static func firstSignificantByte(_ bytes: UnsafeRawBufferPointer) -> (byte: UInt8?, offset: Int) {
        var reader = JSONReader(bytes)
        reader.skipWhitespace()
        return (reader.peek, reader.index)
    }

    var peek: UInt8? {
        self.index < self.bytes.count ? self.bytes[self.index] : nil
    }

    // The reader does not note whitespace: every way of doing so measured 3% to 15% slower on the scanner's hot
    // path. The parser works it out from the lengths of the tokens instead.
    mutating func skipWhitespace() {
        while self.index < self.bytes.count {
            switch self.bytes[self.index] {
            case 0x20, 0x09, 0x0A, 0x0D:
                self.index += 1
            default:
                return
            }
        }
    }

    /// Reads one value at the position (no whitespace before it), inside `depth` arrays and objects.
    mutating func readValue<Handler: JSONHandler>(_ handler: inout Handler, depth: Int) throws(JSONError)
        -> Handler.Value
    {
        guard let byte = self.peek else {
            throw JSONError(offset: self.index, reason: "unexpected end of input")
        }
        let start = self.index
        switch byte {
        case UInt8(ascii: "{"):
            return try self.readObject(&handler, depth: depth + 1)
        case UInt8(ascii: "["):
            return try self.readArray(&handler, depth: depth + 1)
        case UInt8(ascii: "\""):
            let isEscaped = try self.scanString(from: start)
            return try handler.string(start..<self.index, isEscaped: isEscaped, in: self.bytes)
        case UInt8(ascii: "t"):
            try self.scanLiteral("true")
            return handler.bool(true)
        case UInt8(ascii: "f"):
            try self.scanLiteral("false")
            return handler.bool(false)
        case UInt8(ascii: "n"):
            try self.scanLiteral("null")
            return handler.null()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let isInteger = try self.scanNumber()
            return try handler.number(start..<self.index, isInteger: isInteger, in: self.bytes)
        default:
            throw JSONError(offset: self.index, reason: "unexpected character \(Self.show(byte))")
        }
    }

    /// Past the opening bracket of a container `depth` deep.
    private mutating func enter(depth: Int, maximum: Int) throws(JSONError) {
        guard depth <= maximum else {
            throw JSONError(offset: self.index, reason: "nesting deeper than \(maximum)")
        }
        self.index += 1
        self.skipWhitespace()
    }

    /// After an element or a member: `true` past the closing bracket, `false` past a comma.
    private mutating func next(closing: UInt8, _ expectation: StaticString) throws(JSONError) -> Bool {
        self.skipWhitespace()
        switch self.peek {
        case UInt8(ascii: ","):
            self.index += 1
            self.skipWhitespace()
            return false
        case closing:
            self.index += 1
            return true
        default:
            throw JSONError(offset: self.index, reason: "\(expectation)")
        }
    }

    private mutating func readArray<Handler: JSONHandler>(_ handler: inout Handler, depth: Int) throws(JSONError)
        -> Handler.Value
    {
        try self.enter(depth: depth, maximum: handler.maximumDepth)
        var array = handler.beginArray(depth: depth)
        if self.peek == UInt8(ascii: "]") {
            self.index += 1
            return handler.endArray(array, depth: depth)
        }
        repeat {
            let start = self.index
            let element = try self.readValue(&handler, depth: depth)
            handler.append(element, at: start..<self.index, to: &array, depth: depth)
        } while try !self.next(closing: UInt8(ascii: "]"), "expected ',' or ']' in array")
        return handler.endArray(array, depth: depth)
    }

    private mutating func readObject<Handler: JSONHandler>(_ handler: inout Handler, depth: Int) throws(JSONError)
        -> Handler.Value
    {
        try self.enter(depth: depth, maximum: handler.maximumDepth)
        var object = handler.beginObject(depth: depth)
        if self.peek == UInt8(ascii: "}") {
            self.index += 1
            return handler.endObject(object, depth: depth)
        }
        repeat {
            let keyStart = self.index
            guard self.peek == UInt8(ascii: "\"") else {
                throw JSONError(offset: self.index, reason: "expected a string key in object")
            }
            let isEscaped = try self.scanString(from: keyStart)
            let key = try handler.key(keyStart..<self.index, isEscaped: isEscaped, in: self.bytes, depth: depth)
            self.skipWhitespace()
            guard self.peek == UInt8(ascii: ":") else {
                throw JSONError(offset: self.index, reason: "expected ':' after an object key")
            }
            self.index += 1
            self.skipWhitespace()
            let start = self.index
            let value = try self.readValue(&handler, depth: depth)
            handler.append(value, key: key, at: start..<self.index, to: &object, depth: depth)
        } while try !self.next(closing: UInt8(ascii: "}"), "expected ',' or '}' in object")
        return handler.endObject(object, depth: depth)
    }

    private mutating func scanLiteral(_ literal: StaticString) throws(JSONError) {
        let count = literal.utf8CodeUnitCount
        guard self.index + count <= self.bytes.count else {
            throw JSONError(offset: self.index, reason: "invalid literal, expected \(literal)")
        }
        let start = literal.utf8Start
        for offset in 0..<count where self.bytes[self.index + offset] != start[offset] {
            throw JSONError(offset: self.index, reason: "invalid literal, expected \(literal)")
        }
        self.index += count
    }

    /// Scans a number; `true` when it has no fraction and no exponent.
    private mutating func scanNumber() throws(JSONError) -> Bool {
        if self.peek == UInt8(ascii: "-") {
            self.index += 1
        }
        guard let first = self.peek, Self.isDigit(first) else {
            throw JSONError(offset: self.index, reason: "expected a digit")
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
            guard self.skipDigits() > 0 else {
                throw JSONError(offset: self.index, reason: "expected a digit after '.'")
            }
        }
        if self.peek == UInt8(ascii: "e") || self.peek == UInt8(ascii: "E") {
            isInteger = false
            self.index += 1
            if self.peek == UInt8(ascii: "+") || self.peek == UInt8(ascii: "-") {
                self.index += 1
            }
            guard self.skipDigits() > 0 else {
                throw JSONError(offset: self.index, reason: "expected a digit in the exponent")
            }
        }
        return isInteger
    }

    @discardableResult
    private mutating func skipDigits() -> Int {
        let start = self.index
        while let byte = self.peek, Self.isDigit(byte) {
            self.index += 1
        }
        return self.index - start
    }

    /// Scans the string literal that starts at the position, `start`, checking its escapes and its UTF-8; `true` when
    /// it holds a backslash. A string that is not valid UTF-8 or has no end is reported where it starts.
    mutating func scanString(from start: Int) throws(JSONError) -> Bool {
        // The start is put back in here, on the way out, rather than kept through the loop: keeping it made the
        // scanner 10% slower.
        do {
            return try self.scanStringBody()
        } catch where error.reason == Self.invalidUTF8 || error.reason == Self.unterminated {
            throw JSONError(offset: start, reason: error.reason)
        }
    }

    private static let invalidUTF8 = "string is not valid UTF-8"
    private static let unterminated = "unterminated string"

    private mutating func scanStringBody() throws(JSONError) -> Bool {
        var isEscaped = false
        self.index += 1
        while self.index < self.bytes.count {
            let byte = self.bytes[self.index]
            switch byte {
            case UInt8(ascii: "\""):
                self.index += 1
                return isEscaped
            case UInt8(ascii: "\\"):
                isEscaped = true
                try self.scanEscape()
            case 0x00..<0x20:
                throw JSONError(offset: self.index, reason: "control character in string")
            case 0x20..<0x80:
                self.index += 1
            default:
                guard self.scanUTF8Sequence(lead: byte) else {
                    throw JSONError(offset: self.index, reason: Self.invalidUTF8)
                }
            }
        }
        throw JSONError(offset: self.index, reason: Self.unterminated)
    }

    private mutating func scanEscape() throws(JSONError) {
        guard self.index + 1 < self.bytes.count else {
            throw JSONError(offset: self.index, reason: "unterminated escape")
        }
        let escape = self.bytes[self.index + 1]
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            self.index += 2
        case UInt8(ascii: "u"):
            for offset in 2..<6
            where self.index + offset >= self.bytes.count || Self.hexValue(self.bytes[self.index + offset]) == nil {
                throw JSONError(offset: self.index, reason: "invalid \\u escape")
            }
            self.index += 6
        default:
            throw JSONError(offset: self.index, reason: "invalid escape '\\\(Self.show(escape, quoted: false))'")
        }
    }

    /// Passes one multi-byte UTF-8 sequence (RFC 3629: no overlongs, no surrogates, at most U+10FFFF); `false` when
    /// the bytes are not one.
    private mutating func scanUTF8Sequence(lead: UInt8) -> Bool {
        let length: Int
        var lowerBound: UInt8 = 0x80
        var upperBound: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lowerBound = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; upperBound = 0x9F
        case 0xF0: length = 4; lowerBound = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upperBound = 0x8F
        default: return false
        }
        guard self.index + length <= self.bytes.count else { return false }
        let second = self.bytes[self.index + 1]
        guard second >= lowerBound, second <= upperBound else { return false }
        for offset in 2..<length where self.bytes[self.index + offset] & 0xC0 != 0x80 {
            return false
        }
        self.index += length
        return true
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// A byte for a message: `'x'` when printable ASCII, `0xFF` otherwise.
    static func show(_ byte: UInt8, quoted: Bool = true) -> String {
        guard (0x20..<0x7F).contains(byte) else {
            let hex = Array("0123456789ABCDEF".utf8)
            return "0x" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]], as: UTF8.self)
        }
        let text = String(UnicodeScalar(byte))
        return quoted ? "'\(text)'" : text
    }
}

extension JSONReader {
    /// Decodes the string literal at `span` of `bytes` (quotes included), which ``scanString()`` has checked.
    ///
    /// - Parameter strict: Whether an escaped surrogate without its pair is an error. When it is not, it becomes
    ///   U+FFFD: JavaScript would keep it, and a Swift string cannot.
    static func decodeString(_ bytes: UnsafeRawBufferPointer, span: Range<Int>, isEscaped: Bool, strict: Bool)
        throws(JSONError) -> String
    {
        let inner = UnsafeRawBufferPointer(rebasing: bytes[(span.lowerBound + 1)..<(span.upperBound - 1)])
        guard isEscaped else {
            return String(decoding: inner, as: UTF8.self)
        }
        var utf8: [UInt8] = []
        utf8.reserveCapacity(inner.count)
        var index = 0
        while index < inner.count {
            let byte = inner[index]
            guard byte == UInt8(ascii: "\\") else {
                utf8.append(byte)
                index += 1
                continue
            }
            let escape = inner[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                let escapeOffset = span.lowerBound + 1 + index - 2
                var code = Self.hex4(inner, at: index)
                index += 4
                if (0xD800..<0xDC00).contains(code), index + 6 <= inner.count, inner[index] == UInt8(ascii: "\\"),
                    inner[index + 1] == UInt8(ascii: "u")
                {
                    let low = Self.hex4(inner, at: index + 2)
                    if (0xDC00..<0xE000).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    }
                }
                let scalar: Unicode.Scalar
                if let valid = Unicode.Scalar(code) {
                    scalar = valid
                } else if strict {
                    throw JSONError(offset: escapeOffset, reason: "unpaired surrogate escape")
                } else {
                    scalar = "\u{FFFD}"
                }
                UTF8.encode(scalar) { utf8.append($0) }
            default:  // `"`, `\` and `/`, as written
                utf8.append(escape)
            }
        }
        return String(decoding: utf8, as: UTF8.self)
    }

    private static func hex4(_ bytes: UnsafeRawBufferPointer, at index: Int) -> UInt32 {
        var value: UInt32 = 0
        for offset in 0..<4 {
            value = value << 4 | (Self.hexValue(bytes[index + offset]) ?? 0)
        }
        return value
    }
}
