import NIOCore
import SocketIOProtocol

/// A namespace the server accepts, and what happens in it.
public struct SocketIONamespace: Sendable {
    public typealias EventHandler = @Sendable (SocketIOSocket, SocketIOEvent) -> Void

    /// The namespace name, starting with `/`.
    public let name: String
    /// Whether sockets that join receive the server's broadcasts (the `/events` namespace).
    public var receivesBroadcasts: Bool
    /// Called when a socket joins, after the CONNECT packet is acknowledged.
    public var onConnect: (@Sendable (SocketIOSocket) -> Void)?
    /// Handlers by event name; events without one are ignored.
    public var eventHandlers: [String: EventHandler]

    public init(
        _ name: String,
        receivesBroadcasts: Bool = false,
        onConnect: (@Sendable (SocketIOSocket) -> Void)? = nil,
        eventHandlers: [String: EventHandler] = [:]
    ) {
        self.name = name
        self.receivesBroadcasts = receivesBroadcasts
        self.onConnect = onConnect
        self.eventHandlers = eventHandlers
    }
}

/// An event a client emitted, with its arguments as the exact JSON bytes it sent.
public struct SocketIOEvent: Sendable {
    /// The event name (the first element of the payload array).
    public var name: String
    /// The arguments after the name, each as raw JSON; binary arguments keep their placeholders.
    public var arguments: [ByteBuffer]
    /// The binary attachments the placeholders refer to, in order.
    public var attachments: [ByteBuffer]
    /// The acknowledgement id, when the client asked for one.
    public var ackID: UInt64?
}

/// One client's membership of one namespace.
public final class SocketIOSocket: Sendable {
    /// The socket id sent in the CONNECT answer (distinct from the Engine.IO session id).
    public let id: String
    public let namespace: String
    /// The CONNECT packet's payload (the client's `auth`), exactly as sent; `nil` when it sent none.
    public let auth: ByteBuffer?
    /// The underlying Engine.IO session.
    public let session: EngineSession

    init(id: String, namespace: String, auth: ByteBuffer?, session: EngineSession) {
        self.id = id
        self.namespace = namespace
        self.auth = auth
        self.session = session
    }

    /// Emits an event to this client. Arguments are raw JSON; with attachments, the packet is a BINARY_EVENT and
    /// the arguments carry the placeholders.
    public func emit(_ name: String, arguments: [ByteBuffer], attachments: [ByteBuffer] = []) {
        var payload = ByteBuffer()
        payload.writeInteger(UInt8(ascii: "["))
        payload.writeJSONString(name)
        for argument in arguments {
            payload.writeInteger(UInt8(ascii: ","))
            payload.writeImmutableBuffer(argument)
        }
        payload.writeInteger(UInt8(ascii: "]"))
        self.send(type: attachments.isEmpty ? .event : .binaryEvent, ackID: nil, payload: payload,
                  attachments: attachments)
    }

    /// Answers an event that asked for an acknowledgement.
    public func acknowledge(_ ackID: UInt64, arguments: [ByteBuffer], attachments: [ByteBuffer] = []) {
        var payload = ByteBuffer()
        payload.writeInteger(UInt8(ascii: "["))
        for (index, argument) in arguments.enumerated() {
            if index > 0 {
                payload.writeInteger(UInt8(ascii: ","))
            }
            payload.writeImmutableBuffer(argument)
        }
        payload.writeInteger(UInt8(ascii: "]"))
        self.send(type: attachments.isEmpty ? .ack : .binaryAck, ackID: ackID, payload: payload,
                  attachments: attachments)
    }

    private func send(type: SocketIOPacketType, ackID: UInt64?, payload: ByteBuffer, attachments: [ByteBuffer]) {
        let packet = SocketIOPacket(type: type, namespace: self.namespace, ackID: ackID,
                                    attachmentCount: attachments.count, payload: payload)
        self.session.send([packet.frame] + attachments.map(EngineIOFrame.binary))
    }
}
