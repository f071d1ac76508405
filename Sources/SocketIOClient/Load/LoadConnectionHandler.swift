import NIOCore

/// One load-test client on a raw TCP connection: the WebSocket handshake, Engine.IO open and heartbeat, the
/// namespace CONNECT (asking for traces), then every event counted where it arrives, on its event loop.
///
/// It is deliberately not ``SocketIOClient``: at millions of deliveries per second a client can afford a few dozen
/// nanoseconds per event, so frames are parsed in place from the socket's bytes, nothing is allocated per event,
/// and only the trailing trace argument (`{"seq":N,"emittedAt":T}`) is read.
final class LoadConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Phase {
        case handshake
        case open
        case connected
        case closed
    }

    private let host: String
    private let requestPath: String
    private let namespace: String
    let tally: LoadTally
    private var phase = Phase.handshake
    private var cumulation = ByteCumulation()
    /// Called once the namespace accepted the client, and when the connection ends (with the reason).
    private let onConnected: () -> Void
    private let onClosed: (String) -> Void

    init(host: String, port: Int, path: String, namespace: String, tally: LoadTally,
         onConnected: @escaping () -> Void, onClosed: @escaping (String) -> Void) {
        self.host = "\(host):\(port)"
        self.requestPath = "\(path)?EIO=4&transport=websocket"
        self.namespace = namespace
        self.tally = tally
        self.onConnected = onConnected
        self.onClosed = onClosed
    }

    func channelActive(context: ChannelHandlerContext) {
        var request = context.channel.allocator.buffer(capacity: 256)
        request.writeString(
            "GET \(self.requestPath) HTTP/1.1\r\nHost: \(self.host)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGFibGVjYXN0LWxvYWQtMQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        context.writeAndFlush(self.wrapOutboundOut(request), promise: nil)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.close(reason: self.phase == .connected ? "connection closed" : "closed before connecting")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.close(reason: "\(error)")
        context.close(promise: nil)
    }

    private func close(reason: String) {
        guard self.phase != .closed else { return }
        self.phase = .closed
        self.onClosed(reason)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = self.cumulation.take(self.unwrapInboundIn(data))
        if self.phase == .handshake {
            guard let end = buffer.readableBytesView.firstRange(of: "\r\n\r\n".utf8) else {
                self.cumulation.keep(buffer)
                return
            }
            let head = buffer.readString(length: end.upperBound - buffer.readerIndex) ?? ""
            guard head.hasPrefix("HTTP/1.1 101") else {
                let status = head.split(separator: "\r\n", maxSplits: 1).first ?? ""
                self.close(reason: "the WebSocket upgrade was refused: \(status)")
                context.close(promise: nil)
                return
            }
            self.phase = .open
        }
        let receivedAt = Int64(NIODeadline.now().uptimeNanoseconds)
        // Every whole frame is handled from the read's bytes in place: no buffer slice (and so no reference count
        // traffic) per event.
        let consumed = buffer.withUnsafeReadableBytes { bytes -> Int in
            var offset = 0
            while let frame = Self.frame(in: bytes, at: offset) {
                let payload = UnsafeRawBufferPointer(rebasing: bytes[frame.payload])
                self.handle(opcode: frame.opcode, payload: payload, context: context, receivedAt: receivedAt)
                offset = frame.payload.upperBound
                if self.phase == .closed { break }
            }
            return offset
        }
        if self.phase == .closed { return }
        buffer.moveReaderIndex(forwardBy: consumed)
        self.cumulation.keep(buffer)
    }

    /// The opcode and payload range of the WebSocket frame starting at `start`; `nil` until the whole frame is there.
    static func frame(in bytes: UnsafeRawBufferPointer, at start: Int) -> (opcode: UInt8, payload: Range<Int>)? {
        guard bytes.count - start >= 2 else { return nil }
        let first = bytes[start]
        let second = bytes[start + 1]
        var length = Int(second & 0x7F)
        var header = 2
        if length == 126 {
            guard bytes.count - start >= 4 else { return nil }
            length = Int(bytes[start + 2]) << 8 | Int(bytes[start + 3])
            header = 4
        } else if length == 127 {
            guard bytes.count - start >= 10 else { return nil }
            var value = 0
            for index in 2..<10 {
                value = value << 8 | Int(bytes[start + index])
            }
            guard value >= 0, value <= Int(Int32.max) else { return nil }
            length = value
            header = 10
        }
        if second & 0x80 != 0 {
            header += 4  // a server never masks; skip a mask key all the same
        }
        guard bytes.count - start >= header + length else { return nil }
        return (first & 0x0F, (start + header)..<(start + header + length))
    }

    private func handle(opcode: UInt8, payload: UnsafeRawBufferPointer, context: ChannelHandlerContext,
                        receivedAt: Int64) {
        switch opcode {
        case 0x1:
            self.handleText(payload, context: context, receivedAt: receivedAt)
        case 0x8:
            self.close(reason: "the server closed the WebSocket")
            context.close(promise: nil)
        case 0x9:
            self.send(opcode: 0xA, payload, context: context)
        default:
            break
        }
    }

    private func handleText(_ payload: UnsafeRawBufferPointer, context: ChannelHandlerContext, receivedAt: Int64) {
        switch LoadPacket(bytes: payload) {
        case .open:
            self.send(text: LoadPacket.connect(namespace: self.namespace), context: context)
        case .ping:
            self.send(text: "3", context: context)
        case .event(let trace):
            self.tally.received(trace, receivedAt: receivedAt, bytes: payload.count)
        case .connected:
            if self.phase == .open {
                self.phase = .connected
                self.onConnected()
            }
        case .ended(let reason):
            self.close(reason: reason)
            context.close(promise: nil)
        case .other:
            break
        }
    }

    private func send(text: String, context: ChannelHandlerContext) {
        self.send(opcode: 0x1, text.utf8, context: context)
    }

    /// Writes one masked frame (a client must mask; a fixed key is as good as any for a load client).
    private func send(opcode: UInt8, _ payload: some Collection<UInt8>, context: ChannelHandlerContext) {
        let mask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
        var buffer = context.channel.allocator.buffer(capacity: payload.count + 8)
        buffer.writeInteger(0x80 | opcode)
        precondition(payload.count < 126, "load clients send only short control and protocol frames")
        buffer.writeInteger(UInt8(0x80 | payload.count))
        buffer.writeBytes(mask)
        for (offset, byte) in payload.enumerated() {
            buffer.writeInteger(byte ^ mask[offset % 4])
        }
        context.writeAndFlush(self.wrapOutboundOut(buffer), promise: nil)
    }
}
