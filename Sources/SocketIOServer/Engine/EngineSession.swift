import Logging
import NIOConcurrencyHelpers
import NIOCore
import SocketIOProtocol

/// What the layer above an Engine.IO session (Socket.IO, or the plain echo server) implements.
public protocol EngineSessionDelegate: AnyObject, Sendable {
    /// A `message` packet arrived, text or binary.
    func session(_ session: EngineSession, didReceive packet: EngineIOPacket)
    /// The session closed; no more packets arrive.
    func session(_ session: EngineSession, didCloseWith reason: EngineIOSessionStateMachine.CloseReason)
    /// The server took the session off the broadcast by force (``ForcedDisconnectMode/namespace``) and keeps it
    /// open: tell the client it was disconnected from whatever delivered the broadcast, and forget that membership.
    ///
    /// The subscription has already ended when this is called, so that nothing broadcast reaches the client after
    /// what this sends.
    func sessionWasForcedOffBroadcast(_ session: EngineSession)
}

/// One Engine.IO session: the driver around ``EngineIOSessionStateMachine``.
///
/// All state sits behind one lock; actions run outside it. Timers run on the session's home loop (the loop of the
/// connection that opened it). The session is also a broadcast subscriber while it polls; once upgraded, its
/// ``WebSocketTransport`` subscribes instead.
public final class EngineSession: Sendable {
    public typealias CloseReason = EngineIOSessionStateMachine.CloseReason

    /// The session id (`sid`).
    public let id: String
    /// The loop that runs this session's timers.
    public let homeLoop: any EventLoop
    let server: EngineServer
    private let state: NIOLockedValueBox<State>

    private struct State {
        var machine: EngineIOSessionStateMachine
        var nextPollID: UInt64 = 1
        var heldPolls: [UInt64: EventLoopPromise<[EngineIOFrame]>] = [:]
        var webSocket: WebSocketTransport?
        var probe: WebSocketTransport?
        var pingTask: Scheduled<Void>?
        var pongTimeoutTask: Scheduled<Void>?
        var upgradeTimeoutTask: Scheduled<Void>?
        var delegate: (any EngineSessionDelegate)?
        var broadcast: BroadcastState = .none
        /// Whether the broadcast events carry their trace argument (the client asked for it when it joined).
        var traced = false
    }

    private enum BroadcastState {
        case none
        /// Polling: the session itself is subscribed on its home loop and has every event up to `lastDelivered`.
        case polling(lastDelivered: Int64)
        /// WebSocket: the transport is subscribed on its channel's loop.
        case webSocket(WebSocketTransport)

        var isSubscribed: Bool {
            if case .none = self { return false }
            return true
        }
    }

    init(id: String, homeLoop: any EventLoop, server: EngineServer, webSocket: WebSocketTransport?) {
        self.id = id
        self.homeLoop = homeLoop
        self.server = server
        var state = State(
            machine: EngineIOSessionStateMachine(
                transport: webSocket == nil ? .polling : .websocket,
                maxFramesPerPoll: server.configuration.maxPacketsPerPoll
            )
        )
        state.webSocket = webSocket
        self.state = NIOLockedValueBox(state)
    }

    var logger: Logger { self.server.logger }

    /// The transport in use, or `nil` once closed.
    public var transport: EngineIOSessionStateMachine.Transport? {
        self.state.withLockedValue { $0.machine.transport }
    }

    /// Whether the session receives the broadcast (its client joined a namespace that does).
    var isSubscribed: Bool {
        self.state.withLockedValue { state in
            if case .none = state.broadcast { return false }
            return true
        }
    }

    func setDelegate(_ delegate: any EngineSessionDelegate) {
        self.state.withLockedValue { $0.delegate = delegate }
    }

    // MARK: Sending

    /// Sends frames to the client, in order, on whichever transport the session uses now.
    public func send(_ frames: [EngineIOFrame]) {
        var overflow = false
        let action = self.state.withLockedValue { state in
            let action = state.machine.send(frames)
            overflow = state.machine.queuedBytes > self.server.maxBacklogBytes
            return action
        }
        self.perform(action)
        if overflow {
            self.close(reason: .slowConsumer)
        }
    }

