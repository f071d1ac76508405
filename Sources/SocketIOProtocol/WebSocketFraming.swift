import NIOCore
import SocketIOProtocol

/// WebSocket opcodes the server writes.
public enum WebSocketFrameOpcode: UInt8, Sendable {
    case text = 0x1
    case binary = 0x2
    case close = 0x8
    case ping = 0x9
    case pong = 0xA
}

extension ByteBuffer {
    /// Writes one unmasked, final WebSocket frame, as a server sends it (RFC 6455 section 5.2).
    public mutating func writeWebSocketFrame(opcode: WebSocketFrameOpcode, payload: ByteBuffer) {
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
    public mutating func writeWebSocketFrame(_ frame: EngineIOFrame) {
        self.writeWebSocketFrame(opcode: frame.isBinary ? .binary : .text, payload: frame.bytes)
    }
}

/// Many Engine.IO frames as consecutive WebSocket frames in one buffer: what a broadcast writes to every WebSocket
/// connection of a loop with a single write, each connection from its own first frame on.
public struct WebSocketFrameBatch: Sendable {
    /// The frames, back to back.
    public let buffer: ByteBuffer
    /// Where each frame starts in `buffer`.
    public let offsets: [Int]

    /// Frames `frames` into one buffer sized exactly for them.
    public init(_ frames: [EngineIOFrame], allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        var size = 0
        for frame in frames {
            size += frame.bytes.readableBytes + 10
        }
        var buffer = allocator.buffer(capacity: size)
        var offsets: [Int] = []
        offsets.reserveCapacity(frames.count)
        for frame in frames {
            offsets.append(buffer.writerIndex)
            buffer.writeWebSocketFrame(frame)
        }
        self.buffer = buffer
        self.offsets = offsets
    }

    /// The frames from the `index`-th on, as one buffer sharing this batch's storage.
    public func bytes(from index: Int) -> ByteBuffer {
        let start = self.offsets[index]
        return self.buffer.getSlice(at: start, length: self.buffer.writerIndex - start)!
    }
}
