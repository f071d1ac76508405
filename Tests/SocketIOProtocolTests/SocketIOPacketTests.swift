import NIOCore
import SocketIOProtocol
import Testing

struct SocketIOPacketTests {
    struct Vector: Sendable, CustomStringConvertible {
        var encoded: String
        var type: SocketIOPacketType
        var namespace: String
        var ackID: UInt64?
        var attachments: Int
        var payload: String?
        var description: String { self.encoded }
    }

    /// Every encoding example of the Socket.IO v5 spec.
    static let specVectors: [Vector] = [
        Vector(encoded: "0", type: .connect, namespace: "/", attachments: 0),
        Vector(encoded: #"0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}"#, type: .connect, namespace: "/admin",
               attachments: 0, payload: #"{"sid":"oSO0OpakMV_3jnilAAAA"}"#),
        Vector(encoded: #"4{"message":"Not authorized"}"#, type: .connectError, namespace: "/", attachments: 0,
               payload: #"{"message":"Not authorized"}"#),
        Vector(encoded: #"2["foo"]"#, type: .event, namespace: "/", attachments: 0, payload: #"["foo"]"#),
        Vector(encoded: #"2/admin,["bar"]"#, type: .event, namespace: "/admin", attachments: 0,
               payload: #"["bar"]"#),
        Vector(encoded: #"51-["baz",{"_placeholder":true,"num":0}]"#, type: .binaryEvent, namespace: "/",
               attachments: 1, payload: #"["baz",{"_placeholder":true,"num":0}]"#),
        Vector(encoded: #"52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
               type: .binaryEvent, namespace: "/admin", attachments: 2,
               payload: #"["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#),
        Vector(encoded: #"212["foo"]"#, type: .event, namespace: "/", ackID: 12, attachments: 0,
               payload: #"["foo"]"#),
        Vector(encoded: #"3/admin,13["bar"]"#, type: .ack, namespace: "/admin", ackID: 13, attachments: 0,
               payload: #"["bar"]"#),
        Vector(encoded: #"61-15["bar",{"_placeholder":true,"num":0}]"#, type: .binaryAck, namespace: "/",
               ackID: 15, attachments: 1, payload: #"["bar",{"_placeholder":true,"num":0}]"#),
        Vector(encoded: "1", type: .disconnect, namespace: "/", attachments: 0),
        Vector(encoded: "1/admin,", type: .disconnect, namespace: "/admin", attachments: 0),
        Vector(encoded: #"3/admin,1[]"#, type: .ack, namespace: "/admin", ackID: 1, attachments: 0, payload: "[]"),
    ]

    @Test(arguments: specVectors)
    func decodesSpecVectors(vector: Vector) throws {
        let packet = try SocketIOPacket.decode(ByteBuffer(string: vector.encoded))
        #expect(packet.type == vector.type)
        #expect(packet.namespace == vector.namespace)
        #expect(packet.ackID == vector.ackID)
        #expect(packet.attachmentCount == vector.attachments)
        #expect(packet.payload.map { String(buffer: $0) } == vector.payload)
    }

    @Test(arguments: specVectors)
    func encodesSpecVectors(vector: Vector) {
        let packet = SocketIOPacket(
            type: vector.type, namespace: vector.namespace, ackID: vector.ackID,
            attachmentCount: vector.attachments, payload: vector.payload.map { ByteBuffer(string: $0) }
        )
        var buffer = ByteBuffer()
        packet.encode(into: &buffer)
        // The spec writes a namespace-only DISCONNECT with a trailing comma; so do we.
        #expect(String(buffer: buffer) == vector.encoded)
        #expect(String(buffer: packet.frame.bytes) == "4" + vector.encoded)
    }

    @Test(arguments: [
        "",  // empty
        "7",  // unknown type
        "x",
        #"2"#,  // EVENT without payload
        #"2[]"#,  // EVENT with an empty array
        #"2{"a":1}"#,  // EVENT with an object
        #"2["connect"]"#,  // reserved name
        #"2["disconnect",1]"#,
        #"2[{"a":1}]"#,  // name is not a string or number
        #"2["foo""#,  // truncated JSON
        #"2/events,["foo",]"#,  // trailing comma
        #"0"not an object""#,  // CONNECT payload must be an object
        #"1{}"#,  // DISCONNECT takes no payload
        #"3{"a":1}"#,  // ACK payload must be an array
        #"5["a"]"#,  // BINARY_EVENT without attachment count
        #"5x-["a"]"#,
        #"212345678901234567["a"]"#,  // absurd ack id
        "4[1]",  // CONNECT_ERROR with an array
    ])
    func rejectsMalformedPackets(encoded: String) {
        #expect(throws: SocketIOParseError.self) { try SocketIOPacket.decode(ByteBuffer(string: encoded)) }
    }

    @Test func keepsPayloadBytesUntouched() throws {
        let payload = #"["order:created",{"b":"x\/y","a":"ünïcode €","n":1.50e3,"s":"a/b"}]"#
        let packet = try SocketIOPacket.decode(ByteBuffer(string: "2/events," + payload))
        #expect(packet.payload.map { Array($0.readableBytesView) } == Array(payload.utf8))
    }

    @Test func eventFrameWritesNameAndPayloadVerbatim() {
        let payload = Array(#"{"tableNumber":7,"note":"a/b \"q\""}"#.utf8)
        let frame = SocketIOPacket.eventFrame(namespace: "/events", name: "table:activated", payload: payload)
        #expect(String(buffer: frame.bytes) == #"42/events,["table:activated",{"tableNumber":7,"note":"a/b \"q\""}]"#)
        let escaped = SocketIOPacket.eventFrame(namespace: "/", name: "a\"b\\c/d\n", payload: Array("1".utf8))
        #expect(String(buffer: escaped.bytes) == #"42["a\"b\\c/d\n",1]"#)
    }
}
