/// A strict RFC 8259 parser into ``JSONValue``, for payloads, journal details and the contract's examples (small
/// documents).
///
/// It reads with the scanner's grammar and differs from ``JSONScanner`` only where a value needs more: nesting is
/// limited to ``maximumDepth``, and an escaped surrogate must have its pair. A number too large for a `Double` is
/// kept as written, as every number with a fraction or an exponent is.
public enum JSONParser {
    /// Nesting of arrays and objects beyond this is refused, so that hostile input cannot exhaust the stack; payloads
    /// nest 3 deep.
    public static let maximumDepth = 64

    /// Parses exactly one JSON value, optionally surrounded by whitespace.
    ///
    /// - Returns: The value, and whether any whitespace appeared outside strings.
    /// - Throws: ``JSONError`` naming the offset of the first problem.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONError)
        -> (value: JSONValue, sawWhitespace: Bool)
    {
        var handler = ValueBuilder()
        let value = try JSONReader.read(bytes, with: &handler).value
        return (value, handler.tokenBytes != bytes.count)
    }

    /// Parses exactly one JSON value, optionally surrounded by whitespace.
    public static func parse(_ bytes: [UInt8]) throws(JSONError) -> (value: JSONValue, sawWhitespace: Bool) {
        // `withUnsafeBytes` rethrows untyped errors: the result carries the typed one out.
        try bytes.withUnsafeBytes { buffer in Result { () throws(JSONError) in try Self.parse(buffer) } }.get()
    }
}

extension JSONParser {
    /// Builds the values.
    private struct ValueBuilder: JSONHandler {
        /// The bytes of the tokens read, punctuation included: any other byte of the document is whitespace.
        var tokenBytes = 0

        var maximumDepth: Int { JSONParser.maximumDepth }

        mutating func null() -> JSONValue {
            self.tokenBytes += 4
            return .null
        }

        mutating func bool(_ value: Bool) -> JSONValue {
            self.tokenBytes += value ? 4 : 5
            return .bool(value)
        }

        mutating func number(_ span: Range<Int>, isInteger: Bool, in bytes: UnsafeRawBufferPointer) -> JSONValue {
            self.tokenBytes += span.count
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[span]), as: UTF8.self)
            if isInteger, let value = Int(text) {
                return .integer(value)
            }
            return .number(text)
        }

        mutating func string(_ span: Range<Int>, isEscaped: Bool, in bytes: UnsafeRawBufferPointer)
            throws(JSONError) -> JSONValue
        {
            self.tokenBytes += span.count
            return .string(try JSONReader.decodeString(bytes, span: span, isEscaped: isEscaped, strict: true))
        }

        func beginArray(depth: Int) -> [JSONValue] { [] }

        func append(_ element: JSONValue, at span: Range<Int>, to array: inout [JSONValue], depth: Int) {
            array.append(element)
        }

        /// The brackets, and a comma between elements.
        mutating func endArray(_ array: [JSONValue], depth: Int) -> JSONValue {
            self.tokenBytes += 2 + max(0, array.count - 1)
            return .array(array)
        }

        func beginObject(depth: Int) -> [JSONValue.Member] { [] }

        /// The key, and the colon after it.
        mutating func key(_ span: Range<Int>, isEscaped: Bool, in bytes: UnsafeRawBufferPointer, depth: Int)
            throws(JSONError) -> String
        {
            self.tokenBytes += span.count + 1
            return try JSONReader.decodeString(bytes, span: span, isEscaped: isEscaped, strict: true)
        }

        func append(_ value: JSONValue, key: String, at span: Range<Int>, to object: inout [JSONValue.Member],
                    depth: Int) {
            object.append(JSONValue.Member(key, value))
        }

        /// The braces, and a comma between members.
        mutating func endObject(_ object: [JSONValue.Member], depth: Int) -> JSONValue {
            self.tokenBytes += 2 + max(0, object.count - 1)
            return .object(object)
        }
    }
}
