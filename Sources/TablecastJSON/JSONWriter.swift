/// Writes JSON bytes in the exact order it is told to: the payload encoders use it so that keys come out in contract
/// order, and everything else that writes JSON uses it so that every byte tablecast writes follows one set of rules:
///
/// - strings escape only what JSON requires, as JavaScript's `JSON.stringify` does: `"` and `\`, `\b`, `\f`, `\n`,
///   `\r`, `\t`, and other control characters as `\u00XX` (lowercase hex); never `/`, never non-ASCII;
/// - integers as Swift prints them, other numbers exactly as they were written;
/// - no whitespace, members in the order written.
///
/// It owns a plain buffer and is not copyable: the payload encoders sit on the simulator's hot path, and appending to
/// an `Array` byte by byte (a uniqueness and a capacity check each time) cost more than the encoding itself. Its
/// methods are inlinable for the same reason: the encoders live in other modules.
public struct JSONWriter: ~Copyable {
    @usableFromInline var base: UnsafeMutablePointer<UInt8>
    @usableFromInline var count = 0
    @usableFromInline var capacity: Int
    @usableFromInline var needsComma = false

    /// The civil date of the last day an encoder of times wrote, since the times of one document mostly share it and
    /// working the date out costs more than writing it: `days` since 1970-01-01, and its year, month and day.
    public var cachedDate: (days: Int64, year: Int64, month: Int64, day: Int64) = (.min, 0, 0, 0)

    public init(capacity: Int = 256) {
        self.capacity = max(16, capacity)
        self.base = .allocate(capacity: self.capacity)
    }

    deinit {
        self.base.deallocate()
    }

    /// The JSON written so far.
    public var bytes: [UInt8] {
        Array(UnsafeBufferPointer(start: self.base, count: self.count))
    }

    /// The JSON written so far, as text.
    public var text: String {
        String(decoding: UnsafeBufferPointer(start: self.base, count: self.count), as: UTF8.self)
    }

    // MARK: Structure

    @inlinable
    public mutating func beginObject() {
        self.separate()
        self.append(UInt8(ascii: "{"))
        self.needsComma = false
    }

    @inlinable
    public mutating func endObject() {
        self.append(UInt8(ascii: "}"))
        self.needsComma = true
    }

    @inlinable
    public mutating func beginArray() {
        self.separate()
        self.append(UInt8(ascii: "["))
        self.needsComma = false
    }

    @inlinable
    public mutating func endArray() {
        self.append(UInt8(ascii: "]"))
        self.needsComma = true
    }

    /// Writes `"key":`, for a key that needs no escaping (the contract's); the value follows.
    @inlinable
    public mutating func key(_ key: StaticString) {
        let length = key.utf8CodeUnitCount
        self.reserve(length + 4)
        if self.needsComma {
            self.base[self.count] = UInt8(ascii: ",")
            self.count += 1
        }
        self.base[self.count] = UInt8(ascii: "\"")
        (self.base + self.count + 1).update(from: key.utf8Start, count: length)
        self.base[self.count + 1 + length] = UInt8(ascii: "\"")
        self.base[self.count + 2 + length] = UInt8(ascii: ":")
        self.count += length + 3
        self.needsComma = false
    }

    /// Writes `"key":` for any key, escaped as a string value is; the value follows.
    public mutating func key(string key: String) {
        self.value(key)
        self.append(UInt8(ascii: ":"))
        self.needsComma = false
    }

    // MARK: Values

    @inlinable
    public mutating func value(_ value: Int) {
        self.separate()
        self.appendDigits(value)
        self.needsComma = true
    }

    @inlinable
    public mutating func value(_ value: Bool) {
        self.separate()
        if value {
            self.append(literal: "true")
        } else {
            self.append(literal: "false")
        }
        self.needsComma = true
    }

    @inlinable
    public mutating func null() {
        self.separate()
        self.append(literal: "null")
        self.needsComma = true
    }

