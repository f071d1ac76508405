import NIOCore
import SocketIOProtocol
import Testing

struct EngineIOPacketTests {
    @Test(arguments: [
        ("0", EngineIOPacketType.open, ""),
        ("1", .close, ""),
        ("2", .ping, ""),
        ("2probe", .ping, "probe"),
        ("3probe", .pong, "probe"),
        ("4hello", .message, "hello"),
        ("5", .upgrade, ""),
        ("6", .noop, ""),
        ("4€", .message, "€"),
    ])
    func decodesTextPacketsFromTheSpec(text: String, type: EngineIOPacketType, data: String) throws {
        let packet = try EngineIOPacket.decodeText(ByteBuffer(string: text))
        #expect(packet.type == type)
        #expect(String(buffer: packet.data) == data)
        #expect(!packet.isBinary)
    }

    @Test(arguments: ["", "7", "9hello", "a", "/"])
    func rejectsUnknownTypes(text: String) {
        #expect(throws: EngineIOParseError.self) { try EngineIOPacket.decodeText(ByteBuffer(string: text)) }
    }

    @Test func decodesThePollingPayloadExample() throws {
        // "4hello\x1e2\x1e4world" from the Engine.IO spec.
        let packets = try EngineIOPacket.decodePayload(ByteBuffer(string: "4hello\u{1e}2\u{1e}4world"))
        #expect(packets.map(\.type) == [.message, .ping, .message])
        #expect(packets.map { String(buffer: $0.data) } == ["hello", "", "world"])
    }

    @Test func decodesBase64BinaryRecords() throws {
        // "4hello\x1ebAQIDBA==" from the Engine.IO spec: <01 02 03 04>.
        let packets = try EngineIOPacket.decodePayload(ByteBuffer(string: "4hello\u{1e}bAQIDBA=="))
        #expect(packets.count == 2)
        #expect(packets[1].isBinary)
        #expect(packets[1].type == .message)
        #expect(Array(packets[1].data.readableBytesView) == [1, 2, 3, 4])
    }

    @Test(arguments: ["", "4a\u{1e}", "\u{1e}4a", "bAQI", "b!!!!", "4a\u{1e}\u{1e}4b"])
    func rejectsMalformedPayloads(body: String) {
        #expect(throws: EngineIOParseError.self) { try EngineIOPacket.decodePayload(ByteBuffer(string: body)) }
    }

    @Test func encodesPollingPayloads() {
        var buffer = ByteBuffer()
        EngineIOFrame.encodePayload(
            [.text(.message, "hello"), .ping, .binary(ByteBuffer(bytes: [1, 2, 3, 4]))],
            into: &buffer
        )
        #expect(String(buffer: buffer) == "4hello\u{1e}2\u{1e}bAQIDBA==")
    }

    @Test func openPacketHasTheReferenceKeysInOrder() {
        let frame = EngineIOConfiguration().openFrame(sid: "lv_VI97HAXpY6yYWAAAC", upgrades: ["websocket"])
        #expect(
            String(buffer: frame.bytes)
                == #"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"#
                + #""pingTimeout":20000,"maxPayload":1000000}"#
        )
        let webSocket = EngineIOConfiguration(pingInterval: 300, pingTimeout: 200).openFrame(sid: "x", upgrades: [])
        #expect(String(buffer: webSocket.bytes).contains(#""upgrades":[],"pingInterval":300,"pingTimeout":200"#))
    }

    @Test func errorBodiesMatchTheReferenceServer() {
        #expect(EngineIOServerError.unknownTransport.jsonBody == #"{"code":0,"message":"Transport unknown"}"#)
        #expect(EngineIOServerError.unknownSession.jsonBody == #"{"code":1,"message":"Session ID unknown"}"#)
        #expect(EngineIOServerError.badHandshakeMethod.jsonBody == #"{"code":2,"message":"Bad handshake method"}"#)
        #expect(EngineIOServerError.badRequest.jsonBody == #"{"code":3,"message":"Bad request"}"#)
        #expect(
            EngineIOServerError.unsupportedProtocolVersion.jsonBody
                == #"{"code":5,"message":"Unsupported protocol version"}"#
        )
    }

    @Test func sessionIDsAreTwentyURLSafeCharacters() {
        var seen = Set<String>()
        for _ in 0..<100 {
            let id = EngineIOSessionID.make()
            #expect(id.utf8.count == 20)
            #expect(id.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
            seen.insert(id)
        }
        #expect(seen.count == 100)
    }
}

struct Base64Tests {
    @Test(arguments: [
        ([UInt8](), ""), ([0x66], "Zg=="), ([0x66, 0x6F], "Zm8="), ([0x66, 0x6F, 0x6F], "Zm9v"),
        ([0x66, 0x6F, 0x6F, 0x62, 0x61, 0x72], "Zm9vYmFy"), ([0xFF, 0x00, 0xFE], "/wD+"),
    ])
    func roundTripsRFC4648Vectors(bytes: [UInt8], encoded: String) {
        var buffer = ByteBuffer()
        Base64.encode(bytes, into: &buffer)
        #expect(String(buffer: buffer) == encoded)
        #expect(Base64.decode(Array(encoded.utf8)) == bytes)
    }

    @Test(arguments: ["Zg=", "Z===", "Zm9v!", "=Zm9", "Zg==Zg=="])
    func rejectsInvalidInput(encoded: String) {
        #expect(Base64.decode(Array(encoded.utf8)) == nil)
    }
}
