import NIOCore

/// The Engine.IO v4 packet types, in wire order.
public enum EngineIOPacketType: UInt8, Sendable, CaseIterable {
    case open = 0
    case close = 1
    case ping = 2
    case pong = 3
    case message = 4
    case upgrade = 5
    case noop = 6

    /// The ASCII digit that starts a text-encoded packet of this type.
    @inlinable
    public var character: UInt8 { UInt8(ascii: "0") + self.rawValue }
}

/// One Engine.IO packet as received: its type and its data, text or binary.
public struct EngineIOPacket: Sendable, Equatable {
    public var type: EngineIOPacketType
    /// The data after the type character (text), or the whole binary payload (binary messages).
    public var data: ByteBuffer
    /// Binary packets are always `message` packets: a WebSocket binary frame or a `b`-prefixed polling record.
    public var isBinary: Bool

    public init(type: EngineIOPacketType, data: ByteBuffer = ByteBuffer(), isBinary: Bool = false) {
        self.type = type
        self.data = data
        self.isBinary = isBinary
    }

    /// Decodes a text packet (a WebSocket text frame, or one polling record without the `b` prefix).
    /// - Throws: ``EngineIOParseError`` when the buffer is empty or starts with an unknown type.
    public static func decodeText(_ buffer: ByteBuffer) throws(EngineIOParseError) -> EngineIOPacket {
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else {
            throw EngineIOParseError(reason: "empty packet")
        }
        guard first >= UInt8(ascii: "0"), let type = EngineIOPacketType(rawValue: first &- UInt8(ascii: "0")) else {
            throw EngineIOParseError(reason: "unknown packet type")
        }
        let data = buffer.getSlice(at: buffer.readerIndex + 1, length: buffer.readableBytes - 1) ?? ByteBuffer()
        return EngineIOPacket(type: type, data: data)
    }

    /// Decodes the body of a polling POST: records separated by `\x1e`, binary ones as `b<base64>`.
    public static func decodePayload(_ body: ByteBuffer) throws(EngineIOParseError) -> [EngineIOPacket] {
        var packets: [EngineIOPacket] = []
        var remaining = body
        while remaining.readableBytes > 0 || packets.isEmpty {
            let length = remaining.readableBytesView.firstIndex(of: 0x1E).map { $0 - remaining.readerIndex }
                ?? remaining.readableBytes
            let record = remaining.readSlice(length: length)!
            if remaining.readableBytes > 0 {
                remaining.moveReaderIndex(forwardBy: 1)
                if remaining.readableBytes == 0 {
                    throw EngineIOParseError(reason: "empty record at the end of the payload")
                }
            }
            if record.getInteger(at: record.readerIndex, as: UInt8.self) == UInt8(ascii: "b") {
                let encoded = record.readableBytesView.dropFirst()
                guard let decoded = Base64.decode(encoded) else {
                    throw EngineIOParseError(reason: "invalid base64 in binary record")
                }
                packets.append(EngineIOPacket(type: .message, data: ByteBuffer(bytes: decoded), isBinary: true))
            } else {
                packets.append(try Self.decodeText(record))
            }
        }
        return packets
    }
}

/// Why bytes are not a valid Engine.IO packet.
public struct EngineIOParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String

    public init(reason: String) {
        self.reason = reason
    }

    public var description: String { "invalid Engine.IO packet: \(self.reason)" }
}

/// One outbound Engine.IO packet, already encoded: exactly the content of one WebSocket frame.
///
/// Text frames carry the type character followed by the data (`42/events,[…]`); binary frames carry the raw bytes
/// of a binary message. The same value serves both transports: a polling response joins frames with `\x1e` and
/// writes binary ones as `b<base64>`.
public struct EngineIOFrame: Sendable, Equatable {
    public var isBinary: Bool
    public var bytes: ByteBuffer

    public init(isBinary: Bool = false, bytes: ByteBuffer) {
        self.isBinary = isBinary
        self.bytes = bytes
    }

    /// A text packet of `type` with `data` after the type character.
    public static func text(_ type: EngineIOPacketType, _ data: String = "") -> EngineIOFrame {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(1 + data.utf8.count)
        buffer.writeInteger(type.character)
        buffer.writeString(data)
        return EngineIOFrame(bytes: buffer)
    }

    /// A text packet of `type` with `data` after the type character.
    public static func text(_ type: EngineIOPacketType, bytes data: ByteBuffer) -> EngineIOFrame {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(1 + data.readableBytes)
        buffer.writeInteger(type.character)
        buffer.writeImmutableBuffer(data)
        return EngineIOFrame(bytes: buffer)
    }

    /// A binary message.
    public static func binary(_ data: ByteBuffer) -> EngineIOFrame {
        EngineIOFrame(isBinary: true, bytes: data)
    }

    public static let ping = EngineIOFrame.text(.ping)
    public static let pong = EngineIOFrame.text(.pong)
    public static let noop = EngineIOFrame.text(.noop)
    public static let close = EngineIOFrame.text(.close)
    public static let probeResponse = EngineIOFrame.text(.pong, "probe")

    /// Encodes frames as a long-polling response body: records joined by `\x1e`, binary ones as `b<base64>`.
    public static func encodePayload(_ frames: [EngineIOFrame], into buffer: inout ByteBuffer) {
        var first = true
        for frame in frames {
            if !first {
                buffer.writeInteger(UInt8(0x1E))
            }
            first = false
            if frame.isBinary {
                buffer.writeInteger(UInt8(ascii: "b"))
                Base64.encode(frame.bytes.readableBytesView, into: &buffer)
            } else {
                buffer.writeImmutableBuffer(frame.bytes)
            }
        }
    }
}