    @inlinable
    public mutating func value(_ value: String) {
        self.separate()
        var value = value
        // Most strings need no escape: copied whole, quotes and all, in one reservation.
        let copied: Bool = value.withUTF8 { utf8 in
            for byte in utf8 where Self.needsEscape(byte) {
                return false
            }
            self.reserve(utf8.count + 2)
            self.base[self.count] = UInt8(ascii: "\"")
            if let source = utf8.baseAddress {
                (self.base + self.count + 1).update(from: source, count: utf8.count)
            }
            self.base[self.count + 1 + utf8.count] = UInt8(ascii: "\"")
            self.count += utf8.count + 2
            return true
        }
        if !copied {
            Self.writeString(value) { piece in self.append(piece) }
        }
        self.needsComma = true
    }

    @inlinable
    public mutating func value(_ value: String?) {
        if let value { self.value(value) } else { self.null() }
    }

    @inlinable
    public mutating func value(_ value: Int?) {
        if let value { self.value(value) } else { self.null() }
    }

    /// Writes bytes that are already one JSON value (checked by the caller), exactly as they are: a payload embedded
    /// in a document keeps its bytes.
    public mutating func rawValue(_ json: some Collection<UInt8>) {
        self.separate()
        self.reserve(json.count)
        let written = UnsafeMutableBufferPointer(start: self.base + self.count, count: json.count).initialize(
            fromContentsOf: json)
        self.count += written
        self.needsComma = true
    }

    /// Writes a time as the string `"YYYY-MM-DDTHH:MM:SS.mmmZ"`, the form of JavaScript's `Date.toJSON`, from its
    /// civil date (a year of four digits, 0 to 9999) and its millisecond of the day; in one write, without a
    /// `String`.
    @inlinable
    public mutating func dateTime(year: Int64, month: Int64, day: Int64, millisecondOfDay: Int64) {
        self.separate()
        self.reserve(26)
        let target = self.base + self.count
        let milliseconds = Int(millisecondOfDay)
        target[0] = UInt8(ascii: "\"")
        Self.writePair(Int(year / 100), at: target + 1)
        Self.writePair(Int(year % 100), at: target + 3)
        target[5] = UInt8(ascii: "-")
        Self.writePair(Int(month), at: target + 6)
        target[8] = UInt8(ascii: "-")
        Self.writePair(Int(day), at: target + 9)
        target[11] = UInt8(ascii: "T")
        Self.writePair(milliseconds / 3_600_000, at: target + 12)
        target[14] = UInt8(ascii: ":")
        Self.writePair(milliseconds / 60_000 % 60, at: target + 15)
        target[17] = UInt8(ascii: ":")
        Self.writePair(milliseconds / 1000 % 60, at: target + 18)
        target[20] = UInt8(ascii: ".")
        let fraction = milliseconds % 1000
        target[21] = UInt8(ascii: "0") &+ UInt8(fraction / 100)
        Self.writePair(fraction % 100, at: target + 22)
        target[24] = UInt8(ascii: "Z")
        target[25] = UInt8(ascii: "\"")
        self.count += 26
        self.needsComma = true
    }

    // MARK: Strings