    public func send(_ frame: EngineIOFrame) {
        self.send([frame])
    }

    private func perform(_ action: EngineIOSessionStateMachine.SendAction) {
        switch action {
        case .queued, .dropped:
            break
        case .write(let frames):
            self.state.withLockedValue { $0.webSocket }?.write(frames)
        case .completePoll(let id, let frames):
            let promise = self.state.withLockedValue { $0.heldPolls.removeValue(forKey: id) }
            promise?.succeed(frames)
        }
    }

    // MARK: Long-polling

    enum PollOutcome {
        case frames([EngineIOFrame])
        case error(EngineIOServerError)
    }

    /// A polling GET: answers at once, or holds it until frames are sent or the session closes.
    func poll(on channel: any Channel) -> EventLoopFuture<PollOutcome> {
        var held: EventLoopPromise<[EngineIOFrame]>?
        var pollID: UInt64 = 0
        let action = self.state.withLockedValue { state in
            pollID = state.nextPollID
            state.nextPollID += 1
            let action = state.machine.pollRequested(id: pollID)
            switch action {
            case .respond:
                break
            case .hold:
                let promise = self.homeLoop.makePromise(of: [EngineIOFrame].self)
                state.heldPolls[pollID] = promise
                held = promise
            case .reject, .rejectAndClose:
                break
            }
            return action
        }
        switch action {
        case .respond(let frames):
            if self.state.withLockedValue({ $0.machine.isClosed }) {
                // The noop a client that closed was owed: nothing more is.
                self.server.forget(self)
            }
            return channel.eventLoop.makeSucceededFuture(.frames(frames))
        case .reject(let error):
            return channel.eventLoop.makeSucceededFuture(.error(error))
        case .rejectAndClose(let error, let reason):
            self.close(reason: reason)
            return channel.eventLoop.makeSucceededFuture(.error(error))
        case .hold:
            self.server.watch(channel: channel, session: self, pollID: pollID)
            return held!.futureResult.map { .frames($0) }
        }
    }

    /// The connection of a held GET closed before the GET was answered.
    func pollAborted(id: UInt64) {
        let mustClose = self.state.withLockedValue { $0.machine.pollAborted(id: id) }
        if mustClose {
            self.close(reason: .pollAborted)
        }
    }

    enum PostOutcome {
        case ok
        case error(EngineIOServerError)
    }

    /// A polling POST whose body has been read.
    func post(body: ByteBuffer) -> PostOutcome {
        let action = self.state.withLockedValue { $0.machine.postStarted() }
        switch action {
        case .reject(let error):
            return .error(error)
        case .rejectAndClose(let error, let reason):
            self.close(reason: reason)
            return .error(error)
        case .accept:
            break
        }
        defer { self.state.withLockedValue { $0.machine.postFinished() } }
        let packets: [EngineIOPacket]
        do {
            packets = try EngineIOPacket.decodePayload(body)
        } catch {
            self.logger.debug("closing session: \(error)", metadata: ["sid": "\(self.id)"])
            self.close(reason: .parseError)
            return .error(.badRequest)
        }
        for packet in packets {
            self.receive(packet)
        }
        return .ok
    }

    // MARK: Receiving

    /// Handles one packet from the client on the session's transport.
    func receive(_ packet: EngineIOPacket) {
        switch packet.type {
        case .message:
            self.state.withLockedValue { $0.delegate }?.session(self, didReceive: packet)
        case .pong:
            self.pongReceived()
        case .close:
            self.close(reason: .clientClose)
        case .ping:
            // Engine.IO v4 clients never ping: the reference server treats it as an error.
            self.logger.debug("closing session: ping from client", metadata: ["sid": "\(self.id)"])
            self.close(reason: .parseError)
        case .open, .upgrade, .noop:
            break
        }
    }

    // MARK: Heartbeat

    func startHeartbeat() {
        self.schedulePing()
    }

