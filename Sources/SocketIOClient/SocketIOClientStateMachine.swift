import NIOCore
import SocketIOProtocol
import TablecastJSON

/// The contents of an Engine.IO `open` packet, as a client reads them.
struct EngineIOOpenPacket: Sendable, Equatable {
    var sid: String
    var upgrades: [String]
    /// Milliseconds.
    var pingInterval: Int64
    /// Milliseconds.
    var pingTimeout: Int64
    var maxPayload: Int

    /// Parses the JSON after the `0` type character.
    /// - Throws: ``EngineIOParseError`` when it is not an object with a string `sid` and numeric timings.
    init(json: ByteBuffer) throws(EngineIOParseError) {
        var sid: String?
        var upgrades: [String] = []
        var pingInterval: Int64?
        var pingTimeout: Int64?
        var maxPayload = 1_000_000
        do throws(JSONError) {
            try json.withUnsafeReadableBytes { (bytes) throws(JSONError) in
                for member in try JSONScanner.objectMembers(bytes) {
                    let value = UnsafeRawBufferPointer(rebasing: bytes[member.span])
                    switch (member.key, member.kind) {
                    case ("sid", .string):
                        sid = try JSONScanner.decodeString(value)
                    case ("upgrades", .array):
                        for element in try JSONScanner.arrayElements(value) where element.kind == .string {
                            upgrades.append(
                                try JSONScanner.decodeString(UnsafeRawBufferPointer(rebasing: value[element.span]))
                            )
                        }
                    case ("pingInterval", .number):
                        pingInterval = Int64(String(decoding: value, as: UTF8.self))
                    case ("pingTimeout", .number):
                        pingTimeout = Int64(String(decoding: value, as: UTF8.self))
                    case ("maxPayload", .number):
                        maxPayload = Int(String(decoding: value, as: UTF8.self)) ?? maxPayload
                    default:
                        break
                    }
                }
            }
        } catch {
            throw EngineIOParseError(reason: "open packet: \(error)")
        }
        guard let sid, !sid.isEmpty, let pingInterval, let pingTimeout else {
            throw EngineIOParseError(reason: "open packet without sid, pingInterval or pingTimeout")
        }
        self.sid = sid
        self.upgrades = upgrades
        self.pingInterval = pingInterval
        self.pingTimeout = pingTimeout
        self.maxPayload = maxPayload
    }
}

/// The client side of one Engine.IO session and its one Socket.IO namespace, whatever the transport.
///
/// Pure: no I/O and no clocks. The driver feeds it each packet received, in order, and performs the action returned;
/// transports, the upgrade and the timers are the driver's.
struct SocketIOClientStateMachine: Sendable {
    enum State: Sendable, Equatable {
        /// Waiting for the Engine.IO `open` packet.
        case awaitingOpen
        /// CONNECT sent, waiting for the namespace's answer.
        case awaitingConnect(EngineIOOpenPacket)
        case connected(EngineIOOpenPacket, socketID: String)
        case closed
    }

    enum Action: Sendable, Equatable {
        case none
        /// The session is open: send `connect` (the CONNECT packet) and arm the heartbeat timer.
        case opened(EngineIOOpenPacket, connect: EngineIOFrame)
        /// A server ping: send the pong and re-arm the heartbeat timer.
        case pong(EngineIOFrame)
        /// The namespace accepted the CONNECT.
        case connected(socketID: String)
        /// The namespace answered CONNECT_ERROR with this message.
        case refused(message: String)
        case event(name: String, payload: [UInt8])
        /// The server sent DISCONNECT for the namespace ("io server disconnect").
        case serverDisconnect
        /// The server sent the Engine.IO `close` packet ("transport close").
        case serverClose
        /// The packet breaks the protocol ("parse error"); close the session.
        case protocolError(String)
    }

    private(set) var state: State = .awaitingOpen
    let namespace: String
    private let auth: ByteBuffer?
    /// Binary attachments still to skip after a BINARY_EVENT or BINARY_ACK.
    private var attachmentsToSkip = 0

    init(namespace: String, auth: [UInt8]?) {
        self.namespace = namespace
        self.auth = auth.map { ByteBuffer(bytes: $0) }
    }

    /// The CONNECT packet: `40<nsp>,` followed by the auth JSON, if any.
    var connectFrame: EngineIOFrame {
        SocketIOPacket(type: .connect, namespace: self.namespace, payload: self.auth).frame
    }