    /// Writes `text` as a JSON string literal, quotes included, through `append`, in pieces: runs of bytes that need
    /// no escape, copied whole from the string's UTF-8, and escapes. This is the one escaping rule (see the type's
    /// description); writers of other buffers (a `ByteBuffer`) call it too.
    @inlinable
    public static func writeString(_ text: String, to append: (UnsafeRawBufferPointer) -> Void) {
        var text = text
        text.withUTF8 { utf8 in
            Self.withBytes(of: "\"", append)
            var runStart = 0
            for index in utf8.indices {
                let byte = utf8[index]
                guard Self.needsEscape(byte) else { continue }
                if runStart < index {
                    append(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8)[runStart..<index]))
                }
                Self.escape(byte, append)
                runStart = index + 1
            }
            if runStart < utf8.count {
                append(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8)[runStart...]))
            }
            Self.withBytes(of: "\"", append)
        }
    }

    /// `text` as a JSON string literal, quotes included: for messages that quote a name.
    public static func stringLiteral(_ text: String) -> String {
        var writer = JSONWriter(capacity: text.utf8.count + 2)
        writer.value(text)
        return writer.text
    }

    /// Whether JSON needs `byte` escaped in a string: `"`, `\` and the control characters.
    @inlinable @inline(__always)
    static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    @usableFromInline
    static func escape(_ byte: UInt8, _ append: (UnsafeRawBufferPointer) -> Void) {
        switch byte {
        case UInt8(ascii: "\""): Self.withBytes(of: "\\\"", append)
        case UInt8(ascii: "\\"): Self.withBytes(of: "\\\\", append)
        case 0x08: Self.withBytes(of: "\\b", append)
        case 0x0C: Self.withBytes(of: "\\f", append)
        case 0x0A: Self.withBytes(of: "\\n", append)
        case 0x0D: Self.withBytes(of: "\\r", append)
        case 0x09: Self.withBytes(of: "\\t", append)
        default:
            let hex: StaticString = "0123456789abcdef"
            let escape: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (
                UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                hex.utf8Start[Int(byte >> 4)], hex.utf8Start[Int(byte & 0x0F)]
            )
            withUnsafeBytes(of: escape) { append($0) }
        }
    }

    @usableFromInline
    static func withBytes(of text: StaticString, _ body: (UnsafeRawBufferPointer) -> Void) {
        body(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    // MARK: Buffer

    /// Makes room for `extra` more bytes.
    @inlinable @inline(__always)
    mutating func reserve(_ extra: Int) {
        if self.count + extra > self.capacity {
            self.grow(to: self.count + extra)
        }
    }

    @usableFromInline
    mutating func grow(to needed: Int) {
        let capacity = max(needed, self.capacity * 2)
        let base = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        base.update(from: self.base, count: self.count)
        self.base.deallocate()
        self.base = base
        self.capacity = capacity
    }

    @inlinable @inline(__always)
    mutating func append(_ byte: UInt8) {
        self.reserve(1)
        self.base[self.count] = byte
        self.count += 1
    }

    @inlinable @inline(__always)
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        self.reserve(bytes.count)
        UnsafeMutableRawPointer(self.base + self.count).copyMemory(from: source, byteCount: bytes.count)
        self.count += bytes.count
    }

    @inlinable @inline(__always)
    mutating func append(literal: StaticString) {
        self.append(UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    @inlinable @inline(__always)
    mutating func separate() {
        if self.needsComma {
            self.append(UInt8(ascii: ","))
            self.needsComma = false
        }
    }

    // MARK: Digits

    /// "00" to "99", for writing two digits at a time.
    @usableFromInline
    static let digitPairs: StaticString = """
        00010203040506070809101112131415161718192021222324252627282930313233343536373839\
        40414243444546474849505152535455565758596061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899
        """

    /// Writes `value` (0 to 99) as two digits at `target`.
    @inlinable @inline(__always)
    static func writePair(_ value: Int, at target: UnsafeMutablePointer<UInt8>) {
        let pair = Self.digitPairs.utf8Start + 2 * value
        target[0] = pair[0]
        target[1] = pair[1]
    }

    /// Appends the decimal digits of `value` without building a `String`.
    @inlinable
    mutating func appendDigits(_ value: Int) {
        var magnitude = value.magnitude
        var digits = 1
        var bound: UInt = 10
        while magnitude >= bound, digits < 19 {
            digits += 1
            bound &*= 10
        }
        if magnitude >= bound {
            digits = 20
        }
        let sign = value < 0 ? 1 : 0
        self.reserve(digits + sign)
        if sign == 1 {
            self.base[self.count] = UInt8(ascii: "-")
        }
        // Written backwards, two digits at a time.
        var position = self.count + sign + digits
        while magnitude >= 100 {
            position -= 2
            Self.writePair(Int(magnitude % 100), at: self.base + position)
            magnitude /= 100
        }
        if magnitude >= 10 {
            position -= 2
            Self.writePair(Int(magnitude), at: self.base + position)
        } else {
            self.base[position - 1] = UInt8(ascii: "0") &+ UInt8(magnitude)
        }
        self.count += sign + digits
    }
}

// The buffer is owned by exactly one writer (it cannot be copied), so moving a writer between threads is safe.
extension JSONWriter: @unchecked Sendable {}