    private func schedulePing() {
        let interval = TimeAmount.milliseconds(Int64(self.server.configuration.pingInterval))
        let task = self.homeLoop.scheduleTask(in: interval) { self.pingDue() }
        let closed = self.state.withLockedValue { state in
            state.pingTask?.cancel()
            state.pingTask = task
            return state.machine.isClosed
        }
        if closed {
            task.cancel()
        }
    }

    private func pingDue() {
        let timeout = TimeAmount.milliseconds(Int64(self.server.configuration.pingTimeout))
        let task = self.homeLoop.scheduleTask(in: timeout) { self.pongTimeoutElapsed() }
        let action = self.state.withLockedValue { state in
            state.pongTimeoutTask?.cancel()
            state.pongTimeoutTask = task
            return state.machine.pingDue()
        }
        self.perform(action)
    }

    private func pongTimeoutElapsed() {
        if self.state.withLockedValue({ $0.machine.pingTimeoutElapsed() }) {
            self.close(reason: .pingTimeout)
        }
    }

    private func pongReceived() {
        let wasAwaiting = self.state.withLockedValue { state in
            let wasAwaiting = state.machine.pongReceived()
            if wasAwaiting {
                state.pongTimeoutTask?.cancel()
                state.pongTimeoutTask = nil
            }
            return wasAwaiting
        }
        if wasAwaiting {
            self.schedulePing()
        }
    }

    // MARK: Upgrade

    /// A WebSocket for this session completed its handshake.
    /// - Returns: whether it may go on probing; `false` when the session already upgraded or is probing.
    func attachProbe(_ transport: WebSocketTransport) -> Bool {
        self.state.withLockedValue { state in
            guard state.machine.transport == .polling, state.probe == nil else { return false }
            state.probe = transport
            return true
        }
    }

    /// `2probe` arrived on the probing WebSocket.
    func probeReceived(from transport: WebSocketTransport) -> Bool {
        let timeout = TimeAmount.milliseconds(Int64(self.server.configuration.upgradeTimeout))
        let task = self.homeLoop.scheduleTask(in: timeout) { self.upgradeAbandoned(by: transport, timedOut: true) }
        var poll: EventLoopPromise<[EngineIOFrame]>?
        let accepted = self.state.withLockedValue { state -> Bool in
            guard state.probe === transport else { return false }
            switch state.machine.probeReceived() {
            case .refuse:
                return false
            case .acceptProbe(let completePoll):
                if let completePoll {
                    poll = state.heldPolls.removeValue(forKey: completePoll)
                }
                state.upgradeTimeoutTask = task
                return true
            }
        }
        guard accepted else {
            task.cancel()
            return false
        }
        transport.write([.probeResponse])
        poll?.succeed([.noop])
        return true
    }

    /// `5` arrived on the probing WebSocket: switch transports. Runs on the WebSocket's loop.
    func upgradeReceived(from transport: WebSocketTransport) -> Bool {
        var poll: EventLoopPromise<[EngineIOFrame]>?
        var resubscribeAfter: Int64?
        let flush = self.state.withLockedValue { state -> [EngineIOFrame]? in
            guard state.probe === transport else { return nil }
            switch state.machine.upgradeReceived() {
            case .refuse:
                return nil
            case .upgrade(let flush, let completePoll):
                if let completePoll {
                    poll = state.heldPolls.removeValue(forKey: completePoll)
                }
                state.upgradeTimeoutTask?.cancel()
                state.upgradeTimeoutTask = nil
                state.probe = nil
                state.webSocket = transport
                if case .polling(let lastDelivered) = state.broadcast {
                    resubscribeAfter = lastDelivered
                    state.broadcast = .webSocket(transport)
                }
                return flush
            }
        }
        guard let flush else { return false }
        poll?.succeed([.noop])
        transport.write(flush)
        if let resubscribeAfter, let broadcaster = self.server.broadcaster {
            let oldLoop = broadcaster.loopBroadcaster(for: self.homeLoop)
            oldLoop.eventLoop.execute { oldLoop.unsubscribe(self, broadcaster: broadcaster) }
            let traced = self.state.withLockedValue { $0.traced }
            if !transport.subscribe(to: broadcaster, after: resubscribeAfter, traced: traced) {
                self.logger.warning("upgrade lost broadcast events; closing", metadata: ["sid": "\(self.id)"])
                self.close(reason: .slowConsumer)
            }
        }
        return true
    }

