import NIOCore
import NIOWebSocket

/// What RFC 6455 requires of a server reading a client's frames: every check that decides whether a frame is
/// acceptable, the reassembly of fragmented messages, and the answer to control frames. Pure: ``WebSocketInboundHandler``
/// drives it.
///
/// The connection is failed (a close frame with the code, then TCP closed) on:
/// - `1002` protocol error: an unmasked frame (section 5.1), a set RSV bit with no extension negotiated (5.2), a
///   reserved opcode (5.2), a continuation with no message started or a new message before the last one finished
///   (5.4), a close frame with a one-byte body or a status code nobody may send (5.5.1, 7.4);
/// - `1007` invalid data: a text message, or a close reason, that is not UTF-8 (8.1);
/// - `1009` message too big: a message past `maxMessageSize`, or of more than `maxFragments` fragments.
///
/// A valid close frame is answered with a close frame carrying the same status code (5.5.1), and a ping with a pong
/// carrying the ping's data (5.5.2). Complete messages come out unmasked, one frame each.
struct WebSocketInboundStateMachine {
    enum Action: Equatable {
        case none
        /// A complete text or binary message.
        case deliver(opcode: WebSocketOpcode, data: ByteBuffer)
        case pong(ByteBuffer)
        /// The client closed: echo its status code (none when it sent none), then close.
        case acknowledgeClose(WebSocketErrorCode?)
        /// Send a close frame with this code, then close.
        case fail(WebSocketErrorCode, reason: String)
    }

    private enum State {
        case open
        case fragmented(opcode: WebSocketOpcode, data: ByteBuffer, fragments: Int)
        case closed
    }

    let maxMessageSize: Int
    let maxFragments: Int
    private var state: State = .open

    init(maxMessageSize: Int, maxFragments: Int = 1024) {
        self.maxMessageSize = maxMessageSize
        self.maxFragments = maxFragments
    }

    mutating func receive(_ frame: WebSocketFrame) -> Action {
        if case .closed = self.state { return .none }
        guard frame.maskKey != nil else { return self.fail(.protocolError, "unmasked frame from a client") }
        guard !frame.rsv1, !frame.rsv2, !frame.rsv3 else {
            return self.fail(.protocolError, "reserved bit set with no extension negotiated")
        }
        switch frame.opcode {
        case .text, .binary:
            guard case .open = self.state else {
                return self.fail(.protocolError, "a new message before the fragmented one finished")
            }
            let data = frame.unmaskedData
            guard data.readableBytes <= self.maxMessageSize else {
                return self.fail(.messageTooLarge, "message larger than \(self.maxMessageSize) bytes")
            }
            if frame.fin {
                return self.complete(opcode: frame.opcode, data: data)
            }
            self.state = .fragmented(opcode: frame.opcode, data: data, fragments: 1)
            return .none
        case .continuation:
            guard case .fragmented(let opcode, var data, let fragments) = self.state else {
                return self.fail(.protocolError, "a continuation frame with no message started")
            }
            guard data.readableBytes + frame.length <= self.maxMessageSize else {
                return self.fail(.messageTooLarge, "message larger than \(self.maxMessageSize) bytes")
            }
            guard fragments < self.maxFragments else {
                return self.fail(.messageTooLarge, "message of more than \(self.maxFragments) fragments")
            }
            var fragment = frame.unmaskedData
            self.state = .open  // no copy-on-write of `data` while it is appended to
            data.writeBuffer(&fragment)
            if frame.fin {
                return self.complete(opcode: opcode, data: data)
            }
            self.state = .fragmented(opcode: opcode, data: data, fragments: fragments + 1)
            return .none
        case .ping:
            return .pong(frame.unmaskedData)
        case .pong:
            return .none
        case .connectionClose:
            return self.receiveClose(frame.unmaskedData)
        default:
            return self.fail(.protocolError, "reserved opcode \(frame.opcode)")
        }
    }

    /// A decoder error: the frame's length is past the limit, or a control frame is fragmented or too long.
    mutating func decodingFailed(_ error: NIOWebSocketError) -> Action {
        switch error {
        case .invalidFrameLength:
            return self.fail(.messageTooLarge, "frame larger than the limit")
        case .fragmentedControlFrame:
            return self.fail(.protocolError, "fragmented control frame")
        case .multiByteControlFrameLength:
            return self.fail(.protocolError, "control frame longer than 125 bytes")
        }
    }

    private mutating func complete(opcode: WebSocketOpcode, data: ByteBuffer) -> Action {
        if opcode == .text, !Self.isUTF8(data) {
            return self.fail(.dataInconsistentWithMessage, "text message that is not UTF-8")
        }
        self.state = .open
        return .deliver(opcode: opcode, data: data)
    }

    private mutating func receiveClose(_ payload: ByteBuffer) -> Action {
        var payload = payload
        switch payload.readableBytes {
        case 0:
            self.state = .closed
            return .acknowledgeClose(nil)
        case 1:
            return self.fail(.protocolError, "close frame with a one-byte body")
        default:
            let code = payload.readInteger(as: UInt16.self)!
            guard Self.isSendable(code) else {
                return self.fail(.protocolError, "close status code \(code) that no endpoint may send")
            }
            guard Self.isUTF8(payload) else {
                return self.fail(.dataInconsistentWithMessage, "close reason that is not UTF-8")
            }
            self.state = .closed
            return .acknowledgeClose(WebSocketErrorCode(codeNumber: Int(code)))
        }
    }

    private mutating func fail(_ code: WebSocketErrorCode, _ reason: String) -> Action {
        self.state = .closed
        return .fail(code, reason: reason)
    }

    /// The status codes an endpoint may put in a close frame: the ones RFC 6455 and IANA's registry define (not 1004,
    /// 1005, 1006 or 1015, which are never sent), and 3000-4999 for libraries and applications.
    static func isSendable(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }

    static func isUTF8(_ buffer: ByteBuffer) -> Bool {
        buffer.withUnsafeReadableBytes { bytes in
            var iterator = bytes.makeIterator()
            var decoder = UTF8()
            while true {
                switch decoder.decode(&iterator) {
                case .scalarValue: continue
                case .emptyInput: return true
                case .error: return false
                }
            }
        }
    }
}
