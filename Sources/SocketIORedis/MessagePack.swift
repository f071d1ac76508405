import TablecastJSON

/// A decoded MessagePack value: what the classic Redis adapter, its emitter (notepack.io) and the Streams adapter's
/// binary path (`@msgpack/msgpack`) put on the wire.
public enum MessagePackValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    /// Only for `uint 64` values above `Int64.max`.
    case uint(UInt64)
    case double(Double)
    /// The UTF-8 bytes as sent (not checked: a decoder must not reject what JavaScript would accept).
    case string([UInt8])
    case binary([UInt8])
    case array([MessagePackValue])
    /// Entries in wire order, duplicates kept.
    case map([(key: MessagePackValue, value: MessagePackValue)])
    case ext(type: Int8, data: [UInt8])

    public static func == (lhs: MessagePackValue, rhs: MessagePackValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.uint(let a), .uint(let b)): a == b
        case (.double(let a), .double(let b)): a.bitPattern == b.bitPattern
        case (.string(let a), .string(let b)): a == b
        case (.binary(let a), .binary(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.map(let a), .map(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case (.ext(let t1, let d1), .ext(let t2, let d2)): t1 == t2 && d1 == d2
        default: false
        }
    }

    /// The string's text, for strings.
    public var text: String? {
        if case .string(let bytes) = self { String(decoding: bytes, as: UTF8.self) } else { nil }
    }
}

/// Why bytes are not one MessagePack value.
public struct MessagePackError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where the problem is, in bytes from the start.
    public var offset: Int
    public var reason: String

    public var description: String { "invalid MessagePack at byte \(self.offset): \(self.reason)" }
}

/// Decodes one MessagePack value, as notepack.io does: every format of the spec, and trailing bytes are an error.
public enum MessagePackDecoder {
    /// Deeper nesting is refused: a packet is a few levels deep, recursion stays bounded, and its JSON (one level more
    /// where a `Buffer` becomes a placeholder object) stays within what ``JSONParser`` reads.
    public static let maximumDepth = JSONParser.maximumDepth - 1

