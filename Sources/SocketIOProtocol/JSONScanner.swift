/// The kind of a JSON value, as found by ``JSONScanner``.
public enum JSONValueKind: Sendable, Equatable {
    case object
    case array
    case string
    case number
    case bool
    case null
}

/// A strict RFC 8259 validator that reports byte spans instead of building values.
///
/// Payloads travel through tablecast as the exact bytes they arrived as: the scanner checks that the bytes are one
/// well-formed JSON value (UTF-8 included) and tells where the parts of it are, so that callers can slice them out
/// without re-encoding. It never allocates for the values themselves.
public struct JSONScanner: Sendable {
    /// The deepest nesting accepted, so that hostile input cannot exhaust the stack.
    public static let maximumDepth = 256

    /// Validates that `bytes` hold exactly one JSON value, optionally surrounded by whitespace.
    /// - Returns: The kind of the value and its span (whitespace excluded).
    /// - Throws: ``JSONScanError`` naming the offset of the first problem.
    public static func validate(_ bytes: UnsafeRawBufferPointer) throws(JSONScanError) -> (JSONValueKind, Range<Int>) {
        var cursor = Cursor(bytes: bytes)
        cursor.skipWhitespace()
        let start = cursor.index
        let kind = try cursor.scanValue(depth: 0)
        let end = cursor.index
        cursor.skipWhitespace()
        guard cursor.index == bytes.count else {
            throw JSONScanError(offset: cursor.index, reason: "unexpected data after the JSON value")
        }
        return (kind, start..<end)
    }

    /// Validates `bytes` as a JSON array and returns the span of each element, in order.
    public static func arrayElements(
        _ bytes: UnsafeRawBufferPointer
    ) throws(JSONScanError) -> [(kind: JSONValueKind, span: Range<Int>)] {
        var cursor = Cursor(bytes: bytes)
        cursor.skipWhitespace()
        guard cursor.peek == UInt8(ascii: "[") else {
            throw JSONScanError(offset: cursor.index, reason: "expected an array")
        }
        cursor.index += 1
        var elements: [(kind: JSONValueKind, span: Range<Int>)] = []
        cursor.skipWhitespace()
        if cursor.peek == UInt8(ascii: "]") {
            cursor.index += 1
        } else {
            while true {
                cursor.skipWhitespace()
                let start = cursor.index
                let kind = try cursor.scanValue(depth: 1)
                elements.append((kind, start..<cursor.index))
                cursor.skipWhitespace()
                switch cursor.peek {
                case UInt8(ascii: ","):
                    cursor.index += 1
                case UInt8(ascii: "]"):
                    cursor.index += 1
                    try cursor.expectEnd()
                    return elements
                default:
                    throw JSONScanError(offset: cursor.index, reason: "expected ',' or ']' in array")
                }
            }
        }
        try cursor.expectEnd()
        return elements
    }

    /// Validates `bytes` as a JSON object and returns each member's decoded key and the span of its value, in order.
    public static func objectMembers(
        _ bytes: UnsafeRawBufferPointer
    ) throws(JSONScanError) -> [(key: String, kind: JSONValueKind, span: Range<Int>)] {
        var cursor = Cursor(bytes: bytes)
        cursor.skipWhitespace()
        guard cursor.peek == UInt8(ascii: "{") else {
            throw JSONScanError(offset: cursor.index, reason: "expected an object")
        }
        cursor.index += 1
        var members: [(key: String, kind: JSONValueKind, span: Range<Int>)] = []
        cursor.skipWhitespace()
        if cursor.peek == UInt8(ascii: "}") {
            cursor.index += 1
            try cursor.expectEnd()
            return members
        }
        while true {
            cursor.skipWhitespace()
            let keyStart = cursor.index
            guard cursor.peek == UInt8(ascii: "\"") else {
                throw JSONScanError(offset: cursor.index, reason: "expected a string key in object")
            }
            try cursor.scanString()
            let key = try Self.decodeString(UnsafeRawBufferPointer(rebasing: bytes[keyStart..<cursor.index]))
            cursor.skipWhitespace()
            guard cursor.peek == UInt8(ascii: ":") else {
                throw JSONScanError(offset: cursor.index, reason: "expected ':' after object key")
            }
            cursor.index += 1
            cursor.skipWhitespace()
            let valueStart = cursor.index
            let kind = try cursor.scanValue(depth: 1)
            members.append((key, kind, valueStart..<cursor.index))
            cursor.skipWhitespace()
            switch cursor.peek {
            case UInt8(ascii: ","):
                cursor.index += 1
            case UInt8(ascii: "}"):
                cursor.index += 1
                try cursor.expectEnd()
                return members
            default:
                throw JSONScanError(offset: cursor.index, reason: "expected ',' or '}' in object")
            }
        }
    }

