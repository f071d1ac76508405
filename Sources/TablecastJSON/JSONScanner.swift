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
/// without re-encoding. It never allocates for the values themselves; ``JSONParser`` reads with the same grammar
/// when a value is wanted.
public enum JSONScanner {
    /// The deepest nesting accepted, so that hostile input cannot exhaust the stack.
    public static let maximumDepth = 256

    /// Validates that `bytes` hold exactly one JSON value, optionally surrounded by whitespace.
    /// - Returns: The kind of the value and its span (whitespace excluded).
    /// - Throws: ``JSONError`` naming the offset of the first problem.
    public static func validate(_ bytes: UnsafeRawBufferPointer) throws(JSONError) -> (JSONValueKind, Range<Int>) {
        var handler = Kinds()
        let read = try JSONReader.read(bytes, with: &handler)
        return (read.value, read.span)
    }

    /// Validates `bytes` as a JSON array and returns the span of each element, in order.
    public static func arrayElements(
        _ bytes: UnsafeRawBufferPointer
    ) throws(JSONError) -> [(kind: JSONValueKind, span: Range<Int>)] {
        // Written out rather than shared with `objectMembers` through a generic helper: the helper made the scanner
        // 10% slower on the codecs' benchmark payload.
        let first = JSONReader.firstSignificantByte(bytes)
        guard first.byte == UInt8(ascii: "[") else {
            throw JSONError(offset: first.offset, reason: "expected an array")
        }
        var handler = ElementSpans()
        _ = try JSONReader.read(bytes, with: &handler)
        return handler.elements
    }

    /// Validates `bytes` as a JSON object and returns each member's decoded key and the span of its value, in order.
    public static func objectMembers(
        _ bytes: UnsafeRawBufferPointer
    ) throws(JSONError) -> [(key: String, kind: JSONValueKind, span: Range<Int>)] {
        let first = JSONReader.firstSignificantByte(bytes)
        guard first.byte == UInt8(ascii: "{") else {
            throw JSONError(offset: first.offset, reason: "expected an object")
        }
        var handler = MemberSpans()
        _ = try JSONReader.read(bytes, with: &handler)
        return handler.members
    }

    /// Decodes a JSON string literal (quotes included in `bytes`) into a Swift string.
    ///
    /// An escaped surrogate without its pair becomes U+FFFD (``JSONParser`` refuses it).
    public static func decodeString(_ bytes: UnsafeRawBufferPointer) throws(JSONError) -> String {
        var reader = JSONReader(bytes)
        guard reader.peek == UInt8(ascii: "\"") else {
            throw JSONError(offset: 0, reason: "expected a string")
        }
        let isEscaped = try reader.scanString(from: 0)
        guard reader.index == bytes.count else {
            throw JSONError(offset: reader.index, reason: "unexpected data after the string")
        }
        return try JSONReader.decodeString(bytes, span: 0..<bytes.count, isEscaped: isEscaped, strict: false)
    }
}

extension JSONScanner {
    /// Keeps nothing but the kind of each value: validation.
    private struct Kinds: KindHandler {
        func append(_ element: JSONValueKind, at span: Range<Int>, to array: inout Void, depth: Int) {}
        func key(_ span: Range<Int>, isEscaped: Bool, in bytes: UnsafeRawBufferPointer, depth: Int) {}
        func append(_ value: JSONValueKind, key: Void, at span: Range<Int>, to object: inout Void, depth: Int) {}
    }

    /// Keeps the kinds, and the spans of the elements of the document's own array.
    private struct ElementSpans: KindHandler {
        var elements: [(kind: JSONValueKind, span: Range<Int>)] = []

        mutating func append(_ element: JSONValueKind, at span: Range<Int>, to array: inout Void, depth: Int) {
            if depth == 1 {
                self.elements.append((element, span))
            }
        }

        func key(_ span: Range<Int>, isEscaped: Bool, in bytes: UnsafeRawBufferPointer, depth: Int) {}
        func append(_ value: JSONValueKind, key: Void, at span: Range<Int>, to object: inout Void, depth: Int) {}
    }

    /// Keeps the kinds, and the decoded keys and value spans of the members of the document's own object.
    private struct MemberSpans: KindHandler {
        var members: [(key: String, kind: JSONValueKind, span: Range<Int>)] = []

        func append(_ element: JSONValueKind, at span: Range<Int>, to array: inout Void, depth: Int) {}

        func key(_ span: Range<Int>, isEscaped: Bool, in bytes: UnsafeRawBufferPointer, depth: Int)
            throws(JSONError) -> String?
        {
            guard depth == 1 else { return nil }
            return try JSONReader.decodeString(bytes, span: span, isEscaped: isEscaped, strict: false)
        }

        mutating func append(_ value: JSONValueKind, key: String?, at span: Range<Int>, to object: inout Void,
                             depth: Int) {
            if let key {
                self.members.append((key, value, span))
            }
        }
    }
}

/// A handler of the scanner: it builds nothing, and a value is its kind.
private protocol KindHandler: JSONHandler where Value == JSONValueKind, ArrayBuilder == Void, ObjectBuilder == Void {}

extension KindHandler {
    var maximumDepth: Int { JSONScanner.maximumDepth }

    func null() -> JSONValueKind { .null }
    func bool(_ value: Bool) -> JSONValueKind { .bool }
    func number(_ span: Range<Int>, isInteger: Bool, in bytes: UnsafeRawBufferPointer) -> JSONValueKind { .number }
    func string(_ span: Range<Int>, isEscaped: Bool, in bytes: UnsafeRawBufferPointer) -> JSONValueKind { .string }
    func beginArray(depth: Int) {}
    func endArray(_ array: Void, depth: Int) -> JSONValueKind { .array }
    func beginObject(depth: Int) {}
    func endObject(_ object: Void, depth: Int) -> JSONValueKind { .object }
}
