import HTTPTypes
import Logging
import NIOCore
import NIOHTTPTypes

/// Enforces ``HTTPConnectionStateMachine``'s rules on one connection: the request-head, body and keep-alive idle
/// timeouts, closing on the peer's half-close and on graceful shutdown, and refusing a connection over the cap.
///
/// It sits right after the HTTP codec, in front of every other handler, so it sees every request part that arrives
/// and every response part that leaves, and it is there from the accept on, before anything else knows the
/// connection exists. A connection that becomes a WebSocket removes it: Engine.IO's heartbeat rules take over.
final class HTTPConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var machine: HTTPConnectionStateMachine
    private var timer: Scheduled<Void>?
    /// Over the connection cap: the first request is answered `503` and the connection closed.
    private let refuse: Bool
    private var refused = false
    private let logger: Logger

    init(timeouts: HTTPConnectionStateMachine.Timeouts, refuse: Bool, logger: Logger) {
        self.machine = HTTPConnectionStateMachine(timeouts: timeouts)
        self.refuse = refuse
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive {
            self.perform(self.machine.connectionActive(), context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        self.perform(self.machine.connectionActive(), context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.perform(self.machine.connectionInactive(), context: context)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = self.unwrapInboundIn(data)
        if self.refuse {
            if case .head = part, !self.refused {
                self.refused = true
                self.timer?.cancel()
                self.respond(context: context, status: .serviceUnavailable,
                             message: "too many connections: the server is at its connection limit")
            }
            return
        }
        switch part {
        case .head:
            self.perform(self.machine.headReceived(), context: context)
        case .end:
            self.perform(self.machine.requestEndReceived(), context: context)
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let isEnd = if case .end = self.unwrapOutboundIn(data) { true } else { false }
        guard isEnd else {
            context.write(data, promise: promise)
            return
        }
        switch self.machine.responseEndWritten() {
        case .close:
            // The last response of a connection that is closing: once it is on the wire, close.
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.cascade(to: promise)
            context.writeAndFlush(data, promise: written)
            written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        case let action:
            context.write(data, promise: promise)
            self.perform(action, context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .some(.inputClosed) = event as? ChannelEvent {
            self.perform(self.machine.inputClosed(), context: context)
        } else if event is ChannelShouldQuiesceEvent {
            self.perform(self.machine.quiesce(), context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func perform(_ action: HTTPConnectionStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .setTimer(let delay):
            self.timer?.cancel()
            self.timer = delay.map { delay in
                context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
                    self.timer = nil
                    self.perform(self.machine.timerFired(), context: context)
                }
            }
        case .timeOut where self.refuse:
            self.timer?.cancel()
            self.timer = nil
            if !self.refused {
                self.refused = true
                self.respond(context: context, status: .serviceUnavailable,
                             message: "too many connections: the server is at its connection limit")
            }
        case .timeOut:
            self.timer?.cancel()
            self.timer = nil
            self.logger.debug("closing a connection that sent no complete request in time",
                              metadata: ["peer": "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")"])
            self.respond(context: context, status: .requestTimeout,
                         message: "request timeout: no complete request within "
                            + "\(self.machine.timeouts.requestHead.nanoseconds / 1_000_000) ms")
        case .close:
            self.timer?.cancel()
            self.timer = nil
            context.close(promise: nil)
        }
    }

    /// Answers with a JSON error and closes once it is written.
    private func respond(context: ChannelHandlerContext, status: HTTPResponse.Status, message: String) {
        context.respondAndClose(status: status, jsonBody: ByteBuffer(string: #"{"error":"\#(message)"}"#))
    }
}