    /// Decodes a JSON string literal (quotes included in `bytes`) into a Swift string.
    public static func decodeString(_ bytes: UnsafeRawBufferPointer) throws(JSONScanError) -> String {
        var cursor = Cursor(bytes: bytes)
        try cursor.scanString()
        guard cursor.index == bytes.count else {
            throw JSONScanError(offset: cursor.index, reason: "unexpected data after the string")
        }
        let inner = UnsafeRawBufferPointer(rebasing: bytes[1..<(bytes.count - 1)])
        if !inner.contains(UInt8(ascii: "\\")) {
            return String(decoding: inner, as: UTF8.self)
        }
        var scalars = String.UnicodeScalarView()
        var utf8: [UInt8] = []
        var index = 0
        func flushUTF8() {
            if !utf8.isEmpty {
                scalars.append(contentsOf: String(decoding: utf8, as: UTF8.self).unicodeScalars)
                utf8.removeAll(keepingCapacity: true)
            }
        }
        while index < inner.count {
            let byte = inner[index]
            guard byte == UInt8(ascii: "\\") else {
                utf8.append(byte)
                index += 1
                continue
            }
            flushUTF8()
            let escape = inner[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            default:  // "u", checked by scanString
                var code = Self.hexValue(inner, at: index)
                index += 4
                if (0xD800..<0xDC00).contains(code), index + 6 <= inner.count, inner[index] == UInt8(ascii: "\\"),
                    inner[index + 1] == UInt8(ascii: "u")
                {
                    let low = Self.hexValue(inner, at: index + 2)
                    if (0xDC00..<0xE000).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    }
                }
                // A lone surrogate has no scalar: JavaScript would keep it, Swift strings cannot.
                scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            }
        }
        flushUTF8()
        return String(scalars)
    }

    private static func hexValue(_ bytes: UnsafeRawBufferPointer, at index: Int) -> UInt32 {
        var value: UInt32 = 0
        for offset in 0..<4 {
            let byte = bytes[index + offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            default: digit = byte - UInt8(ascii: "A") + 10
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }
}

/// Why bytes are not valid JSON, and where.
public struct JSONScanError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The byte offset of the first problem.
    public var offset: Int
    /// What is wrong, in a few words.
    public var reason: String

    public var description: String {
        "invalid JSON at byte \(self.offset): \(self.reason)"
    }
}

extension JSONScanner {
    /// The scanning state: a position in the bytes.
    fileprivate struct Cursor {
        let bytes: UnsafeRawBufferPointer
        var index: Int = 0

        init(bytes: UnsafeRawBufferPointer) {
            self.bytes = bytes
        }

        var peek: UInt8? {
            self.index < self.bytes.count ? self.bytes[self.index] : nil
        }

        mutating func skipWhitespace() {
            while self.index < self.bytes.count {
                switch self.bytes[self.index] {
                case 0x20, 0x09, 0x0A, 0x0D: self.index += 1
                default: return
                }
            }
        }

        mutating func expectEnd() throws(JSONScanError) {
            self.skipWhitespace()
            guard self.index == self.bytes.count else {
                throw JSONScanError(offset: self.index, reason: "unexpected data after the JSON value")
            }
        }

        mutating func scanValue(depth: Int) throws(JSONScanError) -> JSONValueKind {
            guard let byte = self.peek else {
                throw JSONScanError(offset: self.index, reason: "unexpected end of input")
            }
            switch byte {
            case UInt8(ascii: "{"):
                try self.scanObject(depth: depth + 1)
                return .object
            case UInt8(ascii: "["):
                try self.scanArray(depth: depth + 1)
                return .array
            case UInt8(ascii: "\""):
                try self.scanString()
                return .string
            case UInt8(ascii: "t"):
                try self.scanLiteral("true")
                return .bool
            case UInt8(ascii: "f"):
                try self.scanLiteral("false")
                return .bool
            case UInt8(ascii: "n"):
                try self.scanLiteral("null")
                return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                try self.scanNumber()
                return .number
            default:
                throw JSONScanError(offset: self.index, reason: "unexpected character")
            }
        }

        mutating func scanLiteral(_ literal: StaticString) throws(JSONScanError) {
            let count = literal.utf8CodeUnitCount
            guard self.index + count <= self.bytes.count else {
                throw JSONScanError(offset: self.index, reason: "unexpected end of input")
            }
            let start = literal.utf8Start
            for offset in 0..<count where self.bytes[self.index + offset] != start[offset] {
                throw JSONScanError(offset: self.index + offset, reason: "invalid literal")
            }
            self.index += count
        }

        mutating func scanObject(depth: Int) throws(JSONScanError) {
            guard depth <= JSONScanner.maximumDepth else {
                throw JSONScanError(offset: self.index, reason: "nesting too deep")
            }
            self.index += 1
            self.skipWhitespace()
            if self.peek == UInt8(ascii: "}") {
                self.index += 1
                return
            }
            while true {
                self.skipWhitespace()
                guard self.peek == UInt8(ascii: "\"") else {
                    throw JSONScanError(offset: self.index, reason: "expected a string key in object")
                }
                try self.scanString()
                self.skipWhitespace()
                guard self.peek == UInt8(ascii: ":") else {
                    throw JSONScanError(offset: self.index, reason: "expected ':' after object key")
                }
                self.index += 1
                self.skipWhitespace()
                _ = try self.scanValue(depth: depth)
                self.skipWhitespace()
                switch self.peek {
                case UInt8(ascii: ","):
                    self.index += 1
                case UInt8(ascii: "}"):
                    self.index += 1
                    return
                default:
                    throw JSONScanError(offset: self.index, reason: "expected ',' or '}' in object")
                }
            }
        }

        mutating func scanArray(depth: Int) throws(JSONScanError) {
            guard depth <= JSONScanner.maximumDepth else {
                throw JSONScanError(offset: self.index, reason: "nesting too deep")
            }
            self.index += 1
            self.skipWhitespace()
            if self.peek == UInt8(ascii: "]") {
                self.index += 1
                return
            }
            while true {
                self.skipWhitespace()
                _ = try self.scanValue(depth: depth)
                self.skipWhitespace()
                switch self.peek {
                case UInt8(ascii: ","):
                    self.index += 1
                case UInt8(ascii: "]"):
                    self.index += 1
                    return
                default:
                    throw JSONScanError(offset: self.index, reason: "expected ',' or ']' in array")
                }
            }
        }

        mutating func scanNumber() throws(JSONScanError) {
            let start = self.index
            if self.peek == UInt8(ascii: "-") {
                self.index += 1
            }
            guard let first = self.peek, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else {
                throw JSONScanError(offset: self.index, reason: "invalid number")
            }
            if first == UInt8(ascii: "0") {
                self.index += 1
            } else {
                self.skipDigits()
            }
            if self.peek == UInt8(ascii: ".") {
                self.index += 1
                guard self.skipDigits() > 0 else {
                    throw JSONScanError(offset: self.index, reason: "invalid number: digits expected after '.'")
                }
            }
            if self.peek == UInt8(ascii: "e") || self.peek == UInt8(ascii: "E") {
                self.index += 1
                if self.peek == UInt8(ascii: "+") || self.peek == UInt8(ascii: "-") {
                    self.index += 1
                }
                guard self.skipDigits() > 0 else {
                    throw JSONScanError(offset: self.index, reason: "invalid number: digits expected in exponent")
                }
            }
            assert(self.index > start)
        }

        @discardableResult
        mutating func skipDigits() -> Int {
            let start = self.index
            while let byte = self.peek, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                self.index += 1
            }
            return self.index - start
        }

