import SocketIORedis
import TablecastJSON
import Testing

/// The byte vectors of ../shared/reference/socket.io-redis-adapters.md §5 and §6.9, produced by the official
/// encoders (notepack.io 3.0.1, @msgpack/msgpack 2.8.0, the adapters' TypeScript sources).
enum Vectors {
    static func hex(_ text: String) -> [UInt8] {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { UInt8($0, radix: 16)! }
    }

    /// (a) `emitter.of("/events").emit("table:activated", {tableNumber: 7})`.
    static let emitterTableActivated = hex("""
        93 a7 65 6d 69 74 74 65 72 83 a4 74 79 70 65 02 a4 64 61 74 61 92 af 74 61 62 6c 65 3a 61 63 74
        69 76 61 74 65 64 81 ab 74 61 62 6c 65 4e 75 6d 62 65 72 07 a3 6e 73 70 a7 2f 65 76 65 6e 74 73
        83 a5 72 6f 6f 6d 73 90 a5 66 6c 61 67 73 80 a6 65 78 63 65 70 74 90
        """)

    /// (b) server "abc123" broadcasts `order:created`.
    static let serverOrderCreated = hex("""
        93 a6 61 62 63 31 32 33 83 a4 74 79 70 65 02 a4 64 61 74 61 92 ad 6f 72 64 65 72 3a 63 72 65 61
        74 65 64 86 a2 69 64 aa 6f 72 64 5f 39 66 32 63 31 61 ab 74 61 62 6c 65 4e 75 6d 62 65 72 07 a5
        69 74 65 6d 73 92 84 a3 73 6b 75 a6 43 41 50 2d 30 31 a4 6e 61 6d 65 a9 63 61 66 c3 a9 20 e2 98
        95 a3 71 74 79 02 a5 70 72 69 63 65 cd 04 7e 84 a3 73 6b 75 a7 54 45 41 2f 47 52 4e a4 6e 61 6d
        65 a9 67 72 65 65 6e 20 74 65 61 a3 71 74 79 01 a5 70 72 69 63 65 cb 40 29 00 00 00 00 00 00 a4
        6e 6f 74 65 c0 a4 70 61 69 64 c3 ab 63 72 65 61 74 65 64 41 74 4d 73 cf 00 00 01 00 00 00 00 00
        a3 6e 73 70 a7 2f 65 76 65 6e 74 73 83 a5 72 6f 6f 6d 73 90 a6 65 78 63 65 70 74 90 a5 66 6c 61
        67 73 80
        """)
    static let orderCreatedData =
        #"["order:created",{"id":"ord_9f2c1a","tableNumber":7,"items":[{"sku":"CAP-01","name":"café ☕","qty":2,"price":1150},{"sku":"TEA/GRN","name":"green tea","qty":1,"price":12.5}],"note":null,"paid":true,"createdAtMs":1099511627776}]"#

    /// (c) a broadcast with a binary attachment.
    static let serverReceipt = hex("""
        93 a6 61 62 63 31 32 33 83 a4 74 79 70 65 02 a4 64 61 74 61 93 ab 72 65 63 65 69 70 74 3a 70 64
        66 81 a7 6f 72 64 65 72 49 64 aa 6f 72 64 5f 39 66 32 63 31 61 c4 04 de ad be ef a3 6e 73 70 a7
        2f 65 76 65 6e 74 73 83 a5 72 6f 6f 6d 73 90 a6 65 78 63 65 70 74 90 a5 66 6c 61 67 73 80
        """)

    /// (d) to room `table-7`.
    static let serverToRoom = hex("""
        93 a6 61 62 63 31 32 33 83 a4 74 79 70 65 02 a4 64 61 74 61 92 af 74 61 62 6c 65 3a 61 63 74 69
        76 61 74 65 64 81 ab 74 61 62 6c 65 4e 75 6d 62 65 72 07 a3 6e 73 70 a7 2f 65 76 65 6e 74 73 83
        a5 72 6f 6f 6d 73 91 a7 74 61 62 6c 65 2d 37 a6 65 78 63 65 70 74 90 a5 66 6c 61 67 73 80
        """)
}