    /// What a client sends when it leaves: DISCONNECT for the namespace if it joined it, then the Engine.IO `close`.
    var leaveFrames: [EngineIOFrame] {
        if case .connected = self.state {
            return [SocketIOPacket(type: .disconnect, namespace: self.namespace).frame, .close]
        }
        return [.close]
    }

    var isConnected: Bool {
        if case .connected = self.state { return true }
        return false
    }

    /// The session closed, whatever the reason: later packets are ignored.
    mutating func close() {
        self.state = .closed
    }

    /// One packet received, in order.
    mutating func receive(_ packet: EngineIOPacket) -> Action {
        if packet.isBinary {
            guard self.attachmentsToSkip > 0 else { return .protocolError("unexpected binary attachment") }
            self.attachmentsToSkip -= 1
            return .none
        }
        if self.attachmentsToSkip > 0 {
            return .protocolError("packet received while waiting for binary attachments")
        }
        switch (self.state, packet.type) {
        case (.closed, _):
            return .none
        case (.awaitingOpen, .open):
            do {
                let open = try EngineIOOpenPacket(json: packet.data)
                self.state = .awaitingConnect(open)
                return .opened(open, connect: self.connectFrame)
            } catch {
                return .protocolError("\(error)")
            }
        case (.awaitingOpen, _):
            return .protocolError("the first packet is not an Engine.IO open packet")
        case (_, .open):
            return .protocolError("a second open packet")
        case (_, .ping):
            return .pong(.pong)
        case (_, .close):
            return .serverClose
        case (_, .pong), (_, .noop), (_, .upgrade):
            return .none
        case (_, .message):
            return self.receiveSocketIO(packet.data)
        }
    }

    private mutating func receiveSocketIO(_ data: ByteBuffer) -> Action {
        let packet: SocketIOPacket
        do {
            packet = try SocketIOPacket.decode(data)
        } catch {
            return .protocolError("\(error)")
        }
        self.attachmentsToSkip = packet.attachmentCount
        guard packet.namespace == self.namespace else { return .none }
        switch (self.state, packet.type) {
        case (.awaitingConnect(let open), .connect):
            let socketID = packet.payload.flatMap { Self.stringMember("sid", of: $0) } ?? ""
            self.state = .connected(open, socketID: socketID)
            return .connected(socketID: socketID)
        case (.awaitingConnect, .connectError):
            return .refused(message: packet.payload.map(Self.errorMessage) ?? "CONNECT_ERROR")
        case (.connected, .disconnect):
            self.state = .closed
            return .serverDisconnect
        case (.connected, .event), (.connected, .binaryEvent):
            guard let payload = packet.payload, let (name, arguments) = Self.event(payload) else {
                return .protocolError("malformed EVENT")
            }
            return .event(name: name, payload: arguments)
        default:
            // ACKs answer nothing we asked; anything else out of place is ignored, as socket.io-client does.
            return .none
        }
    }

    /// The event name and the arguments' bytes, as documented on ``SocketIOClientEvent/event(name:payload:receivedAtWallMillis:receivedAtMonoNanos:)``.
    static func event(_ payload: ByteBuffer) -> (String, [UInt8])? {
        guard let (name, arguments) = SocketIOPacket.eventElements(payload) else { return nil }
        guard let first = arguments.first, let last = arguments.last else { return (name, []) }
        let bytes = payload.readableBytesView
        let start = bytes.startIndex
        if arguments.count == 1 {
            return (name, Array(bytes[(start + first.lowerBound)..<(start + first.upperBound)]))
        }
        var joined: [UInt8] = [UInt8(ascii: "[")]
        joined.append(contentsOf: bytes[(start + first.lowerBound)..<(start + last.upperBound)])
        joined.append(UInt8(ascii: "]"))
        return (name, joined)
    }

    /// A CONNECT_ERROR's message: the `message` member of an object, or the string itself.
    static func errorMessage(_ payload: ByteBuffer) -> String {
        if let message = Self.stringMember("message", of: payload) {
            return message
        }
        let decoded = payload.withUnsafeReadableBytes { try? JSONScanner.decodeString($0) }
        return decoded ?? String(buffer: payload)
    }

    private static func stringMember(_ key: String, of object: ByteBuffer) -> String? {
        object.withUnsafeReadableBytes { bytes -> String? in
            guard let members = try? JSONScanner.objectMembers(bytes),
                let member = members.first(where: { $0.key == key && $0.kind == .string })
            else { return nil }
            return try? JSONScanner.decodeString(UnsafeRawBufferPointer(rebasing: bytes[member.span]))
        }
    }
}
