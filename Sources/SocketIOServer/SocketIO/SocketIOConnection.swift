import Logging
import NIOConcurrencyHelpers
import NIOCore
import SocketIOProtocol
import TablecastJSON

/// The Socket.IO layer of one Engine.IO session: namespace membership, binary reassembly, dispatch.
final class SocketIOConnection: EngineSessionDelegate {
    struct Configuration: Sendable {
        var namespaces: [String: SocketIONamespace]
        var connectTimeout: TimeAmount
        var logger: Logger
    }

    private let configuration: Configuration
    private let state = NIOLockedValueBox(State())

    private struct State {
        var sockets: [String: SocketIOSocket] = [:]
        /// A BINARY_EVENT or BINARY_ACK waiting for its attachments.
        var pending: (packet: SocketIOPacket, attachments: [ByteBuffer])?
        var connectTimer: Scheduled<Void>?
        var closed = false
    }

    init(session: EngineSession, configuration: Configuration) {
        self.configuration = configuration
        // A client that joins no namespace in time is closed, as the reference server does.
        let timer = session.homeLoop.scheduleTask(in: configuration.connectTimeout) { [weak session, state] in
            let joined = state.withLockedValue { !$0.sockets.isEmpty || $0.closed }
            if !joined {
                session?.close(reason: .connectTimeout)
            }
        }
        self.state.withLockedValue { $0.connectTimer = timer }
    }

    func session(_ session: EngineSession, didReceive packet: EngineIOPacket) {
        if packet.isBinary {
            self.receiveAttachment(packet.data, session: session)
            return
        }
        let decoded: SocketIOPacket
        do {
            decoded = try SocketIOPacket.decode(packet.data)
        } catch {
            self.protocolError(session, "\(error)")
            return
        }
        if self.state.withLockedValue({ $0.pending != nil }) {
            self.protocolError(session, "packet received while waiting for binary attachments")
            return
        }
        if decoded.attachmentCount > 0 {
            self.state.withLockedValue { $0.pending = (decoded, []) }
            return
        }
        self.dispatch(decoded, attachments: [], session: session)
    }

    private func receiveAttachment(_ data: ByteBuffer, session: EngineSession) {
        let complete = self.state.withLockedValue { state -> (SocketIOPacket, [ByteBuffer])?? in
            guard var pending = state.pending else { return .none }
            pending.attachments.append(data)
            if pending.attachments.count == pending.packet.attachmentCount {
                state.pending = nil
                return .some((pending.packet, pending.attachments))
            }
            state.pending = pending
            return .some(nil)
        }
        switch complete {
        case .none:
            self.protocolError(session, "unexpected binary attachment")
        case .some(.none):
            break
        case .some(.some(let (packet, attachments))):
            self.dispatch(packet, attachments: attachments, session: session)
        }
    }

    private func dispatch(_ packet: SocketIOPacket, attachments: [ByteBuffer], session: EngineSession) {
        let socket = self.state.withLockedValue { $0.sockets[packet.namespace] }
        switch packet.type {
        case .connect:
            self.connect(namespace: packet.namespace, auth: packet.payload, existing: socket, session: session)
        case .disconnect:
            guard let socket else { return }
            self.state.withLockedValue { _ = $0.sockets.removeValue(forKey: packet.namespace) }
            if self.configuration.namespaces[socket.namespace]?.receivesBroadcasts == true {
                session.unsubscribeFromBroadcast()
            }
        case .event, .binaryEvent:
            guard let socket else {
                self.protocolError(session, "event for namespace \(packet.namespace) before CONNECT")
                return
            }
            self.dispatchEvent(packet, attachments: attachments, socket: socket)
        case .ack, .binaryAck:
            // The server never asks for acknowledgements, so there is nothing to resolve.
            guard socket != nil else {
                self.protocolError(session, "ack for namespace \(packet.namespace) before CONNECT")
                return
            }
        case .connectError:
            self.protocolError(session, "CONNECT_ERROR sent by a client")
        }
    }

    private func connect(namespace: String, auth: ByteBuffer?, existing: SocketIOSocket?, session: EngineSession) {
        guard let definition = self.configuration.namespaces[namespace] else {
            var payload = ByteBuffer()
            payload.writeStaticString(#"{"message":"Invalid namespace"}"#)
            session.send(SocketIOPacket(type: .connectError, namespace: namespace, payload: payload).frame)
            return
        }
        let socket = existing ?? SocketIOSocket(id: EngineIOSessionID.make(), namespace: namespace, auth: auth,
                                                session: session)
        self.state.withLockedValue { $0.sockets[namespace] = socket }
        if existing == nil, definition.receivesBroadcasts {
            // Before the answer: an event emitted once the client has its answer must reach it.
            session.subscribeToBroadcast(traced: Self.asksForTrace(auth))
        }
        var payload = ByteBuffer()
        payload.writeStaticString(#"{"sid":"#)
        payload.writeJSONString(socket.id)
        payload.writeStaticString("}")
        session.send(SocketIOPacket(type: .connect, namespace: namespace, payload: payload).frame)
        guard existing == nil else { return }
        definition.onConnect?(socket)
    }

    private func dispatchEvent(_ packet: SocketIOPacket, attachments: [ByteBuffer], socket: SocketIOSocket) {
        guard let payload = packet.payload,
            let handlers = self.configuration.namespaces[socket.namespace]?.eventHandlers, !handlers.isEmpty
        else { return }
        guard let (name, spans) = SocketIOPacket.eventElements(payload), let handler = handlers[name] else { return }
        let arguments = spans.map { span in
            payload.getSlice(at: payload.readerIndex + span.lowerBound, length: span.count)!
        }
        handler(socket, SocketIOEvent(name: name, arguments: arguments, attachments: attachments, ackID: packet.ackID))
    }

    /// A forced disconnect: the client leaves every namespace that receives broadcasts, as if it had sent DISCONNECT,
    /// except that the server sends the packet (`41/events,`), as `socket.disconnect()` does in the reference server.
    func sessionWasForcedOffBroadcast(_ session: EngineSession) {
        let left = self.state.withLockedValue { state -> [String] in
            let namespaces = state.sockets.keys.filter { self.configuration.namespaces[$0]?.receivesBroadcasts == true }
            for namespace in namespaces {
                state.sockets[namespace] = nil
            }
            return namespaces.sorted()
        }
        for namespace in left {
            session.send(SocketIOPacket(type: .disconnect, namespace: namespace).frame)
        }
    }

    /// Whether the CONNECT's auth object has `"tablecastTrace":true`: a load client asking for each event's trace.
    static func asksForTrace(_ auth: ByteBuffer?) -> Bool {
        guard let auth else { return false }
        return auth.withUnsafeReadableBytes { bytes in
            guard let members = try? JSONScanner.objectMembers(bytes) else { return false }
            return members.contains { member in
                member.key == "tablecastTrace" && member.kind == .bool
                    && bytes[member.span.lowerBound] == UInt8(ascii: "t")
            }
        }
    }

    private func protocolError(_ session: EngineSession, _ reason: String) {
        self.configuration.logger.debug("closing session: \(reason)", metadata: ["sid": "\(session.id)"])
        session.close(reason: .parseError)
    }

    func session(_ session: EngineSession, didCloseWith reason: EngineIOSessionStateMachine.CloseReason) {
        self.state.withLockedValue { state in
            state.closed = true
            state.sockets.removeAll()
            state.pending = nil
            state.connectTimer?.cancel()
            state.connectTimer = nil
        }
    }
}
