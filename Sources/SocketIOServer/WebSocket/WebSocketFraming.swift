import NIOCore
import SocketIOProtocol

/// WebSocket opcodes the server writes.
enum WebSocketOpcode: UInt8 {
    case text = 0x1
    case binary = 0x2
    case close = 0x8
    case ping = 0x9
    case pong = 0xA
}

extension ByteBuffer {
    /// Writes one unmasked, final WebSocket frame, as a server sends it (RFC 6455 section 5.2).
    mutating func writeWebSocketFrame(opcode: WebSocketOpcode, payload: ByteBuffer) {
        let length = payload.readableBytes
        self.writeInteger(0x80 | opcode.rawValue)
        if length < 126 {
            self.writeInteger(UInt8(length))
        } else if length <= Int(UInt16.max) {
            self.writeInteger(UInt8(126))
            self.writeInteger(UInt16(length))
        } else {
            self.writeInteger(UInt8(127))
            self.writeInteger(UInt64(length))
        }
        self.writeImmutableBuffer(payload)
    }

    /// Writes an Engine.IO frame as a WebSocket text or binary frame.
    mutating func writeWebSocketFrame(_ frame: EngineIOFrame) {
        self.writeWebSocketFrame(opcode: frame.isBinary ? .binary : .text, payload: frame.bytes)
    }
}
