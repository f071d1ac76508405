import NIOCore
import NIOWebSocket
import Testing

@testable import SocketIOServer

struct WebSocketInboundStateMachineTests {
    static let mask = WebSocketMaskingKey([1, 2, 3, 4])!

    static func frame(_ opcode: WebSocketOpcode, _ bytes: [UInt8], fin: Bool = true, masked: Bool = true,
                      rsv1: Bool = false) -> WebSocketFrame {
        var data = ByteBuffer(bytes: bytes)
        if masked {
            data.webSocketMask(Self.mask)
        }
        return WebSocketFrame(fin: fin, rsv1: rsv1, opcode: opcode, maskKey: masked ? Self.mask : nil, data: data)
    }

    static func failure(_ action: WebSocketInboundStateMachine.Action) -> WebSocketErrorCode? {
        if case .fail(let code, _) = action { return code }
        return nil
    }

    @Test func aMaskedTextMessageIsDeliveredUnmasked() {
        var machine = WebSocketInboundStateMachine(maxMessageSize: 100)
        #expect(machine.receive(Self.frame(.text, Array("4hi".utf8))) == .deliver(opcode: .text,
                                                                                  data: ByteBuffer(string: "4hi")))
    }

    @Test func anUnmaskedFrameFailsWith1002() {
        var machine = WebSocketInboundStateMachine(maxMessageSize: 100)
        #expect(Self.failure(machine.receive(Self.frame(.text, Array("4hi".utf8), masked: false))) == .protocolError)
        // Nothing after a failure is read.
        #expect(machine.receive(Self.frame(.text, Array("4hi".utf8))) == .none)
    }

    @Test func aReservedBitFailsWith1002() {
        var machine = WebSocketInboundStateMachine(maxMessageSize: 100)
        #expect(Self.failure(machine.receive(Self.frame(.text, [0x34], rsv1: true))) == .protocolError)
    }

    @Test(arguments: [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF])
    func aReservedOpcodeFailsWith1002(opcode: UInt8) {
        var machine = WebSocketInboundStateMachine(maxMessageSize: 100)
        let reserved = WebSocketOpcode(encodedWebSocketOpcode: opcode)!
        #expect(Self.failure(machine.receive(Self.frame(reserved, []))) == .protocolError)
    }

    @Test func fragmentsAreReassembledAcrossControlFrames() {
        var machine = WebSocketInboundStateMachine(maxMessageSize: 100)
        #expect(machine.receive(Self.frame(.text, Array("4he".utf8), fin: false)) == .none)
        #expect(machine.receive(Self.frame(.ping, [9])) == .pong(ByteBuffer(bytes: [9])))
        #expect(machine.receive(Self.frame(.continuation, Array("l".utf8), fin: false)) == .none)
        #expect(machine.receive(Self.frame(.continuation, Array("lo".utf8))) == .deliver(
            opcode: .text, data: ByteBuffer(string: "4hello")))
    }

    @Test func aContinuationWithNoMessageStartedFailsWith1002() {
        var machine = WebSocketInboundStateMachine(maxMessageSize: 100)
        #expect(Self.failure(machine.receive(Self.frame(.continuation, [0x34]))) == .protocolError)
    }

    @Test func aNewMessageBeforeTheFragmentedOneFinishedFailsWith1002() {
        var machine = WebSocketInboundStateMachine(maxMessageSize: 100)
        _ = machine.receive(Self.frame(.binary, [1], fin: false))
        #expect(Self.failure(machine.receive(Self.frame(.text, [0x34]))) == .protocolError)
    }

    @Test func invalidUTF8InATextMessageFailsWith1007() {
        var machine = WebSocketInboundStateMachine(maxMessageSize: 100)
        #expect(Self.failure(machine.receive(Self.frame(.text, [0x34, 0xC3]))) == .dataInconsistentWithMessage)
        // A code point split across fragments is fine.
        var split = WebSocketInboundStateMachine(maxMessageSize: 100)
        _ = split.receive(Self.frame(.text, [0x34, 0xC3], fin: false))
        #expect(split.receive(Self.frame(.continuation, [0xA9])) == .deliver(opcode: .text,
                                                                               data: ByteBuffer(bytes: [0x34, 0xC3, 0xA9])))
    }

    @Test func binaryMessagesAreNotCheckedForUTF8() {
        var machine = WebSocketInboundStateMachine(maxMessageSize: 100)
        #expect(machine.receive(Self.frame(.binary, [0xFF])) == .deliver(opcode: .binary, data: ByteBuffer(bytes: [0xFF])))
    }

    @Test func aMessageOverTheLimitFailsWith1009() {
        var machine = WebSocketInboundStateMachine(maxMessageSize: 4)
        #expect(Self.failure(machine.receive(Self.frame(.binary, [1, 2, 3, 4, 5]))) == .messageTooLarge)
        var fragmented = WebSocketInboundStateMachine(maxMessageSize: 4)
        _ = fragmented.receive(Self.frame(.binary, [1, 2, 3], fin: false))
        #expect(Self.failure(fragmented.receive(Self.frame(.continuation, [4, 5]))) == .messageTooLarge)
    }

    @Test func tooManyFragmentsFailWith1009() {
        var machine = WebSocketInboundStateMachine(maxMessageSize: 100, maxFragments: 3)
        _ = machine.receive(Self.frame(.binary, [], fin: false))
        _ = machine.receive(Self.frame(.continuation, [], fin: false))
        _ = machine.receive(Self.frame(.continuation, [], fin: false))
        #expect(Self.failure(machine.receive(Self.frame(.continuation, [], fin: false))) == .messageTooLarge)
    }

    @Test func aValidCloseIsEchoedWithItsCode() {
        var machine = WebSocketInboundStateMachine(maxMessageSize: 100)
        #expect(machine.receive(Self.frame(.connectionClose, [0x0B, 0xB8] + Array("bye".utf8))) ==
            .acknowledgeClose(.unknown(3000)))
        var empty = WebSocketInboundStateMachine(maxMessageSize: 100)
        #expect(empty.receive(Self.frame(.connectionClose, [])) == .acknowledgeClose(nil))
    }

    @Test(arguments: [[0x03], [0x03, 0xED], [0x03, 0xEE], [0x03, 0xEC], [0x03, 0xF7], [0x00, 0x00], [0x13, 0x88]])
    func anInvalidCloseFrameFailsWith1002(payload: [UInt8]) {
        var machine = WebSocketInboundStateMachine(maxMessageSize: 100)
        #expect(Self.failure(machine.receive(Self.frame(.connectionClose, payload))) == .protocolError)
    }

    @Test func aCloseReasonThatIsNotUTF8FailsWith1007() {
        var machine = WebSocketInboundStateMachine(maxMessageSize: 100)
        #expect(Self.failure(machine.receive(Self.frame(.connectionClose, [0x03, 0xE8, 0xFF]))) ==
            .dataInconsistentWithMessage)
    }

    @Test func decoderErrorsMapToTheirCodes() {
        var tooLong = WebSocketInboundStateMachine(maxMessageSize: 100)
        #expect(Self.failure(tooLong.decodingFailed(.invalidFrameLength)) == .messageTooLarge)
        var fragmentedControl = WebSocketInboundStateMachine(maxMessageSize: 100)
        #expect(Self.failure(fragmentedControl.decodingFailed(.fragmentedControlFrame)) == .protocolError)
    }
}
