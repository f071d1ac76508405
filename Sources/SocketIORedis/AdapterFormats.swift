import SocketIOProtocol
import TablecastJSON

/// A broadcast EVENT read from a Redis adapter, as the journal keeps it: the event name, and the payload a Socket.IO
/// client of a Node server receives, following the recorder's rule (one argument: its JSON; several: a JSON array
/// of them; none: empty), with each binary argument as its attachment placeholder.
public struct AdapterEvent: Sendable, Equatable {
    public var name: String
    public var payload: [UInt8]
    /// How many `Buffer`s the packet carried (a client gets each as a binary frame; the journal keeps placeholders).
    public var attachments: Int

    public init(name: String, payload: [UInt8], attachments: Int = 0) {
        self.name = name
        self.payload = payload
        self.attachments = attachments
    }

    /// The event in a packet's `data` array: `[name, arg…]`.
    public init(data: [JSValue]) throws(AdapterFormatError) {
        guard case .string(let name)? = data.first else {
            throw AdapterFormatError(description: "the packet's data does not start with an event name")
        }
        var writer = JSONWriter()
        var attachments = 0
        let arguments = data.dropFirst()
        if arguments.count > 1 {
            writer.beginArray()
        }
        for argument in arguments {
            argument.writeJSON(to: &writer, attachments: &attachments)
        }
        if arguments.count > 1 {
            writer.endArray()
        }
        self.init(name: name, payload: writer.bytes, attachments: attachments)
    }
}

/// Why a Redis message is not a broadcast of the adapter's format; the description says what is wrong.
public struct AdapterFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String

    public init(description: String) {
        self.description = description
    }
}

/// The classic pub/sub adapter (`@socket.io/redis-adapter`) and its emitter (`@socket.io/redis-emitter`): a
/// broadcast is the msgpack array `[uid, packet, opts]` published on `<key>#<nsp>#` (or `<key>#<nsp>#<room>#`).
public enum ClassicAdapter {
    /// The emitter's uid, which servers never use.
    public static let emitterUID = "emitter"

    /// The channel of a broadcast to every socket of a namespace: `socket.io#/events#`.
    public static func channel(key: String, namespace: String) -> String {
        "\(key)#\(namespace)#"
    }

    /// What a server (or a recorder) pattern-subscribes to: every broadcast channel of the namespace.
    public static func pattern(key: String, namespace: String) -> String {
        "\(key)#\(namespace)#*"
    }

    /// The emitter's message for `emitter.of(namespace).emit(name, …args)`: the `data` array is the event's JSON
    /// array (`["order:created",{…}]`), converted as `JSON.parse` then notepack would.
    ///
    /// - Throws: the JSON's error when the array is not JSON.
    public static func emitterMessage(namespace: String, dataJSON: [UInt8]) throws(JSONError) -> [UInt8] {
        let data = try JSValue(jsonBytes: dataJSON)
        var writer = MessagePackWriter(capacity: dataJSON.count + 64)
        writer.arrayHeader(3)
        writer.string(Self.emitterUID)
        writer.mapHeader(3)
        writer.string("type"); writer.int(2)
        writer.string("data"); data.writeMessagePack(to: &writer)
        writer.string("nsp"); writer.string(namespace)
        // The emitter's order: rooms, flags, except.
        writer.mapHeader(3)
        writer.string("rooms"); writer.arrayHeader(0)
        writer.string("flags"); writer.mapHeader(0)
        writer.string("except"); writer.arrayHeader(0)
        return writer.bytes
    }

    /// A decoded broadcast.
    public struct Broadcast: Sendable, Equatable {
        public var uid: String
        /// `packet.nsp`, `/` when absent (as the adapter reads it).
        public var namespace: String
        /// `packet.type`: 2 for an EVENT.
        public var packetType: Int
        public var data: [JSValue]
        public var rooms: [String]
        public var except: [String]
        /// Set for a broadcast that waits for acknowledgements (the adapter's request type 7 carries one).
        public var ackID: Int?
    }

    /// Decodes a message from a broadcast channel.
    public static func decodeBroadcast(_ message: [UInt8]) throws(AdapterFormatError) -> Broadcast {
        let decoded: MessagePackValue
        do {
            decoded = try MessagePackDecoder.decode(message)
        } catch {
            throw AdapterFormatError(description: error.description)
        }
        let value: JSValue
        do {
            value = try JSValue(messagePack: decoded)
        } catch {
            throw AdapterFormatError(description: error.description)
        }
        guard case .array(let parts) = value, parts.count >= 2 else {
            throw AdapterFormatError(description: "a broadcast is the array [uid, packet, opts]")
        }
        guard case .string(let uid) = parts[0] else {
            throw AdapterFormatError(description: "the broadcast's uid is not a string")
        }
        guard case .object(let packet) = parts[1] else {
            throw AdapterFormatError(description: "the broadcast's packet is not a map")
        }
        let opts: JSObject
        if parts.count > 2, case .object(let object) = parts[2] {
            opts = object
        } else {
            opts = JSObject()
        }
        return Broadcast(uid: uid, namespace: try Self.namespace(packet), packetType: try Self.packetType(packet),
                         data: try Self.data(packet), rooms: Self.strings(opts["rooms"]),
                         except: Self.strings(opts["except"]), ackID: Self.integer(packet["id"]))
    }