    /// The probing WebSocket closed, misbehaved or timed out; the session goes on polling.
    func upgradeAbandoned(by transport: WebSocketTransport, timedOut: Bool = false) {
        let wasProbe = self.state.withLockedValue { state -> Bool in
            guard state.probe === transport else { return false }
            state.probe = nil
            state.upgradeTimeoutTask?.cancel()
            state.upgradeTimeoutTask = nil
            state.machine.upgradeAbandoned()
            return true
        }
        if wasProbe, timedOut {
            transport.close()
        }
    }

    /// The active WebSocket closed.
    func webSocketClosed(_ transport: WebSocketTransport) {
        let isActive = self.state.withLockedValue { $0.webSocket === transport }
        if isActive {
            self.close(reason: .transportClose)
        } else {
            self.upgradeAbandoned(by: transport)
        }
    }

    // MARK: Broadcast

    /// Starts receiving broadcast events: every event published after this call is delivered, even when the
    /// registration itself completes later on another loop (the ring fills the gap).
    ///
    /// Call it before answering the client's CONNECT, so that no event emitted after the client sees the answer
    /// can be missed.
    /// - Parameter traced: whether each event carries a trailing trace argument `{"seq":N,"emittedAt":T}` (its
    ///   sequence number and emission time in monotonic nanoseconds): what a load client asks for, to detect loss,
    ///   duplicates and reordering and to measure latency. The contract's payload is unchanged.
    public func subscribeToBroadcast(traced: Bool = false) {
        guard let broadcaster = self.server.broadcaster else { return }
        let after = broadcaster.lastSeq
        let target = self.state.withLockedValue { state -> WebSocketTransport?? in
            guard case .none = state.broadcast, !state.machine.isClosed else { return .none }
            state.traced = traced
            if let webSocket = state.webSocket {
                state.broadcast = .webSocket(webSocket)
                return .some(webSocket)
            }
            state.broadcast = .polling(lastDelivered: after)
            return .some(nil)
        }
        switch target {
        case .none:
            return
        case .some(.some(let webSocket)):
            if !webSocket.subscribe(to: broadcaster, after: after, traced: traced) {
                self.close(reason: .slowConsumer)
            }
        case .some(.none):
            let loop = broadcaster.loopBroadcaster(for: self.homeLoop)
            loop.eventLoop.execute {
                // Start after what the session had when it joined: anything later is delivered.
                let after = self.state.withLockedValue { state -> Int64? in
                    if case .polling(let lastDelivered) = state.broadcast { return lastDelivered }
                    return nil
                }
                if let after, !loop.subscribe(self, after: after, traced: traced, broadcaster: broadcaster) {
                    self.close(reason: .slowConsumer)
                }
            }
        }
    }

    /// Stops receiving broadcast events (the client left the namespace, or the session closed).
    public func unsubscribeFromBroadcast() {
        let previous = self.state.withLockedValue { state in
            let previous = state.broadcast
            state.broadcast = .none
            return previous
        }
        self.endSubscription(previous)
    }

    /// Removes the subscriber that `previous` describes from its loop broadcaster.
    private func endSubscription(_ previous: BroadcastState) {
        guard let broadcaster = self.server.broadcaster else { return }
        switch previous {
        case .none:
            break
        case .polling:
            let loop = broadcaster.loopBroadcaster(for: self.homeLoop)
            loop.eventLoop.execute { loop.unsubscribe(self, broadcaster: broadcaster) }
        case .webSocket(let transport):
            transport.unsubscribe(from: broadcaster)
        }
    }

    // MARK: Forced disconnect