@Suite("The classic adapter's format (notepack vectors)")
struct ClassicAdapterTests {
    @Test("the emitter's message for table:activated is vector (a), byte for byte")
    func emitterVector() throws {
        let bytes = try ClassicAdapter.emitterMessage(namespace: "/events",
                                                      dataJSON: Array(#"["table:activated",{"tableNumber":7}]"#.utf8))
        #expect(bytes == Vectors.emitterTableActivated)
        #expect(ClassicAdapter.channel(key: "socket.io", namespace: "/events") == "socket.io#/events#")
    }

    @Test("an order with UTF-8, a float, null, true and 2^40 encodes as notepack does (vector b's packet)")
    func orderEncoding() throws {
        let data = try JSValue(jsonBytes: Array(Vectors.orderCreatedData.utf8))
        // Vector (b)'s data array starts after `93 a6 "abc123" 83 a4 "type" 02 a4 "data"`.
        let start = 1 + 7 + 1 + 5 + 1 + 5
        let end = Vectors.serverOrderCreated.count - (4 + 8 + 23) // the nsp entry, the opts map
        #expect(data.messagePackBytes == Array(Vectors.serverOrderCreated[start..<end]))
    }

    @Test("decoding vector (b) gives the JSON JSON.stringify writes")
    func orderDecoding() throws {
        let broadcast = try ClassicAdapter.decodeBroadcast(Vectors.serverOrderCreated)
        #expect(broadcast.uid == "abc123")
        #expect(broadcast.namespace == "/events")
        #expect(broadcast.packetType == 2)
        #expect(broadcast.rooms.isEmpty && broadcast.except.isEmpty)
        #expect(JSValue.array(broadcast.data).jsonBytes == Array(Vectors.orderCreatedData.utf8))
        let event = try AdapterEvent(data: broadcast.data)
        #expect(event.name == "order:created")
        #expect(String(decoding: event.payload, as: UTF8.self)
            == String(Vectors.orderCreatedData.dropFirst(#"["order:created","#.count).dropLast()))
    }

    @Test("a Buffer argument becomes its attachment placeholder, as a client sees it (vector c)")
    func binaryDecoding() throws {
        let broadcast = try ClassicAdapter.decodeBroadcast(Vectors.serverReceipt)
        let event = try AdapterEvent(data: broadcast.data)
        #expect(event.name == "receipt:pdf")
        #expect(event.attachments == 1)
        #expect(String(decoding: event.payload, as: UTF8.self)
            == #"[{"orderId":"ord_9f2c1a"},{"_placeholder":true,"num":0}]"#)
    }

    @Test("rooms are read (vector d)")
    func rooms() throws {
        let broadcast = try ClassicAdapter.decodeBroadcast(Vectors.serverToRoom)
        #expect(broadcast.rooms == ["table-7"])
        #expect(try AdapterEvent(data: broadcast.data) == AdapterEvent(name: "table:activated",
                                                                        payload: Array(#"{"tableNumber":7}"#.utf8)))
    }

    @Test("every vector decodes and re-encodes to the same bytes")
    func roundTrip() throws {
        for vector in [Vectors.emitterTableActivated, Vectors.serverOrderCreated, Vectors.serverReceipt,
                       Vectors.serverToRoom] {
            let value = try MessagePackDecoder.decode(vector)
            var writer = MessagePackWriter()
            writer.value(value)
            #expect(writer.bytes == vector)
            #expect(try JSValue(messagePack: value).messagePackBytes == vector)
        }
    }

    @Test("malformed messages are refused with a reason, never a crash", arguments: [
        ([0x93, 0xa6], "runs past the end"),
        ([0x91, 0xa6, 0x61], "runs past the end"),
        ([0x91, 0xcd, 0x01], "ends early"),
        ([0xc1], "0xc1"),
        ([0x92, 0xc0, 0xc0, 0xc0], "trailing"),
        ([0xdd, 0xff, 0xff, 0xff, 0xff], "runs past the end"),
        ([0x92, 0xa1, 0x78, 0x80], "no numeric type"),
        ([0x92, 0xa1, 0x78, 0x81, 0xa4, 0x74, 0x79, 0x70, 0x65, 0x02], "data is not an array"),
        ([0x93, 0x01, 0x80, 0x80], "uid is not a string"),
    ] as [([UInt8], String)])
    func malformed(bytes: [UInt8], reason: String) {
        #expect {
            _ = try ClassicAdapter.decodeBroadcast(bytes)
        } throws: { error in
            "\(error)".contains(reason) || ((error as? AdapterFormatError)?.description.contains(reason) ?? false)
        }
    }
}

@Suite("JavaScript's value rules")
struct JSValueTests {
    @Test("numbers print as Number.prototype.toString does", arguments: [
        (0.0, "0"), (-0.0, "0"), (7, "7"), (-1, "-1"), (12.5, "12.5"), (0.1, "0.1"), (1e21, "1e+21"),
        (1e20, "100000000000000000000"), (123456789012345680000, "123456789012345680000"), (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"), (0.000001, "0.000001"), (0x1p60, "1152921504606847000"),
        (9007199254740993, "9007199254740992"), (-2.5e-10, "-2.5e-10"), (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"), (123.456, "123.456"), (100, "100"),
        (0.3 - 0.1, "0.19999999999999998"),
    ] as [(Double, String)])
    func numbers(value: Double, text: String) {
        #expect(JSNumber.string(value) == text)
    }

    @Test("NaN and the infinities are null in JSON")
    func nonFinite() {
        #expect(JSNumber.json(.nan) == "null")
        #expect(JSNumber.json(.infinity) == "null")
        #expect(JSNumber.json(-.infinity) == "null")
    }

    @Test("object keys come out in JavaScript's order: array indexes first, a repeated key keeps its first place")
    func keyOrder() throws {
        let value = try JSValue(jsonBytes: Array(#"{"b":1,"10":2,"a":3,"2":4,"b":5,"01":6,"4294967295":7,"0":8}"#.utf8))
        #expect(String(decoding: value.jsonBytes, as: UTF8.self)
            == #"{"0":8,"2":4,"10":2,"b":5,"a":3,"01":6,"4294967295":7}"#)
    }

    @Test("JSON.parse then JSON.stringify: numbers canonical, escapes normalised, whitespace gone")
    func canonical() throws {
        let value = try JSValue(jsonBytes: Array(#" [ 1.0 , 1e2, -0, "\u0041\/", 1E-7, 2.50 ] "#.utf8))
        #expect(String(decoding: value.jsonBytes, as: UTF8.self) == #"[1,100,0,"A/",1e-7,2.5]"#)
    }

    @Test("msgpack extensions: timestamps become ISO dates, notepack 2.x's undefined is skipped in maps")
    func extensions() throws {
        // {a: Date(2000-06-13Z), b: undefined (2.x form), c: [undefined]}
        let bytes: [UInt8] = [0x83, 0xa1, 0x61, 0xd6, 0xff, 0x39, 0x45, 0x79, 0x80,
                              0xa1, 0x62, 0xd4, 0x00, 0x00,
                              0xa1, 0x63, 0x91, 0xd4, 0x00, 0x00]
        let value = try JSValue(messagePack: try MessagePackDecoder.decode(bytes))
        #expect(String(decoding: value.jsonBytes, as: UTF8.self) == #"{"a":"2000-06-13T00:00:00.000Z","c":[null]}"#)
        // Date(1700000000123) as notepack writes it.
        let date = try JSValue(messagePack: try MessagePackDecoder.decode([0xd7, 0xff, 0x1d, 0x53, 0x53, 0x00, 0x65, 0x53, 0xf1, 0x00]))
        #expect(date == .date(1_700_000_000_123))
        #expect(date.messagePackBytes == [0xd7, 0xff, 0x1d, 0x53, 0x53, 0x00, 0x65, 0x53, 0xf1, 0x00])
        #expect(String(decoding: date.jsonBytes, as: UTF8.self) == #""2023-11-14T22:13:20.123Z""#)
    }

    @Test("integers take notepack's shortest forms", arguments: [
        (0, [0x00]), (127, [0x7f]), (128, [0xcc, 0x80]), (1150, [0xcd, 0x04, 0x7e]),
        (65536, [0xce, 0x00, 0x01, 0x00, 0x00]), (0x1p40, [0xcf, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00]),
        (-1, [0xff]), (-33, [0xd0, 0xdf]), (-129, [0xd1, 0xff, 0x7f]),
        (12.5, [0xcb, 0x40, 0x29, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]),
        (0.5, [0xcb, 0x3f, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]),
    ] as [(Double, [UInt8])])
    func integers(value: Double, bytes: [UInt8]) {
        #expect(JSValue.number(value).messagePackBytes == bytes)
    }

    @Test("strings take the shortest header")
    func strings() {
        #expect(JSValue.string("").messagePackBytes == [0xa0])
        #expect(Array(JSValue.string(String(repeating: "x", count: 32)).messagePackBytes.prefix(2)) == [0xd9, 0x20])
        #expect(Array(JSValue.string(String(repeating: "x", count: 256)).messagePackBytes.prefix(3)) == [0xda, 0x01, 0x00])
    }
}

@Suite("The Streams adapter's format")
struct StreamsAdapterTests {
    static func fields(_ pairs: [(String, String)]) -> [[UInt8]] {
        pairs.flatMap { [Array($0.0.utf8), Array($0.1.utf8)] }
    }

    @Test("the broadcast fields are §6.9's XADD, as a 0.3.1 server sends it")
    func broadcastFields() {
        let fields = StreamsAdapter.broadcastFields(uid: "a1b2c3d4e5f60718", namespace: "/events",
                                                    dataJSON: Array(#"["table:activated",{"tableNumber":7}]"#.utf8))
        #expect(fields == Self.fields([
            ("uid", "a1b2c3d4e5f60718"), ("nsp", "/events"), ("type", "3"),
            ("data", #"{"packet":{"type":2,"data":["table:activated",{"tableNumber":7}]},"opts":{"rooms":[],"except":[],"flags":{}}}"#),
        ]))
    }

    @Test("an entry from a Node server, or an emitter with the packet's nsp, is the event")
    func decode() throws {
        for data in [
            #"{"packet":{"type":2,"data":["table:activated",{"tableNumber":7}]},"opts":{"rooms":[],"except":[],"flags":{}}}"#,
            #"{"packet":{"type":2,"data":["table:activated",{"tableNumber":7}],"nsp":"/events"},"opts":{"rooms":[],"except":[],"flags":{}}}"#,
        ] {
            let entry = try StreamsAdapter.decodeEntry(fields: Self.fields([
                ("uid", "emitter"), ("nsp", "/events"), ("type", "3"), ("data", data),
            ]))
            let event = try #require(try entry.event())
            #expect(event.event == AdapterEvent(name: "table:activated", payload: Array(#"{"tableNumber":7}"#.utf8)))
        }
    }

    @Test("a tablecast owner's entry passes its payload bytes through; its own fields are read")
    func verbatim() throws {
        let data = #"{"packet":{"type":2,"data":["tick", {"i": 0} ]},"opts":{"rooms":[],"except":[],"flags":{}}}"#
        #expect(StreamsAdapter.verbatimEvent(data: Array(data.utf8))
            == AdapterEvent(name: "tick", payload: Array(#"{"i": 0}"#.utf8)))
        #expect(StreamsAdapter.verbatimEvent(data: Array(#"{"packet":{"type":2,"data":["two",1, "x"]}}"#.utf8))
            == AdapterEvent(name: "two", payload: Array(#"[1, "x"]"#.utf8)))
        #expect(StreamsAdapter.verbatimEvent(data: Array(#"{"packet":{"type":2,"data":["none"]}}"#.utf8))
            == AdapterEvent(name: "none", payload: []))
        #expect(StreamsAdapter.verbatimEvent(data: Array("gqZwYWNr".utf8)) == nil)
        #expect(StreamsAdapter.verbatimEvent(data: Array(#"{"packet":{"type":2,"data":[1]}}"#.utf8)) == nil)
        let entry = try StreamsAdapter.decodeEntry(fields: Self.fields([
            ("uid", "a1b2c3d4e5f60718"), ("nsp", "/events"), ("type", "3"), ("data", data),
            ("tablecast-seq", "41"), ("tablecast-emitted-ns", "123"), ("tablecast-detail", "ZGV0YWls"),
            ("tablecast-fault", #"{"kind":"duplicate","of":40}"#),
        ]))
        #expect(entry.tablecastSeq == 41 && entry.emittedAtNanos == 123)
        #expect(entry.detail == Array("detail".utf8) && entry.fault == #"{"kind":"duplicate","of":40}"#)
        #expect(entry.rawData == Array(data.utf8))
    }

    @Test("binary data is base64 of msgpack (§6.9's receipt)")
    func binary() throws {
        let entry = try StreamsAdapter.decodeEntry(fields: Self.fields([
            ("uid", "a1b2c3d4e5f60718"), ("nsp", "/events"), ("type", "3"),
            ("data", "gqZwYWNrZXSCpHR5cGUCpGRhdGGSq3JlY2VpcHQ6cGRmxATerb7vpG9wdHODpXJvb21zkKZleGNlcHSQpWZsYWdzgA=="),
        ]))
        let event = try #require(try entry.event())
        #expect(event.event.name == "receipt:pdf")
        #expect(event.event.attachments == 1)
        #expect(String(decoding: event.event.payload, as: UTF8.self) == #"{"_placeholder":true,"num":0}"#)
    }

    @Test("other message types and heartbeats are not events; broken entries are refused")
    func others() throws {
        let join = try StreamsAdapter.decodeEntry(fields: Self.fields([
            ("uid", "x"), ("nsp", "/events"), ("type", "4"), ("data", #"{"opts":{"rooms":[]},"rooms":["a"]}"#),
        ]))
        #expect(try join.event() == nil)
        let heartbeat = try StreamsAdapter.decodeEntry(fields: Self.fields([("uid", "x"), ("nsp", "/"), ("type", "2")]))
        #expect(try heartbeat.event() == nil)
        #expect(throws: AdapterFormatError.self) {
            try StreamsAdapter.decodeEntry(fields: Self.fields([("uid", "x"), ("type", "3")]))
        }
        #expect(throws: AdapterFormatError.self) {
            try StreamsAdapter.decodeEntry(fields: Self.fields([("nsp", "/events"), ("type", "3"), ("data", "{nope")]))
                .event()
        }
        #expect(throws: AdapterFormatError.self) {
            try StreamsAdapter.decodeEntry(fields: Self.fields([("nsp", "/events"), ("type", "3"), ("data", "!!!!")]))
                .event()
        }
    }
}

@Suite("msgpack nesting")
struct NestingTests {
    static func nested(_ depth: Int) -> [UInt8] {
        [UInt8](repeating: 0x91, count: depth) + [0xc4, 0x01, 0xff]
    }

    @Test("as deep as the decoder goes, a Buffer's placeholder still reads back as JSON; one deeper is refused")
    func depth() throws {
        let deepest = MessagePackDecoder.maximumDepth
        let value = try JSValue(messagePack: try MessagePackDecoder.decode(Self.nested(deepest)))
        #expect(try JSValue(jsonBytes: value.jsonBytes) != .null)
        #expect(throws: MessagePackError.self) {
            try MessagePackDecoder.decode(Self.nested(deepest + 1))
        }
    }
}
