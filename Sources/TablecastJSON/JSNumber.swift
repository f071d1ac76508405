/// Numbers as JavaScript writes them (`Number.prototype.toString`, which `JSON.stringify` uses): the shortest digits
/// that read back as the same double, in plain notation from 1e-6 up to 1e21 and in exponent notation outside
/// (`1e+21`, `1e-7`, `1.5e-7`), `-0` as `0`; and `null` for NaN and the infinities, as `JSON.stringify` does.
public enum JSNumber {
    /// The number's JSON text.
    public static func json(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        return self.string(value)
    }

    /// `Number.prototype.toString()` for a finite number.
    public static func string(_ value: Double) -> String {
        if value == 0 {
            return "0"
        }
        if value == value.rounded(), abs(value) < 0x1p53 {
            return String(Int64(value))
        }
        // Swift prints the shortest digits that round-trip too; only the notation differs. Take the digits and the
        // decimal exponent out of its text: value = 0.d1d2…dk × 10^n.
        let text = abs(value).description
        var digits: [UInt8] = []
        var pointPosition: Int?
        var exponent = 0
        var utf8 = text.utf8[...]
        while let byte = utf8.first, byte != UInt8(ascii: "e") {
            if byte == UInt8(ascii: ".") {
                pointPosition = digits.count
            } else {
                digits.append(byte)
            }
            utf8 = utf8.dropFirst()
        }
        if !utf8.isEmpty {
            exponent = Int(String(decoding: utf8.dropFirst(), as: UTF8.self)) ?? 0
        }
        var n = (pointPosition ?? digits.count) + exponent
        while digits.first == UInt8(ascii: "0") {
            digits.removeFirst()
            n -= 1
        }
        while digits.last == UInt8(ascii: "0") {
            digits.removeLast()
        }
        let k = digits.count
        var out = value < 0 ? "-" : ""
        let digitText = String(decoding: digits, as: UTF8.self)
        if k <= n, n <= 21 {
            out += digitText + String(repeating: "0", count: n - k)
        } else if 0 < n, n <= 21 {
            out += String(decoding: digits[..<n], as: UTF8.self) + "." + String(decoding: digits[n...], as: UTF8.self)
        } else if -6 < n, n <= 0 {
            out += "0." + String(repeating: "0", count: -n) + digitText
        } else {
            let e = n - 1
            out += String(decoding: digits[..<1], as: UTF8.self)
            if k > 1 {
                out += "." + String(decoding: digits[1...], as: UTF8.self)
            }
            out += e < 0 ? "e-\(-e)" : "e+\(e)"
        }
        return out
    }
}
