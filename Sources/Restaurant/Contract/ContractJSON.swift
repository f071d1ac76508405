/// A JSON value whose objects keep their members in the order they were built.
///
/// The contract documents list keys in a fixed order (contract order for properties, a conventional order for the
/// document's own keys), so that two renders are byte-identical and a diff between contract versions reads well.
/// Foundation's `JSONSerialization` goes through dictionaries and cannot promise either.
indirect enum ContractJSON: Sendable {
    case object([Member])
    case array([ContractJSON])
    case string(String)
    case integer(Int)
    /// A number that is not an `Int`, kept exactly as it was written.
    case number(String)
    case bool(Bool)
    case null

    /// One `"key": value` member of an object.
    struct Member: Sendable {
        var key: String
        var value: ContractJSON

        init(_ key: String, _ value: ContractJSON) {
            self.key = key
            self.value = value
        }
    }

    /// The value of parsed JSON, object members in the order they were written.
    ///
    /// The exporters embed each catalog example this way: parsing the example's exact bytes with ``JSONParser``
    /// (rather than building the value again) keeps the documents' examples identical to what the server sends.
    init(_ value: JSONValue) {
        switch value {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .integer(let integer): self = .integer(integer)
        case .number(let text): self = .number(text)
        case .string(let text): self = .string(text)
        case .array(let elements): self = .array(elements.map(ContractJSON.init))
        case .object(let members): self = .object(members.map { Member($0.key, ContractJSON($0.value)) })
        }
    }

    /// The value as a document: 2-space indentation, `"key": value`, one member or element per line, empty objects
    /// and arrays as `{}` and `[]`, and a trailing newline.
    var document: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64 * 1024)
        self.write(into: &bytes, depth: 0)
        bytes.append(UInt8(ascii: "\n"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The value on one line without whitespace, as the contract writes payloads.
    var compact: String {
        var bytes: [UInt8] = []
        self.writeCompact(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    private func write(into bytes: inout [UInt8], depth: Int) {
        switch self {
        case .object(let members) where members.isEmpty:
            bytes.append(contentsOf: "{}".utf8)
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                Self.newline(into: &bytes, depth: depth + 1)
                Self.writeString(member.key, into: &bytes)
                bytes.append(contentsOf: ": ".utf8)
                member.value.write(into: &bytes, depth: depth + 1)
            }
            Self.newline(into: &bytes, depth: depth)
            bytes.append(UInt8(ascii: "}"))
        case .array(let elements) where elements.isEmpty:
            bytes.append(contentsOf: "[]".utf8)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                Self.newline(into: &bytes, depth: depth + 1)
                element.write(into: &bytes, depth: depth + 1)
            }
            Self.newline(into: &bytes, depth: depth)
            bytes.append(UInt8(ascii: "]"))
        default:
            self.writeCompact(into: &bytes)
        }
    }

    private func writeCompact(into bytes: inout [UInt8]) {
        switch self {
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                Self.writeString(member.key, into: &bytes)
                bytes.append(UInt8(ascii: ":"))
                member.value.writeCompact(into: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                element.writeCompact(into: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .string(let text):
            Self.writeString(text, into: &bytes)
        case .integer(let value):
            bytes.append(contentsOf: String(value).utf8)
        case .number(let text):
            bytes.append(contentsOf: text.utf8)
        case .bool(let value):
            bytes.append(contentsOf: (value ? "true" : "false").utf8)
        case .null:
            bytes.append(contentsOf: "null".utf8)
        }
    }

    /// Strings are escaped by ``JSONWriter``, so the documents escape exactly as the payloads do.
    private static func writeString(_ text: String, into bytes: inout [UInt8]) {
        var writer = JSONWriter(capacity: text.utf8.count + 2)
        writer.value(text)
        bytes.append(contentsOf: writer.bytes)
    }

    private static func newline(into bytes: inout [UInt8], depth: Int) {
        bytes.append(UInt8(ascii: "\n"))
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * depth))
    }
}

extension ContractJSON: ExpressibleByStringInterpolation, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    init(stringLiteral value: String) {
        self = .string(value)
    }

    init(integerLiteral value: Int) {
        self = .integer(value)
    }

    init(booleanLiteral value: Bool) {
        self = .bool(value)
    }
}
