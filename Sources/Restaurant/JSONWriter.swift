/// Writes JSON bytes in the exact order it is told to: the payload encoders use it so that keys come out in contract
/// order, `/` is never escaped, and nothing is re-encoded.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    private var needsComma = false

    public init(capacity: Int = 256) {
        self.bytes.reserveCapacity(capacity)
    }

    public mutating func beginObject() {
        self.separate()
        self.bytes.append(UInt8(ascii: "{"))
        self.needsComma = false
    }

    public mutating func endObject() {
        self.bytes.append(UInt8(ascii: "}"))
        self.needsComma = true
    }

    public mutating func beginArray() {
        self.separate()
        self.bytes.append(UInt8(ascii: "["))
        self.needsComma = false
    }

    public mutating func endArray() {
        self.bytes.append(UInt8(ascii: "]"))
        self.needsComma = true
    }

    /// Writes `"key":`; the value follows.
    public mutating func key(_ key: StaticString) {
        self.separate()
        self.bytes.append(UInt8(ascii: "\""))
        self.bytes.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        self.bytes.append(UInt8(ascii: "\""))
        self.bytes.append(UInt8(ascii: ":"))
        self.needsComma = false
    }

    public mutating func value(_ value: Int) {
        self.separate()
        self.appendDigits(value)
        self.needsComma = true
    }

    /// Appends the decimal digits of `value` without building a `String`.
    mutating func appendDigits(_ value: Int) {
        if value < 0 {
            self.bytes.append(UInt8(ascii: "-"))
        }
        var magnitude = value.magnitude
        if magnitude < 10 {
            self.bytes.append(UInt8(ascii: "0") &+ UInt8(magnitude))
            return
        }
        // At most 20 digits; written backwards into a stack buffer, then appended in one go.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            var start = 20
            while magnitude > 0 {
                start -= 1
                buffer[start] = UInt8(ascii: "0") &+ UInt8(magnitude % 10)
                magnitude /= 10
            }
            self.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start...]))
        }
    }

    /// Appends `value` (0 to 99) as two digits.
    mutating func appendTwoDigits(_ value: Int64) {
        let tens = UInt8(truncatingIfNeeded: value / 10)
        self.bytes.append(UInt8(ascii: "0") &+ tens)
        self.bytes.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value) &- tens &* 10)
    }

    /// Appends `value` as exactly `width` digits, zero-padded; `value` must fit.
    mutating func appendDigits(_ value: Int64, width: Int) {
        switch width {
        case 2:
            self.appendTwoDigits(value)
        case 3:
            self.bytes.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value / 100))
            self.appendTwoDigits(value % 100)
        default:
            self.appendTwoDigits(value / 100)
            self.appendTwoDigits(value % 100)
        }
    }

    public mutating func value(_ value: Bool) {
        self.separate()
        self.bytes.append(contentsOf: (value ? "true" : "false").utf8)
        self.needsComma = true
    }

    public mutating func null() {
        self.separate()
        self.bytes.append(contentsOf: "null".utf8)
        self.needsComma = true
    }

    public mutating func value(_ value: String) {
        self.separate()
        self.bytes.append(UInt8(ascii: "\""))
        // Most strings need no escape: append them whole.
        var needsEscape = false
        for byte in value.utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            needsEscape = true
            break
        }
        guard needsEscape else {
            self.bytes.append(contentsOf: value.utf8)
            self.bytes.append(UInt8(ascii: "\""))
            self.needsComma = true
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                self.bytes.append(contentsOf: Array("\\u00".utf8))
                self.bytes.append(hex[Int(byte >> 4)])
                self.bytes.append(hex[Int(byte & 0x0F)])
            default:
                self.bytes.append(byte)
            }
        }
        self.bytes.append(UInt8(ascii: "\""))
        self.needsComma = true
    }

    public mutating func value(_ value: String?) {
        if let value { self.value(value) } else { self.null() }
    }

    public mutating func value(_ value: Int?) {
        if let value { self.value(value) } else { self.null() }
    }

    public mutating func value(_ value: Timestamp) {
        self.separate()
        self.bytes.append(UInt8(ascii: "\""))
        value.writeISO8601(into: &self)
        self.bytes.append(UInt8(ascii: "\""))
        self.needsComma = true
    }

    public mutating func value(_ value: Timestamp?) {
        if let value { self.value(value) } else { self.null() }
    }

    mutating func appendByte(_ byte: UInt8) {
        self.bytes.append(byte)
    }

    private mutating func separate() {
        if self.needsComma {
            self.bytes.append(UInt8(ascii: ","))
            self.needsComma = false
        }
    }
}
