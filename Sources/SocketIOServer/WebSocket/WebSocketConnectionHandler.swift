import Logging
import NIOCore
import NIOWebSocket
import SocketIOProtocol

/// Reads one WebSocket connection's messages and drives its Engine.IO session.
///
/// The connection is either a session of its own (`transport=websocket` without a `sid`), or the probe of a
/// polling session that wants to upgrade, or a second WebSocket for a session that already has one, which the
/// protocol says to close once the handshake is done.
final class WebSocketConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame

    enum Role {
        case pending(EngineServer.WebSocketTarget)
        case active(EngineSession)
        case probing(EngineSession)
        case closed
    }

    private let server: EngineServer
    private let transport: WebSocketTransport
    private var role: Role

    init(server: EngineServer, transport: WebSocketTransport, target: EngineServer.WebSocketTarget) {
        self.server = server
        self.transport = transport
        self.role = .pending(target)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        guard case .pending(let target) = self.role else { return }
        switch target {
        case .newSession:
            if let session = self.server.openSession(on: context.eventLoop, webSocket: self.transport) {
                self.role = .active(session)
            } else {
                self.role = .closed
                self.transport.close()
            }
        case .probe(let session):
            if session.attachProbe(self.transport) {
                self.role = .probing(session)
            } else {
                self.role = .closed
                self.transport.close()
            }
        case .closeAfterHandshake:
            self.role = .closed
            self.transport.close()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            let packet: EngineIOPacket
            do {
                packet = try EngineIOPacket.decodeText(frame.unmaskedData)
            } catch {
                self.malformed(error)
                return
            }
            self.received(packet)
        case .binary:
            self.received(EngineIOPacket(type: .message, data: frame.unmaskedData, isBinary: true))
        default:
            // Control frames and fragments are WebSocketInboundHandler's: only whole messages get here.
            break
        }
    }

    private func received(_ packet: EngineIOPacket) {
        switch self.role {
        case .active(let session):
            session.receive(packet)
        case .probing(let session):
            if packet.type == .ping, packet.data.readableBytesView.elementsEqual("probe".utf8) {
                if !session.probeReceived(from: self.transport) {
                    self.role = .closed
                    self.transport.close()
                }
            } else if packet.type == .upgrade, session.upgradeReceived(from: self.transport) {
                self.role = .active(session)
            } else {
                // Anything else during the upgrade ends the probe; the session goes on polling.
                session.upgradeAbandoned(by: self.transport)
                self.role = .closed
                self.transport.close()
            }
        case .pending, .closed:
            break
        }
    }

    private func malformed(_ error: any Error) {
        switch self.role {
        case .active(let session):
            self.server.logger.debug("closing session: \(error)", metadata: ["sid": "\(session.id)"])
            session.close(reason: .parseError)
        case .probing(let session):
            session.upgradeAbandoned(by: self.transport)
            self.transport.close()
        case .pending, .closed:
            self.transport.close()
        }
        self.role = .closed
    }

    func channelInactive(context: ChannelHandlerContext) {
        switch self.role {
        case .active(let session), .probing(let session):
            session.webSocketClosed(self.transport)
        case .pending, .closed:
            break
        }
        self.role = .closed
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.server.logger.debug("WebSocket error: \(error)")
        context.close(promise: nil)
    }
}
