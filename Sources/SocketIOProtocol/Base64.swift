import NIOCore

/// Standard base64 (RFC 4648, with padding), as Engine.IO uses for binary records in long-polling payloads.
public enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private static let reverse: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in Base64.alphabet.enumerated() {
            table[Int(byte)] = UInt8(index)
        }
        return table
    }()

    /// Appends the base64 encoding of `bytes` to `buffer`.
    public static func encode(_ bytes: some Collection<UInt8>, into buffer: inout ByteBuffer) {
        var iterator = bytes.makeIterator()
        buffer.reserveCapacity(minimumWritableBytes: (bytes.count + 2) / 3 * 4)
        while let first = iterator.next() {
            let second = iterator.next()
            let third = iterator.next()
            let value = UInt32(first) << 16 | UInt32(second ?? 0) << 8 | UInt32(third ?? 0)
            buffer.writeInteger(Self.alphabet[Int(value >> 18 & 0x3F)])
            buffer.writeInteger(Self.alphabet[Int(value >> 12 & 0x3F)])
            buffer.writeInteger(second == nil ? UInt8(ascii: "=") : Self.alphabet[Int(value >> 6 & 0x3F)])
            buffer.writeInteger(third == nil ? UInt8(ascii: "=") : Self.alphabet[Int(value & 0x3F)])
        }
    }

    /// Decodes padded base64; `nil` for any character outside the alphabet or a bad length.
    public static func decode(_ encoded: some Collection<UInt8>) -> [UInt8]? {
        let input = Array(encoded)
        guard input.count % 4 == 0 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(input.count / 4 * 3)
        var index = 0
        while index < input.count {
            let isLast = index + 4 == input.count
            var values: [UInt32] = [0, 0, 0, 0]
            var padding = 0
            for offset in 0..<4 {
                let byte = input[index + offset]
                if byte == UInt8(ascii: "="), isLast, offset >= 2 {
                    padding += 1
                    continue
                }
                guard padding == 0 else { return nil }
                let value = Self.reverse[Int(byte)]
                guard value != 0xFF else { return nil }
                values[offset] = UInt32(value)
            }
            let combined = values[0] << 18 | values[1] << 12 | values[2] << 6 | values[3]
            output.append(UInt8(combined >> 16 & 0xFF))
            if padding < 2 { output.append(UInt8(combined >> 8 & 0xFF)) }
            if padding < 1 { output.append(UInt8(combined & 0xFF)) }
            index += 4
        }
        return output
    }
}