        /// Scans a string literal, validating escapes and UTF-8.
        mutating func scanString() throws(JSONScanError) {
            self.index += 1
            while self.index < self.bytes.count {
                let byte = self.bytes[self.index]
                switch byte {
                case UInt8(ascii: "\""):
                    self.index += 1
                    return
                case UInt8(ascii: "\\"):
                    guard self.index + 1 < self.bytes.count else {
                        throw JSONScanError(offset: self.index, reason: "unterminated string")
                    }
                    switch self.bytes[self.index + 1] {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                        UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        self.index += 2
                    case UInt8(ascii: "u"):
                        guard self.index + 6 <= self.bytes.count else {
                            throw JSONScanError(offset: self.index, reason: "truncated \\u escape")
                        }
                        for offset in 2..<6 where !Self.isHexDigit(self.bytes[self.index + offset]) {
                            throw JSONScanError(offset: self.index + offset, reason: "invalid \\u escape")
                        }
                        self.index += 6
                    default:
                        throw JSONScanError(offset: self.index, reason: "invalid escape")
                    }
                case 0x00..<0x20:
                    throw JSONScanError(offset: self.index, reason: "control character in string")
                case 0x20..<0x80:
                    self.index += 1
                default:
                    try self.scanUTF8Sequence(lead: byte)
                }
            }
            throw JSONScanError(offset: self.index, reason: "unterminated string")
        }

        static func isHexDigit(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
                UInt8(ascii: "A")...UInt8(ascii: "F"):
                return true
            default:
                return false
            }
        }

        /// Validates one multi-byte UTF-8 sequence (RFC 3629: no overlongs, no surrogates, at most U+10FFFF).
        mutating func scanUTF8Sequence(lead: UInt8) throws(JSONScanError) {
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
            default:
                throw JSONScanError(offset: self.index, reason: "invalid UTF-8")
            }
            guard self.index + length <= self.bytes.count else {
                throw JSONScanError(offset: self.index, reason: "truncated UTF-8 sequence")
            }
            let second = self.bytes[self.index + 1]
            guard second >= lowerBound, second <= upperBound else {
                throw JSONScanError(offset: self.index + 1, reason: "invalid UTF-8")
            }
            for offset in 2..<length where self.bytes[self.index + offset] & 0xC0 != 0x80 {
                throw JSONScanError(offset: self.index + offset, reason: "invalid UTF-8")
            }
            self.index += length
        }
    }
}
