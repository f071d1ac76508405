import Logging
import NIOCore
import NIOWebSocket

/// Drives ``WebSocketInboundStateMachine`` on a WebSocket connection: right after the frame decoder, it passes on
/// complete messages only, answers pings and closes, and fails the connection with the code RFC 6455 asks for.
final class WebSocketInboundHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private var machine: WebSocketInboundStateMachine
    private let logger: Logger

    init(maxMessageSize: Int, logger: Logger) {
        self.machine = WebSocketInboundStateMachine(maxMessageSize: maxMessageSize)
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.perform(self.machine.receive(self.unwrapInboundIn(data)), context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? NIOWebSocketError {
            self.perform(self.machine.decodingFailed(error), context: context)
        } else {
            context.fireErrorCaught(error)
        }
    }

    private func perform(_ action: WebSocketInboundStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .deliver(let opcode, let data):
            context.fireChannelRead(self.wrapInboundOut(WebSocketFrame(fin: true, opcode: opcode, data: data)))
        case .pong(let data):
            context.writeAndFlush(self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: data)),
                                  promise: nil)
        case .acknowledgeClose(let code):
            var payload = context.channel.allocator.buffer(capacity: 2)
            if let code {
                payload.write(webSocketErrorCode: code)
            }
            self.sendCloseAndClose(payload, context: context)
        case .fail(let code, let reason):
            self.logger.debug("failing a WebSocket connection: \(reason)", metadata: ["code": "\(code)"])
            var payload = context.channel.allocator.buffer(capacity: 2)
            payload.write(webSocketErrorCode: code)
            self.sendCloseAndClose(payload, context: context)
        }
    }

    private func sendCloseAndClose(_ payload: ByteBuffer, context: ChannelHandlerContext) {
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)
        context.writeAndFlush(self.wrapOutboundOut(frame)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
