extension ContractJSON {
    /// Parses JSON text, keeping object members in the order they are written.
    ///
    /// The exporters embed each catalog example as a value; parsing the example's exact bytes (rather than building
    /// the value again) keeps the documents' examples identical to what the server sends. Strict RFC 8259: one value,
    /// optional whitespace around it, nothing else.
    ///
    /// - Parameter bytes: UTF-8 JSON text.
    /// - Returns: The value, or `nil` when the text is not exactly one JSON value.
    static func parse(_ bytes: [UInt8]) -> ContractJSON? {
        var parser = Parser(bytes: bytes)
        guard let value = parser.parseValue(depth: 0) else { return nil }
        parser.skipWhitespace()
        return parser.index == bytes.count ? value : nil
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0
        /// Deeper nesting is refused rather than risking the stack; the catalog's examples are two levels deep.
        static let maxDepth = 64

        init(bytes: [UInt8]) {
            self.bytes = bytes
        }

        mutating func skipWhitespace() {
            while self.index < self.bytes.count {
                switch self.bytes[self.index] {
                case 0x20, 0x09, 0x0A, 0x0D: self.index += 1
                default: return
                }
            }
        }

        mutating func parseValue(depth: Int) -> ContractJSON? {
            guard depth < Self.maxDepth else { return nil }
            self.skipWhitespace()
            guard self.index < self.bytes.count else { return nil }
            switch self.bytes[self.index] {
            case UInt8(ascii: "{"): return self.parseObject(depth: depth)
            case UInt8(ascii: "["): return self.parseArray(depth: depth)
            case UInt8(ascii: "\""): return self.parseString().map(ContractJSON.string)
            case UInt8(ascii: "t"): return self.literal("true", .bool(true))
            case UInt8(ascii: "f"): return self.literal("false", .bool(false))
            case UInt8(ascii: "n"): return self.literal("null", .null)
            default: return self.parseNumber()
            }
        }

        private mutating func literal(_ word: String, _ value: ContractJSON) -> ContractJSON? {
            let expected = Array(word.utf8)
            guard self.bytes.count - self.index >= expected.count,
                Array(self.bytes[self.index..<self.index + expected.count]) == expected
            else { return nil }
            self.index += expected.count
            return value
        }

        private mutating func consume(_ byte: UInt8) -> Bool {
            self.skipWhitespace()
            guard self.index < self.bytes.count, self.bytes[self.index] == byte else { return false }
            self.index += 1
            return true
        }

        private mutating func parseObject(depth: Int) -> ContractJSON? {
            self.index += 1  // {
            var members: [Member] = []
            if self.consume(UInt8(ascii: "}")) { return .object(members) }
            repeat {
                self.skipWhitespace()
                guard self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "\""),
                    let key = self.parseString(), self.consume(UInt8(ascii: ":")),
                    let value = self.parseValue(depth: depth + 1)
                else { return nil }
                members.append(Member(key, value))
            } while self.consume(UInt8(ascii: ","))
            return self.consume(UInt8(ascii: "}")) ? .object(members) : nil
        }

        private mutating func parseArray(depth: Int) -> ContractJSON? {
            self.index += 1  // [
            var elements: [ContractJSON] = []
            if self.consume(UInt8(ascii: "]")) { return .array(elements) }
            repeat {
                guard let value = self.parseValue(depth: depth + 1) else { return nil }
                elements.append(value)
            } while self.consume(UInt8(ascii: ","))
            return self.consume(UInt8(ascii: "]")) ? .array(elements) : nil
        }

        private mutating func parseNumber() -> ContractJSON? {
            let start = self.index
            func digits() -> Int {
                let first = self.index
                while self.index < self.bytes.count, (0x30...0x39).contains(self.bytes[self.index]) {
                    self.index += 1
                }
                return self.index - first
            }
            if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "-") { self.index += 1 }
            let intStart = self.index
            guard digits() > 0 else { return nil }
            if self.bytes[intStart] == UInt8(ascii: "0"), self.index - intStart > 1 { return nil }
            var isInteger = true
            if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: ".") {
                self.index += 1
                isInteger = false
                guard digits() > 0 else { return nil }
            }
            if self.index < self.bytes.count, self.bytes[self.index] | 0x20 == UInt8(ascii: "e") {
                self.index += 1
                isInteger = false
                if self.index < self.bytes.count,
                    self.bytes[self.index] == UInt8(ascii: "+") || self.bytes[self.index] == UInt8(ascii: "-")
                {
                    self.index += 1
                }
                guard digits() > 0 else { return nil }
            }
            let text = String(decoding: self.bytes[start..<self.index], as: UTF8.self)
            if isInteger, let value = Int(text) { return .integer(value) }
            return .number(text)
        }

        /// A string token starting at its opening quote; escapes decoded, surrogate pairs joined.
        private mutating func parseString() -> String? {
            self.index += 1  // "
            var scalars = String.UnicodeScalarView()
            var run: [UInt8] = []
            func flush() -> Bool {
                guard !run.isEmpty else { return true }
                guard let text = String(validating: run, as: UTF8.self) else { return false }
                scalars.append(contentsOf: text.unicodeScalars)
                run.removeAll(keepingCapacity: true)
                return true
            }
            while self.index < self.bytes.count {
                let byte = self.bytes[self.index]
                self.index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return flush() ? String(scalars) : nil
                case UInt8(ascii: "\\"):
                    guard flush(), self.index < self.bytes.count else { return nil }
                    let escape = self.bytes[self.index]
                    self.index += 1
                    switch escape {
                    case UInt8(ascii: "\""): scalars.append("\"")
                    case UInt8(ascii: "\\"): scalars.append("\\")
                    case UInt8(ascii: "/"): scalars.append("/")
                    case UInt8(ascii: "b"): scalars.append("\u{08}")
                    case UInt8(ascii: "f"): scalars.append("\u{0C}")
                    case UInt8(ascii: "n"): scalars.append("\n")
                    case UInt8(ascii: "r"): scalars.append("\r")
                    case UInt8(ascii: "t"): scalars.append("\t")
                    case UInt8(ascii: "u"):
                        guard let scalar = self.parseUnicodeEscape() else { return nil }
                        scalars.append(scalar)
                    default:
                        return nil
                    }
                case 0x00..<0x20:
                    return nil
                default:
                    run.append(byte)
                }
            }
            return nil
        }

        /// The scalar of `\uXXXX` (the `\u` already read), reading a following low surrogate when needed.
        private mutating func parseUnicodeEscape() -> Unicode.Scalar? {
            guard let high = self.hex4() else { return nil }
            if (0xD800...0xDBFF).contains(high) {
                guard self.bytes.count - self.index >= 6, self.bytes[self.index] == UInt8(ascii: "\\"),
                    self.bytes[self.index + 1] == UInt8(ascii: "u")
                else { return nil }
                self.index += 2
                guard let low = self.hex4(), (0xDC00...0xDFFF).contains(low) else { return nil }
                return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
            }
            return Unicode.Scalar(high)
        }

        private mutating func hex4() -> UInt32? {
            guard self.bytes.count - self.index >= 4 else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = self.bytes[self.index]
                self.index += 1
                let digit: UInt32
                switch byte {
                case 0x30...0x39: digit = UInt32(byte - 0x30)
                case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
                case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
                default: return nil
                }
                value = value << 4 | digit
            }
            return value
        }
    }
}