    public static func decode(_ bytes: [UInt8]) throws(MessagePackError) -> MessagePackValue {
        var reader = Reader(bytes: bytes)
        let value = try reader.value(depth: 0)
        guard reader.offset == bytes.count else {
            throw MessagePackError(offset: reader.offset, reason: "\(bytes.count - reader.offset) trailing bytes")
        }
        return value
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func byte() throws(MessagePackError) -> UInt8 {
            guard self.offset < self.bytes.count else {
                throw MessagePackError(offset: self.offset, reason: "the value ends early")
            }
            defer { self.offset += 1 }
            return self.bytes[self.offset]
        }

        mutating func unsigned(_ width: Int) throws(MessagePackError) -> UInt64 {
            guard self.bytes.count - self.offset >= width else {
                throw MessagePackError(offset: self.offset, reason: "the value ends early")
            }
            var value: UInt64 = 0
            for index in 0..<width {
                value = value << 8 | UInt64(self.bytes[self.offset + index])
            }
            self.offset += width
            return value
        }

        mutating func take(_ count: Int) throws(MessagePackError) -> [UInt8] {
            guard count >= 0, self.bytes.count - self.offset >= count else {
                throw MessagePackError(offset: self.offset, reason: "a length of \(count) runs past the end")
            }
            defer { self.offset += count }
            return Array(self.bytes[self.offset..<self.offset + count])
        }

        mutating func value(depth: Int) throws(MessagePackError) -> MessagePackValue {
            let start = self.offset
            let head = try self.byte()
            switch head {
            case 0x00...0x7f: return .int(Int64(head))
            case 0x80...0x8f: return try self.map(count: Int(head & 0x0f), depth: depth, at: start)
            case 0x90...0x9f: return try self.array(count: Int(head & 0x0f), depth: depth, at: start)
            case 0xa0...0xbf: return .string(try self.take(Int(head & 0x1f)))
            case 0xc0: return .null
            case 0xc2: return .bool(false)
            case 0xc3: return .bool(true)
            case 0xc4: return .binary(try self.take(Int(try self.unsigned(1))))
            case 0xc5: return .binary(try self.take(Int(try self.unsigned(2))))
            case 0xc6: return .binary(try self.take(Int(try self.unsigned(4))))
            case 0xc7: return try self.ext(length: Int(try self.unsigned(1)))
            case 0xc8: return try self.ext(length: Int(try self.unsigned(2)))
            case 0xc9: return try self.ext(length: Int(try self.unsigned(4)))
            case 0xca: return .double(Double(Float(bitPattern: UInt32(try self.unsigned(4)))))
            case 0xcb: return .double(Double(bitPattern: try self.unsigned(8)))
            case 0xcc: return .int(Int64(try self.unsigned(1)))
            case 0xcd: return .int(Int64(try self.unsigned(2)))
            case 0xce: return .int(Int64(try self.unsigned(4)))
            case 0xcf:
                let value = try self.unsigned(8)
                return value <= UInt64(Int64.max) ? .int(Int64(value)) : .uint(value)
            case 0xd0: return .int(Int64(Int8(truncatingIfNeeded: try self.unsigned(1))))
            case 0xd1: return .int(Int64(Int16(truncatingIfNeeded: try self.unsigned(2))))
            case 0xd2: return .int(Int64(Int32(truncatingIfNeeded: try self.unsigned(4))))
            case 0xd3: return .int(Int64(bitPattern: try self.unsigned(8)))
            case 0xd4: return try self.ext(length: 1)
            case 0xd5: return try self.ext(length: 2)
            case 0xd6: return try self.ext(length: 4)
            case 0xd7: return try self.ext(length: 8)
            case 0xd8: return try self.ext(length: 16)
            case 0xd9: return .string(try self.take(Int(try self.unsigned(1))))
            case 0xda: return .string(try self.take(Int(try self.unsigned(2))))
            case 0xdb: return .string(try self.take(Int(try self.unsigned(4))))
            case 0xdc: return try self.array(count: Int(try self.unsigned(2)), depth: depth, at: start)
            case 0xdd: return try self.array(count: Int(try self.unsigned(4)), depth: depth, at: start)
            case 0xde: return try self.map(count: Int(try self.unsigned(2)), depth: depth, at: start)
            case 0xdf: return try self.map(count: Int(try self.unsigned(4)), depth: depth, at: start)
            case 0xe0...0xff: return .int(Int64(Int8(bitPattern: head)))
            default:
                throw MessagePackError(offset: start, reason: "0xc1 is never used")
            }
        }

        mutating func ext(length: Int) throws(MessagePackError) -> MessagePackValue {
            let type = Int8(bitPattern: try self.byte())
            return .ext(type: type, data: try self.take(length))
        }

        mutating func array(count: Int, depth: Int, at start: Int) throws(MessagePackError) -> MessagePackValue {
            guard depth < MessagePackDecoder.maximumDepth else {
                throw MessagePackError(offset: start, reason: "nested deeper than \(MessagePackDecoder.maximumDepth)")
            }
            // Each element takes at least a byte: a count beyond what is left is a lie, not a reason to allocate.
            guard count <= self.bytes.count - self.offset else {
                throw MessagePackError(offset: start, reason: "an array of \(count) elements runs past the end")
            }
            var elements: [MessagePackValue] = []
            elements.reserveCapacity(count)
            for _ in 0..<count {
                elements.append(try self.value(depth: depth + 1))
            }
            return .array(elements)
        }

        mutating func map(count: Int, depth: Int, at start: Int) throws(MessagePackError) -> MessagePackValue {
            guard depth < MessagePackDecoder.maximumDepth else {
                throw MessagePackError(offset: start, reason: "nested deeper than \(MessagePackDecoder.maximumDepth)")
            }
            guard count <= (self.bytes.count - self.offset) / 2 else {
                throw MessagePackError(offset: start, reason: "a map of \(count) entries runs past the end")
            }
            var entries: [(key: MessagePackValue, value: MessagePackValue)] = []
            entries.reserveCapacity(count)
            for _ in 0..<count {
                let key = try self.value(depth: depth + 1)
                let value = try self.value(depth: depth + 1)
                entries.append((key, value))
            }
            return .map(entries)
        }
    }
}

