import NIOCore

extension ByteBuffer {
    /// Writes `string` as a JSON string literal, escaping only what JSON requires (`"`, `\` and control characters):
    /// like JavaScript's `JSON.stringify`, and unlike Foundation on Linux, it never escapes `/`.
    @discardableResult
    public mutating func writeJSONString(_ string: String) -> Int {
        let start = self.writerIndex
        self.writeInteger(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): self.writeStaticString("\\\"")
            case UInt8(ascii: "\\"): self.writeStaticString("\\\\")
            case 0x0A: self.writeStaticString("\\n")
            case 0x0D: self.writeStaticString("\\r")
            case 0x09: self.writeStaticString("\\t")
            case 0x08: self.writeStaticString("\\b")
            case 0x0C: self.writeStaticString("\\f")
            case 0x00..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                self.writeStaticString("\\u00")
                self.writeInteger(hex[Int(byte >> 4)])
                self.writeInteger(hex[Int(byte & 0x0F)])
            default: self.writeInteger(byte)
            }
        }
        self.writeInteger(UInt8(ascii: "\""))
        return self.writerIndex - start
    }
}

/// JSON string encoding for callers that build strings.
public enum JSONString {
    /// `string` as a JSON string literal, quotes included.
    public static func encode(_ string: String) -> String {
        var buffer = ByteBuffer()
        buffer.writeJSONString(string)
        return String(buffer: buffer)
    }
}
