import NIOCore
import TablecastJSON

/// The Socket.IO v5 packet types, in wire order.
public enum SocketIOPacketType: UInt8, Sendable, CaseIterable {
    case connect = 0
    case disconnect = 1
    case event = 2
    case ack = 3
    case connectError = 4
    case binaryEvent = 5
    case binaryAck = 6

    /// Whether packets of this type announce binary attachments (`51-…`).
    public var hasAttachments: Bool { self == .binaryEvent || self == .binaryAck }
}

/// One Socket.IO packet, with its payload kept as the exact JSON bytes.
///
/// Format: `<type>[<attachments>-][<namespace>,][<ack id>][JSON payload]`, the namespace written only when it is
/// not `/`. Binary attachments follow as separate Engine.IO binary messages; the payload holds placeholders for them.
public struct SocketIOPacket: Sendable, Equatable {
    public var type: SocketIOPacketType
    public var namespace: String
    public var ackID: UInt64?
    public var attachmentCount: Int
    /// The JSON payload bytes, exactly as received or to be sent; `nil` when the packet has none.
    public var payload: ByteBuffer?

    public init(type: SocketIOPacketType, namespace: String = "/", ackID: UInt64? = nil, attachmentCount: Int = 0,
                payload: ByteBuffer? = nil) {
        self.type = type
        self.namespace = namespace
        self.ackID = ackID
        self.attachmentCount = attachmentCount
        self.payload = payload
    }

    /// Event names the protocol reserves; a client may not emit them.
    public static let reservedEventNames: Set<String> = [
        "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener",
    ]

    /// The longest acknowledgement id accepted, in digits (larger ones cannot round-trip through JavaScript).
    static let maximumAckIDDigits = 15

    /// Decodes the data of an Engine.IO `message` packet.
    ///
    /// Validation follows the reference parser: CONNECT carries an object or nothing, DISCONNECT nothing,
    /// CONNECT_ERROR an object or a string, EVENT a non-empty array starting with a non-reserved name, ACK an array.
    /// - Throws: ``SocketIOParseError``; the caller closes the connection, as the protocol says.
    public static func decode(_ buffer: ByteBuffer) throws(SocketIOParseError) -> SocketIOPacket {
        let view = buffer.readableBytesView
        var index = view.startIndex
        guard index < view.endIndex, view[index] >= UInt8(ascii: "0"),
            let type = SocketIOPacketType(rawValue: view[index] &- UInt8(ascii: "0"))
        else {
            throw SocketIOParseError(reason: "unknown packet type")
        }
        index += 1

        var attachments = 0
        if type.hasAttachments {
            let start = index
            while index < view.endIndex, view[index] != UInt8(ascii: "-") {
                guard view[index] >= UInt8(ascii: "0"), view[index] <= UInt8(ascii: "9"), index - start < 6 else {
                    throw SocketIOParseError(reason: "illegal attachments")
                }
                attachments = attachments * 10 + Int(view[index] - UInt8(ascii: "0"))
                index += 1
            }
            guard index < view.endIndex, index > start else {
                throw SocketIOParseError(reason: "illegal attachments")
            }
            index += 1
        }

        var namespace = "/"
        if index < view.endIndex, view[index] == UInt8(ascii: "/") {
            let start = index
            while index < view.endIndex, view[index] != UInt8(ascii: ",") {
                index += 1
            }
            namespace = String(decoding: view[start..<index], as: UTF8.self)
            if index < view.endIndex {
                index += 1
            }
        }

        var ackID: UInt64?
        let digitsStart = index
        while index < view.endIndex, view[index] >= UInt8(ascii: "0"), view[index] <= UInt8(ascii: "9") {
            guard index - digitsStart < Self.maximumAckIDDigits else {
                throw SocketIOParseError(reason: "acknowledgement id too long")
            }
            ackID = (ackID ?? 0) * 10 + UInt64(view[index] - UInt8(ascii: "0"))
            index += 1
        }

        var payload: ByteBuffer?
        var payloadKind: JSONValueKind?
        var firstElement: (kind: JSONValueKind, span: Range<Int>)?
        var payloadIsEmptyArray = false
        if index < view.endIndex {
            let slice = buffer.getSlice(at: index - view.startIndex + buffer.readerIndex, length: view.endIndex - index)!
            do throws(JSONError) {
                try slice.withUnsafeReadableBytes { (bytes) throws(JSONError) in
                    if type == .event || type == .binaryEvent {
                        let elements = try JSONScanner.arrayElements(bytes)
                        payloadKind = .array
                        firstElement = elements.first
                        payloadIsEmptyArray = elements.isEmpty
                        if let first = elements.first, first.kind == .string {
                            let name = try JSONScanner.decodeString(UnsafeRawBufferPointer(rebasing: bytes[first.span]))
                            if Self.reservedEventNames.contains(name) {
                                throw JSONError(offset: first.span.lowerBound, reason: "reserved event name")
                            }
                        }
                    } else {
                        payloadKind = try JSONScanner.validate(bytes).0
                    }
                }
            } catch {
                throw SocketIOParseError(reason: "invalid payload: \(error)")
            }
            payload = slice
        }

        switch type {
        case .connect:
            guard payload == nil || payloadKind == .object else {
                throw SocketIOParseError(reason: "CONNECT payload must be an object")
            }
        case .disconnect:
            guard payload == nil else { throw SocketIOParseError(reason: "DISCONNECT takes no payload") }
        case .connectError:
            guard payloadKind == .object || payloadKind == .string else {
                throw SocketIOParseError(reason: "CONNECT_ERROR payload must be an object or a string")
            }
        case .event, .binaryEvent:
            guard payload != nil, !payloadIsEmptyArray,
                firstElement?.kind == .string || firstElement?.kind == .number
            else {
                throw SocketIOParseError(reason: "EVENT payload must be a non-empty array starting with the event name")
            }
        case .ack, .binaryAck:
            guard payloadKind == .array else { throw SocketIOParseError(reason: "ACK payload must be an array") }
        }
        return SocketIOPacket(type: type, namespace: namespace, ackID: ackID, attachmentCount: attachments,
                              payload: payload)
    }