    static func namespace(_ packet: JSObject) throws(AdapterFormatError) -> String {
        switch packet["nsp"] {
        case nil, .undefined?: return "/"
        case .string(let name)?: return name
        default: throw AdapterFormatError(description: "the packet's nsp is not a string")
        }
    }

    static func packetType(_ packet: JSObject) throws(AdapterFormatError) -> Int {
        guard let type = Self.integer(packet["type"]) else {
            throw AdapterFormatError(description: "the packet has no numeric type")
        }
        return type
    }

    static func data(_ packet: JSObject) throws(AdapterFormatError) -> [JSValue] {
        guard case .array(let data)? = packet["data"] else {
            throw AdapterFormatError(description: "the packet's data is not an array")
        }
        return data
    }

    static func integer(_ value: JSValue?) -> Int? {
        guard case .number(let number)? = value, number.isFinite, number == number.rounded(),
              abs(number) < 0x1p53 else { return nil }
        return Int(number)
    }

    /// Rooms as JavaScript strings (a room made from a number arrives as a msgpack int).
    static func strings(_ value: JSValue?) -> [String] {
        guard case .array(let elements)? = value else { return [] }
        return elements.compactMap { element in
            switch element {
            case .string(let text): text
            case .number(let number): JSNumber.string(number)
            default: nil
            }
        }
    }
}

/// The Redis Streams adapter (`@socket.io/redis-streams-adapter` 0.3): every broadcast is an `XADD` to one stream,
/// with the fields `uid`, `nsp`, `type` (`"3"` for a broadcast) and `data` (JSON, or base64 of msgpack when the
/// packet carries binary).
public enum StreamsAdapter {
    /// The ClusterMessage type of a broadcast.
    public static let broadcastType = 3
    /// Fields tablecast adds to its entries, which the adapter's readers ignore: the owner's sequence number (a
    /// follower drops an entry republished after a broken connection by it) and when the owner numbered the event.
    public static let tablecastSeqField = "tablecast-seq"
    public static let tablecastEmittedField = "tablecast-emitted-ns"
    /// What an event's payload leaves out and the restaurant's projection needs (a journal's `detail`), base64.
    public static let tablecastDetailField = "tablecast-detail"
    /// The injected fault an event is or carries (a journal's `fault`), as its JSON text.
    public static let tablecastFaultField = "tablecast-fault"

