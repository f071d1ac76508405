/// Writes JSON bytes in the exact order it is told to: the payload encoders use it so that keys come out in contract
/// order, `/` is never escaped, and nothing is re-encoded.
///
/// It owns a plain buffer and is not copyable: the payload encoders sit on the simulator's hot path, and appending to
/// an `Array` byte by byte (a uniqueness and a capacity check each time) cost more than the encoding itself.
public struct JSONWriter: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int
    private var needsComma = false

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

    /// Makes room for `extra` more bytes.
    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        if self.count + extra > self.capacity {
            self.grow(to: self.count + extra)
        }
    }

    private mutating func grow(to needed: Int) {
        let capacity = max(needed, self.capacity * 2)
        let base = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        base.update(from: self.base, count: self.count)
        self.base.deallocate()
        self.base = base
        self.capacity = capacity
    }

    @inline(__always)
    private mutating func append(_ byte: UInt8) {
        self.reserve(1)
        self.base[self.count] = byte
        self.count += 1
    }

    @inline(__always)
    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        self.reserve(bytes.count)
        (self.base + self.count).update(from: source, count: bytes.count)
        self.count += bytes.count
    }

    public mutating func beginObject() {
        self.separate()
        self.append(UInt8(ascii: "{"))
        self.needsComma = false
    }

    public mutating func endObject() {
        self.append(UInt8(ascii: "}"))
        self.needsComma = true
    }

    public mutating func beginArray() {
        self.separate()
        self.append(UInt8(ascii: "["))
        self.needsComma = false
    }

    public mutating func endArray() {
        self.append(UInt8(ascii: "]"))
        self.needsComma = true
    }

    /// Writes `"key":`; the value follows.
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

    public mutating func value(_ value: Int) {
        self.separate()
        self.appendDigits(value)
        self.needsComma = true
    }

    /// "00" to "99", for writing two digits at a time.
    private static let digitPairs: StaticString = """
        00010203040506070809101112131415161718192021222324252627282930313233343536373839\
        40414243444546474849505152535455565758596061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899
        """

    /// Writes `value` (0 to 99) as two digits at `target`.
    @inline(__always)
    private static func writePair(_ value: Int, at target: UnsafeMutablePointer<UInt8>) {
        let pair = Self.digitPairs.utf8Start + 2 * value
        target[0] = pair[0]
        target[1] = pair[1]
    }

    /// Appends the decimal digits of `value` without building a `String`.
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

    /// Appends `YYYY-MM-DDTHH:MM:SS.mmmZ`; the year must have four digits.
    mutating func appendISO8601(year: Int64, month: Int64, day: Int64, millisecondOfDay ms: Int64) {
        self.reserve(24)
        let target = self.base + self.count
        let milliseconds = Int(ms)
        Self.writePair(Int(year / 100), at: target)
        Self.writePair(Int(year % 100), at: target + 2)
        target[4] = UInt8(ascii: "-")
        Self.writePair(Int(month), at: target + 5)
        target[7] = UInt8(ascii: "-")
        Self.writePair(Int(day), at: target + 8)
        target[10] = UInt8(ascii: "T")
        Self.writePair(milliseconds / 3_600_000, at: target + 11)
        target[13] = UInt8(ascii: ":")
        Self.writePair(milliseconds / 60_000 % 60, at: target + 14)
        target[16] = UInt8(ascii: ":")
        Self.writePair(milliseconds / 1000 % 60, at: target + 17)
        target[19] = UInt8(ascii: ".")
        let fraction = milliseconds % 1000
        target[20] = UInt8(ascii: "0") &+ UInt8(fraction / 100)
        Self.writePair(fraction % 100, at: target + 21)
        target[23] = UInt8(ascii: "Z")
        self.count += 24
    }

    /// The civil date of the last day written, since the timestamps of one payload mostly share it.
    var cachedDate: (days: Int64, year: Int64, month: Int64, day: Int64) = (.min, 0, 0, 0)

    public mutating func value(_ value: Bool) {
        self.separate()
        let literal: StaticString = value ? "true" : "false"
        self.append(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
        self.needsComma = true
    }

    public mutating func null() {
        self.separate()
        let literal: StaticString = "null"
        self.append(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
        self.needsComma = true
    }

    public mutating func value(_ value: String) {
        self.separate()
        self.append(UInt8(ascii: "\""))
        var value = value
        // Most strings need no escape: copy them whole from their UTF-8 storage.
        let copied: Bool = value.withUTF8 { utf8 in
            for byte in utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                return false
            }
            self.append(utf8)
            return true
        }
        if !copied {
            self.appendEscaped(value)
        }
        self.append(UInt8(ascii: "\""))
        self.needsComma = true
    }

    private mutating func appendEscaped(_ value: String) {
        let hex: StaticString = "0123456789abcdef"
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): self.append(UInt8(ascii: "\\")); self.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): self.append(UInt8(ascii: "\\")); self.append(UInt8(ascii: "\\"))
            case 0x0A: self.append(UInt8(ascii: "\\")); self.append(UInt8(ascii: "n"))
            case 0x0D: self.append(UInt8(ascii: "\\")); self.append(UInt8(ascii: "r"))
            case 0x09: self.append(UInt8(ascii: "\\")); self.append(UInt8(ascii: "t"))
            case 0x00..<0x20:
                for escape in "\\u00".utf8 {
                    self.append(escape)
                }
                self.append(hex.utf8Start[Int(byte >> 4)])
                self.append(hex.utf8Start[Int(byte & 0x0F)])
            default:
                self.append(byte)
            }
        }
    }

    public mutating func value(_ value: String?) {
        if let value { self.value(value) } else { self.null() }
    }

    public mutating func value(_ value: Int?) {
        if let value { self.value(value) } else { self.null() }
    }

    public mutating func value(_ value: Timestamp) {
        self.separate()
        self.append(UInt8(ascii: "\""))
        value.writeISO8601(into: &self)
        self.append(UInt8(ascii: "\""))
        self.needsComma = true
    }

    public mutating func value(_ value: Timestamp?) {
        if let value { self.value(value) } else { self.null() }
    }

    mutating func appendByte(_ byte: UInt8) {
        self.append(byte)
    }

    private mutating func separate() {
        if self.needsComma {
            self.append(UInt8(ascii: ","))
            self.needsComma = false
        }
    }
}

// The buffer is owned by exactly one writer (it cannot be copied), so moving a writer between threads is safe.
extension JSONWriter: @unchecked Sendable {}
