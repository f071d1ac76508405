import NIOCore

/// What a load client does with one Engine.IO packet, whichever transport carried it.
enum LoadPacket {
    /// Engine.IO open: join the namespace.
    case open
    /// Engine.IO ping: answer `3`.
    case ping
    /// A Socket.IO EVENT, with its trace when the server traced it.
    case event(trace: (seq: Int64, emittedAt: Int64)?)
    /// The namespace accepted the client.
    case connected
    /// The client's session ended, for this reason.
    case ended(String)
    /// Anything else (noop, pong, upgrade…).
    case other

    /// The CONNECT a load client sends: its namespace, asking for each event's trace.
    static func connect(namespace: String) -> String {
        "40\(namespace),{\"tablecastTrace\":true}"
    }

    init(_ packet: ByteBuffer) {
        self = packet.withUnsafeReadableBytes { Self(bytes: $0) }
    }

    /// Classifies one packet from its bytes, read in place.
    init(bytes packet: UnsafeRawBufferPointer) {
        guard let type = packet.first else {
            self = .other
            return
        }
        switch type {
        case UInt8(ascii: "0"):
            self = .open
        case UInt8(ascii: "2"):
            self = .ping
        case UInt8(ascii: "1"):
            self = .ended("the server closed the session")
        case UInt8(ascii: "4"):
            switch packet.count > 1 ? packet[1] : 0 {
            case UInt8(ascii: "2"): self = .event(trace: Self.trace(packet))
            case UInt8(ascii: "0"): self = .connected
            case UInt8(ascii: "1"): self = .ended("io server disconnect")
            case UInt8(ascii: "4"):
                self = .ended("the namespace refused the client: \(String(decoding: packet, as: UTF8.self))")
            default: self = .other
            }
        default:
            self = .other
        }
    }

    /// The trailing `{"seq":N,"emittedAt":T}]` of a traced event, read backwards from the end; `nil` without one.
    static func trace(_ bytes: UnsafeRawBufferPointer) -> (seq: Int64, emittedAt: Int64)? {
        var index = bytes.count - 1
        guard index > 2, bytes[index] == UInt8(ascii: "]"), bytes[index - 1] == UInt8(ascii: "}") else {
            return nil
        }
        index -= 2
        func number() -> Int64? {
            var value: Int64 = 0
            var scale: Int64 = 1
            var digits = 0
            while index >= 0, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                // More digits than the server writes: not a trace (and more than an Int64 holds).
                guard digits < 18 else { return nil }
                value += Int64(bytes[index] - UInt8(ascii: "0")) * scale
                scale &*= 10
                index -= 1
                digits += 1
            }
            return digits > 0 ? value : nil
        }
        func expect(_ text: StaticString) -> Bool {
            let count = text.utf8CodeUnitCount
            guard index - count + 1 >= 0 else { return false }
            for offset in 0..<count where bytes[index - count + 1 + offset] != text.utf8Start[offset] {
                return false
            }
            index -= count
            return true
        }
        guard let emittedAt = number(), expect(",\"emittedAt\":"), let seq = number(), expect("{\"seq\":")
        else { return nil }
        return (seq, emittedAt)
    }
}

/// The bytes a connection has received and not yet parsed: what arrives is appended, what is left after parsing is
/// kept (compacted, so the buffer never grows with what was already read).
struct ByteCumulation {
    private var pending: ByteBuffer?

    /// Everything received so far and not consumed, `incoming` included.
    mutating func take(_ incoming: ByteBuffer) -> ByteBuffer {
        guard var buffer = self.pending, buffer.readableBytes > 0 else {
            self.pending = nil
            return incoming
        }
        var incoming = incoming
        buffer.writeBuffer(&incoming)
        self.pending = nil
        return buffer
    }

    /// Keeps what `buffer` has not consumed for the next read.
    mutating func keep(_ buffer: ByteBuffer) {
        guard buffer.readableBytes > 0 else { return }
        var rest = buffer
        rest.discardReadBytes()
        self.pending = rest
    }
}