    /// Disconnects the session if it receives broadcasts, as ``EngineServer/forceDisconnect(count:mode:)`` asks.
    /// - Returns: whether this call disconnected it; `false` when it receives no broadcasts, is closed, or another
    ///   call got there first.
    func forceDisconnect(_ mode: ForcedDisconnectMode) -> Bool {
        switch mode {
        case .transport:
            guard self.state.withLockedValue({ $0.broadcast.isSubscribed }) else { return false }
            return self.close(reason: .forcedDisconnect)
        case .namespace:
            // Taking the subscription and the delegate in one step makes concurrent calls disconnect it once.
            var delegate: (any EngineSessionDelegate)?
            let previous = self.state.withLockedValue { state -> BroadcastState in
                guard !state.machine.isClosed else { return .none }
                let previous = state.broadcast
                state.broadcast = .none
                delegate = state.delegate
                return previous
            }
            guard previous.isSubscribed else { return false }
            self.logger.debug("forced off the broadcast", metadata: ["sid": "\(self.id)"])
            // Unsubscribe before the delegate answers, so that no broadcast event follows its DISCONNECT.
            self.endSubscription(previous)
            delegate?.sessionWasForcedOffBroadcast(self)
            return true
        }
    }

    // MARK: Closing

    /// Closes the session: answers a held poll, closes the WebSocket, tells the delegate.
    /// - Returns: whether this call closed it; `false` when it was already closed.
    @discardableResult
    public func close(reason: CloseReason) -> Bool {
        var polls: [EventLoopPromise<[EngineIOFrame]>] = []
        var transports: [WebSocketTransport] = []
        var delegate: (any EngineSessionDelegate)?
        var owesNoop = false
        let action = self.state.withLockedValue { state in
            let action = state.machine.close(byClient: reason == .clientClose)
            guard action != .none else { return action }
            owesNoop = state.machine.owesNoop
            polls = Array(state.heldPolls.values)
            state.heldPolls.removeAll()
            transports = [state.webSocket, state.probe].compactMap { $0 }
            state.probe = nil
            for task in [state.pingTask, state.pongTimeoutTask, state.upgradeTimeoutTask] {
                task?.cancel()
            }
            delegate = state.delegate
            state.delegate = nil
            return action
        }
        guard action != .none else { return false }
        // A client that leaves, or a server that stops, is routine; the server giving up on a client is worth a line.
        let level: Logger.Level =
            switch reason {
            case .pingTimeout, .parseError, .slowConsumer, .connectTimeout, .payloadTooLarge, .overlappingPoll,
                .overlappingPost:
                .info
            default:
                .debug
            }
        self.logger.log(level: level, "session closed", metadata: ["sid": "\(self.id)", "reason": "\(reason.rawValue)"])
        self.unsubscribeFromBroadcast()
        // The reference server ends a held poll with a noop when the client itself closed (it knows), and with a
        // close packet when the server closes the session.
        let lastFrame: EngineIOFrame = reason == .clientClose ? .noop : .close
        for poll in polls {
            poll.succeed([lastFrame])
        }
        for transport in transports {
            transport.close()
        }
        self.server.remove(self, answeringOnePoll: owesNoop)
        delegate?.session(self, didCloseWith: reason)
        return true
    }
}

extension EngineSession: BroadcastSubscriber {
    /// Broadcast events for a polling session: queued for (or answering) the next GET.
    func deliver(_ batch: BroadcastBatch, from index: Int, traced: Bool) {
        let events = batch.events[index...]
        guard let last = events.last?.seq else { return }
        var overflow = false
        let action = self.state.withLockedValue { state -> EngineIOSessionStateMachine.SendAction? in
            // Once upgraded, the WebSocket transport is the subscriber: late polling deliveries are dropped.
            guard case .polling = state.broadcast, state.machine.transport == .polling else { return nil }
            state.broadcast = .polling(lastDelivered: last)
            let frames = events.map { $0.frame(traced: traced) }
            let action = state.machine.send(frames)
            overflow = state.machine.queuedBytes > self.server.maxBacklogBytes
            return action
        }
        if let action {
            self.perform(action)
        }
        if overflow {
            self.server.broadcaster?.statistics.slowConsumerDisconnected()
            self.close(reason: .slowConsumer)
        }
    }
}