    /// The entry's fields for a broadcast of an event to every socket of the namespace:
    /// `uid <uid> nsp <nsp> type 3 data {"packet":{"type":2,"data":<dataJSON>},"opts":{…}}`. The data array's
    /// bytes pass through as they are.
    public static func broadcastFields(uid: String, namespace: String, dataJSON: [UInt8]) -> [[UInt8]] {
        var data: [UInt8] = []
        data.reserveCapacity(dataJSON.count + 80)
        data.append(contentsOf: #"{"packet":{"type":2,"data":"#.utf8)
        data.append(contentsOf: dataJSON)
        data.append(contentsOf: #"},"opts":{"rooms":[],"except":[],"flags":{}}}"#.utf8)
        return [Array("uid".utf8), Array(uid.utf8), Array("nsp".utf8), Array(namespace.utf8),
                Array("type".utf8), Array(String(Self.broadcastType).utf8), Array("data".utf8), data]
    }

    /// A decoded stream entry.
    public struct Entry: Sendable, Equatable {
        public var uid: String
        public var namespace: String
        public var type: Int
        /// A tablecast owner's sequence number and emission time (monotonic nanoseconds), when it wrote the entry.
        public var tablecastSeq: Int64?
        public var emittedAtNanos: Int64?
        /// The `data` field as it was; `nil` for messages without one (0.2.x heartbeats).
        public var rawData: [UInt8]?
        /// The owner's `detail` of the event, decoded.
        public var detail: [UInt8]?
        /// The owner's fault mark of the event.
        public var fault: String?

        /// The decoded `data` field (JSON, or base64 of msgpack), decoded when asked: a reader that only needs the
        /// verbatim bytes (``StreamsAdapter/verbatimEvent(data:)``) never pays for it.
        public func data() throws(AdapterFormatError) -> JSValue? {
            guard let rawData = self.rawData else { return nil }
            return try StreamsAdapter.decodeData(rawData)
        }

        /// The event of a broadcast (type 3) of an EVENT packet; `nil` for every other message.
        /// - Throws: when the `data` of a broadcast cannot be decoded.
        public func event() throws(AdapterFormatError) -> (event: AdapterEvent, rooms: [String], except: [String])? {
            guard self.type == StreamsAdapter.broadcastType, case .object(let body)? = try self.data(),
                  case .object(let packet)? = body["packet"]
            else { return nil }
            // EVENT; BINARY_EVENT is never sent (receivers re-encode), but it is an event all the same.
            let packetType = ClassicAdapter.integer(packet["type"])
            guard packetType == 2 || packetType == 5 else { return nil }
            let opts: JSObject
            if case .object(let object)? = body["opts"] {
                opts = object
            } else {
                opts = JSObject()
            }
            return (try AdapterEvent(data: ClassicAdapter.data(packet)), ClassicAdapter.strings(opts["rooms"]),
                    ClassicAdapter.strings(opts["except"]))
        }
    }

    /// The event of a tablecast owner's broadcast entry with its payload bytes exactly as the owner's clients got
    /// them (the entry's `data` holds the data array verbatim): the arguments' spans, not a re-encoding. `nil` when
    /// `data` is not such JSON (a Node server's entry, base64 msgpack): ``Entry/event()`` applies then.
    public static func verbatimEvent(data: [UInt8]) -> AdapterEvent? {
        data.withUnsafeBytes { bytes -> AdapterEvent? in
            guard let packet = (try? JSONScanner.objectMembers(bytes))?.first(where: { $0.key == "packet" }),
                  packet.kind == .object,
                  let packetMembers = try? JSONScanner.objectMembers(UnsafeRawBufferPointer(rebasing: bytes[packet.span])),
                  let array = packetMembers.first(where: { $0.key == "data" }), array.kind == .array
            else { return nil }
            let arrayBytes = UnsafeRawBufferPointer(rebasing: bytes[packet.span][array.span.lowerBound + packet.span.lowerBound..<array.span.upperBound + packet.span.lowerBound])
            guard let elements = try? JSONScanner.arrayElements(arrayBytes), let first = elements.first,
                  first.kind == .string,
                  let name = try? JSONScanner.decodeString(UnsafeRawBufferPointer(rebasing: arrayBytes[first.span]))
            else { return nil }
            let arguments = elements.dropFirst()
            guard let firstArgument = arguments.first, let lastArgument = arguments.last else {
                return AdapterEvent(name: name, payload: [])
            }
            if arguments.count == 1 {
                return AdapterEvent(name: name, payload: Array(arrayBytes[firstArgument.span]))
            }
            return AdapterEvent(name: name,
                                payload: [UInt8(ascii: "[")]
                                    + Array(arrayBytes[firstArgument.span.lowerBound..<lastArgument.span.upperBound])
                                    + [UInt8(ascii: "]")])
        }
    }

    /// Decodes an entry's flat field list (`uid`, `…`, `nsp`, `…`), by name, as the adapter reads it.
    public static func decodeEntry(fields: [[UInt8]]) throws(AdapterFormatError) -> Entry {
        guard fields.count % 2 == 0 else {
            throw AdapterFormatError(description: "a stream entry has an odd number of fields and values")
        }
        var uid: String?
        var namespace: String?
        var type: String?
        var data: [UInt8]?
        var tablecastSeq: Int64?
        var emitted: Int64?
        var detail: [UInt8]?
        var fault: String?
        for index in stride(from: 0, to: fields.count, by: 2) {
            switch String(decoding: fields[index], as: UTF8.self) {
            case "uid": uid = String(decoding: fields[index + 1], as: UTF8.self)
            case "nsp": namespace = String(decoding: fields[index + 1], as: UTF8.self)
            case "type": type = String(decoding: fields[index + 1], as: UTF8.self)
            case "data": data = fields[index + 1]
            case Self.tablecastSeqField: tablecastSeq = Int64(String(decoding: fields[index + 1], as: UTF8.self))
            case Self.tablecastEmittedField: emitted = Int64(String(decoding: fields[index + 1], as: UTF8.self))
            case Self.tablecastDetailField: detail = Base64.decode(fields[index + 1])
            case Self.tablecastFaultField: fault = String(decoding: fields[index + 1], as: UTF8.self)
            default: continue
            }
        }
        guard let namespace else {
            throw AdapterFormatError(description: "the stream entry has no nsp field")
        }
        guard let typeText = type, let typeNumber = Int(typeText) else {
            throw AdapterFormatError(description: "the stream entry's type is not a number")
        }
        return Entry(uid: uid ?? "", namespace: namespace, type: typeNumber, tablecastSeq: tablecastSeq,
                     emittedAtNanos: emitted, rawData: data, detail: detail, fault: fault)
    }

    /// The `data` field: JSON when it starts with `{`, else base64 of msgpack.
    static func decodeData(_ data: [UInt8]) throws(AdapterFormatError) -> JSValue {
        if data.first == UInt8(ascii: "{") {
            do {
                return try JSValue(jsonBytes: data)
            } catch {
                throw AdapterFormatError(description: "the entry's data is not JSON: \(error)")
            }
        }
        guard let packed = Base64.decode(data) else {
            throw AdapterFormatError(description: "the entry's data is neither JSON nor base64")
        }
        let value: MessagePackValue
        do {
            value = try MessagePackDecoder.decode(packed)
        } catch {
            throw AdapterFormatError(description: "the entry's data: \(error)")
        }
        do {
            return try JSValue(messagePack: value)
        } catch {
            throw AdapterFormatError(description: "the entry's data: \(error)")
        }
    }
}