    /// Appends the encoded packet (without the Engine.IO type character) to `buffer`.
    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "0") + self.type.rawValue)
        if self.type.hasAttachments {
            buffer.writeString(String(self.attachmentCount))
            buffer.writeInteger(UInt8(ascii: "-"))
        }
        if self.namespace != "/" {
            buffer.writeString(self.namespace)
            buffer.writeInteger(UInt8(ascii: ","))
        }
        if let ackID = self.ackID {
            buffer.writeString(String(ackID))
        }
        if let payload = self.payload {
            buffer.writeImmutableBuffer(payload)
        }
    }

    /// The packet as an Engine.IO `message` frame: `4` followed by the encoded packet.
    public var frame: EngineIOFrame {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(16 + self.namespace.utf8.count + (self.payload?.readableBytes ?? 0))
        buffer.writeInteger(EngineIOPacketType.message.character)
        self.encode(into: &buffer)
        return EngineIOFrame(bytes: buffer)
    }
}

/// Why bytes are not a valid Socket.IO packet.
public struct SocketIOParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String

    public init(reason: String) {
        self.reason = reason
    }

    public var description: String { "invalid Socket.IO packet: \(self.reason)" }
}

extension SocketIOPacket {
    /// The Engine.IO frame of an EVENT on `namespace`: `42<nsp>,["name",<payload>]`, payload bytes untouched.
    ///
    /// This is the broadcast path's encoder: one allocation, the name escaped as JSON, the payload copied once.
    public static func eventFrame(namespace: String, name: String, payload: some Collection<UInt8>) -> EngineIOFrame {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(8 + namespace.utf8.count + name.utf8.count + payload.count)
        buffer.writeStaticString("42")
        if namespace != "/" {
            buffer.writeString(namespace)
            buffer.writeInteger(UInt8(ascii: ","))
        }
        buffer.writeInteger(UInt8(ascii: "["))
        buffer.writeJSONString(name)
        buffer.writeInteger(UInt8(ascii: ","))
        buffer.writeBytes(payload)
        buffer.writeInteger(UInt8(ascii: "]"))
        return EngineIOFrame(bytes: buffer)
    }

    /// The event name and where each argument's bytes are, in an EVENT's payload (`["name",arg,…]`): offsets from
    /// the payload's reader index. `nil` when the payload is not such an array (the name may be any JSON value, as
    /// the reference parser allows; a non-string name is taken as its text).
    public static func eventElements(_ payload: ByteBuffer) -> (name: String, arguments: [Range<Int>])? {
        payload.withUnsafeReadableBytes { bytes -> (String, [Range<Int>])? in
            guard let elements = try? JSONScanner.arrayElements(bytes), let first = elements.first else { return nil }
            let nameBytes = UnsafeRawBufferPointer(rebasing: bytes[first.span])
            let name: String
            if first.kind == .string {
                guard let decoded = try? JSONScanner.decodeString(nameBytes) else { return nil }
                name = decoded
            } else {
                name = String(decoding: nameBytes, as: UTF8.self)
            }
            return (name, elements.dropFirst().map(\.span))
        }
    }

    /// An ``eventFrame(namespace:name:payload:)`` with a trailing trace argument, `{"seq":N,"emittedAt":T}`: the
    /// event's sequence number and its emission time in monotonic nanoseconds, for load clients that ask for it.
    /// The payload argument is unchanged.
    public static func tracedEventFrame(_ frame: EngineIOFrame, seq: Int64, emittedAtNanos: Int64) -> EngineIOFrame {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(frame.bytes.readableBytes + 48)
        var untraced = frame.bytes
        untraced.moveWriterIndex(to: untraced.writerIndex - 1)  // the closing "]"
        buffer.writeImmutableBuffer(untraced)
        buffer.writeString(",{\"seq\":\(seq),\"emittedAt\":\(emittedAtNanos)}]")
        return EngineIOFrame(bytes: buffer)
    }
}
