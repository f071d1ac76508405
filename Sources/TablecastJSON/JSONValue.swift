/// A JSON value that keeps what payload checking and the contract documents need and Foundation's
/// `JSONSerialization` loses on Linux: object members in document order (duplicates included), booleans apart from
/// numbers, integers apart from fractions, and fractions as written.
///
/// ``JSONParser`` reads one; ``JSONWriter`` writes one back (``compact``, ``document``), members in the same order, so
/// that two renders of a value are byte-identical.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// A number written without fraction or exponent that fits in an `Int`.
    case integer(Int)
    /// Any other number, kept exactly as it was written.
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in document order.
    case object([Member])

    /// One `"key": value` member of an object.
    public struct Member: Sendable, Hashable {
        public var key: String
        public var value: JSONValue

        public init(_ key: String, _ value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// The JSON type's name, for messages: `object`, `string`, `integer`, ….
    public var typeName: String {
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
    public var integerValue: Int? {
        switch self {
        case .integer(let value):
            return value
        case .number(let text):
            // Compared in range, then converted back, rather than with `rounded()` or `Int(exactly:)`: those call libm,
            // which a program that links this module without Foundation (the JSON fuzz target) does not have.
            guard let value = Double(text), value >= -0x1p63, value < 0x1p63 else { return nil }
            let integer = Int(value)
            return Double(integer) == value ? integer : nil
        default:
            return nil
        }
    }

    /// The value of the first member named `key`, when this is an object that has one.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }
}

extension JSONValue: ExpressibleByStringInterpolation, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) {
        self = .string(value)
    }

    public init(integerLiteral value: Int) {
        self = .integer(value)
    }

    public init(booleanLiteral value: Bool) {
        self = .bool(value)
    }
}