/// Writes MessagePack in the smallest form for each value, as notepack.io and `@msgpack/msgpack` both do: integers
/// in the shortest int format, other numbers as float64, strings and containers with the shortest header.
public struct MessagePackWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 256) {
        self.bytes.reserveCapacity(capacity)
    }

    public mutating func null() {
        self.bytes.append(0xc0)
    }

    public mutating func bool(_ value: Bool) {
        self.bytes.append(value ? 0xc3 : 0xc2)
    }

    public mutating func int(_ value: Int64) {
        if value >= 0 {
            self.uint(UInt64(value))
        } else if value >= -32 {
            self.bytes.append(UInt8(bitPattern: Int8(value)))
        } else if value >= -128 {
            self.bytes.append(0xd0)
            self.bytes.append(UInt8(bitPattern: Int8(value)))
        } else if value >= -32768 {
            self.bytes.append(0xd1)
            self.bigEndian(UInt64(UInt16(bitPattern: Int16(value))), width: 2)
        } else if value >= -2_147_483_648 {
            self.bytes.append(0xd2)
            self.bigEndian(UInt64(UInt32(bitPattern: Int32(value))), width: 4)
        } else {
            self.bytes.append(0xd3)
            self.bigEndian(UInt64(bitPattern: value), width: 8)
        }
    }

    public mutating func uint(_ value: UInt64) {
        switch value {
        case 0..<0x80: self.bytes.append(UInt8(value))
        case 0..<0x100: self.bytes.append(0xcc); self.bigEndian(value, width: 1)
        case 0..<0x10000: self.bytes.append(0xcd); self.bigEndian(value, width: 2)
        case 0..<0x1_0000_0000: self.bytes.append(0xce); self.bigEndian(value, width: 4)
        default: self.bytes.append(0xcf); self.bigEndian(value, width: 8)
        }
    }

    /// A `uint 64` or `int 64` head and eight bytes, whatever the value.
    mutating func raw64(head: UInt8, _ word: UInt64) {
        self.bytes.append(head)
        self.bigEndian(word, width: 8)
    }

    public mutating func double(_ value: Double) {
        self.bytes.append(0xcb)
        self.bigEndian(value.bitPattern, width: 8)
    }

    public mutating func string(_ utf8: some Collection<UInt8>) {
        let count = utf8.count
        switch count {
        case 0..<32: self.bytes.append(0xa0 | UInt8(count))
        case 0..<0x100: self.bytes.append(0xd9); self.bigEndian(UInt64(count), width: 1)
        case 0..<0x10000: self.bytes.append(0xda); self.bigEndian(UInt64(count), width: 2)
        default: self.bytes.append(0xdb); self.bigEndian(UInt64(count), width: 4)
        }
        self.bytes.append(contentsOf: utf8)
    }

    public mutating func string(_ text: String) {
        self.string(text.utf8)
    }

    public mutating func binary(_ data: [UInt8]) {
        switch data.count {
        case 0..<0x100: self.bytes.append(0xc4); self.bigEndian(UInt64(data.count), width: 1)
        case 0..<0x10000: self.bytes.append(0xc5); self.bigEndian(UInt64(data.count), width: 2)
        default: self.bytes.append(0xc6); self.bigEndian(UInt64(data.count), width: 4)
        }
        self.bytes.append(contentsOf: data)
    }

    public mutating func arrayHeader(_ count: Int) {
        switch count {
        case 0..<16: self.bytes.append(0x90 | UInt8(count))
        case 0..<0x10000: self.bytes.append(0xdc); self.bigEndian(UInt64(count), width: 2)
        default: self.bytes.append(0xdd); self.bigEndian(UInt64(count), width: 4)
        }
    }

    public mutating func mapHeader(_ count: Int) {
        switch count {
        case 0..<16: self.bytes.append(0x80 | UInt8(count))
        case 0..<0x10000: self.bytes.append(0xde); self.bigEndian(UInt64(count), width: 2)
        default: self.bytes.append(0xdf); self.bigEndian(UInt64(count), width: 4)
        }
    }

    public mutating func ext(type: Int8, data: [UInt8]) {
        switch data.count {
        case 1: self.bytes.append(0xd4)
        case 2: self.bytes.append(0xd5)
        case 4: self.bytes.append(0xd6)
        case 8: self.bytes.append(0xd7)
        case 16: self.bytes.append(0xd8)
        case 0..<0x100: self.bytes.append(0xc7); self.bigEndian(UInt64(data.count), width: 1)
        case 0..<0x10000: self.bytes.append(0xc8); self.bigEndian(UInt64(data.count), width: 2)
        default: self.bytes.append(0xc9); self.bigEndian(UInt64(data.count), width: 4)
        }
        self.bytes.append(UInt8(bitPattern: type))
        self.bytes.append(contentsOf: data)
    }

    /// Writes a decoded value back (the round trip the fuzz target checks).
    public mutating func value(_ value: MessagePackValue) {
        switch value {
        case .null: self.null()
        case .bool(let flag): self.bool(flag)
        case .int(let number): self.int(number)
        case .uint(let number): self.uint(number)
        case .double(let number): self.double(number)
        case .string(let utf8): self.string(utf8)
        case .binary(let data): self.binary(data)
        case .array(let elements):
            self.arrayHeader(elements.count)
            for element in elements {
                self.value(element)
            }
        case .map(let entries):
            self.mapHeader(entries.count)
            for entry in entries {
                self.value(entry.key)
                self.value(entry.value)
            }
        case .ext(let type, let data): self.ext(type: type, data: data)
        }
    }

    private mutating func bigEndian(_ value: UInt64, width: Int) {
        for shift in stride(from: (width - 1) * 8, through: 0, by: -8) {
            self.bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }
}
