import NIOCore

/// The life of one Engine.IO session: transports, the upgrade, held polls and the heartbeat.
///
/// Pure: no I/O and no clocks. The driver feeds it what happened (a poll arrived, a timer fired, a packet came in)
/// and performs the action it returns. Long-polling sessions keep outbound frames queued here until a GET takes
/// them; WebSocket sessions write them straight away.
public struct EngineIOSessionStateMachine: Sendable {
    /// Identifies one held GET, so that a late abort of a completed poll is recognised as stale.
    public typealias PollID = UInt64

    public enum Transport: Sendable, Hashable {
        case polling
        case websocket
    }

    /// Why a session closed; the reason is logged and passed to the layer above.
    public enum CloseReason: String, Sendable, Equatable {
        case transportClose = "transport close"
        case transportError = "transport error"
        case clientClose = "client close"
        case pingTimeout = "ping timeout"
        case parseError = "parse error"
        case overlappingPoll = "overlapping poll"
        case overlappingPost = "overlapping post"
        case payloadTooLarge = "payload too large"
        case pollAborted = "poll connection closed prematurely"
        case connectTimeout = "connect timeout"
        case serverShutdown = "server shutdown"
        case serverClose = "server close"
        case slowConsumer = "slow consumer"
        case forcedDisconnect = "forced disconnect"
    }

    enum State: Sendable {
        case polling(heldPoll: PollID?, postInFlight: Bool, probing: Bool)
        case websocket
        case closed
    }

    private(set) var state: State
    /// Frames for the next polls. A WebSocket session never queues, so it starts with room for one, not the default
    /// sixteen: at 10,000 connections that is 5 MB of server memory.
    private var queue = CircularBuffer<EngineIOFrame>(initialCapacity: 1)
    /// The bytes waiting in the queue, so the driver can bound a client that stops polling.
    public private(set) var queuedBytes = 0
    private var awaitingPong = false
    /// The client closed the session while polling with no GET held. The GET it sent before its close may still
    /// arrive (on another connection, after the close): it gets the `noop` it would have got had it arrived first.
    public private(set) var owesNoop = false
    /// The most frames one polling response carries; the rest wait for the next poll.
    private let maxFramesPerPoll: Int

    /// - Parameters:
    ///   - maxFramesPerPoll: the most frames in one long-polling response. The protocol bounds a payload by bytes
    ///     only, but widespread clients refuse more packets than that (python-engineio: 16), so responses are cut.
    public init(transport: Transport, maxFramesPerPoll: Int = 16) {
        precondition(maxFramesPerPoll > 0, "maxFramesPerPoll must be positive")
        self.maxFramesPerPoll = maxFramesPerPoll
        switch transport {
        case .polling: self.state = .polling(heldPoll: nil, postInFlight: false, probing: false)
        case .websocket: self.state = .websocket
        }
    }

    /// The transport in use, or `nil` once closed.
    public var transport: Transport? {
        switch self.state {
        case .polling: .polling
        case .websocket: .websocket
        case .closed: nil
        }
    }

    public var isClosed: Bool {
        if case .closed = self.state { return true }
        return false
    }

    /// Frames queued for the next poll.
    public var queuedFrames: Int { self.queue.count }

    // MARK: Long-polling

    public enum PollAction: Sendable, Equatable {
        /// Answer the GET now with these frames.
        case respond([EngineIOFrame])
        /// Hold the GET until frames are sent or the session closes.
        case hold
        /// Answer 400 with this error.
        case reject(EngineIOServerError)
        /// Answer 400 with this error, then close the session (the protocol's answer to overlapping requests).
        case rejectAndClose(EngineIOServerError, CloseReason)
    }

    /// A long-polling GET arrived.
    public mutating func pollRequested(id: PollID) -> PollAction {
        switch self.state {
        case .closed:
            if self.owesNoop {
                self.owesNoop = false
                return .respond([.noop])
            }
            return .reject(.unknownSession)
        case .websocket:
            return .reject(.badRequest)
        case .polling(let heldPoll, let postInFlight, let probing):
            if heldPoll != nil {
                return .rejectAndClose(.badRequest, .overlappingPoll)
            }
            if !self.queue.isEmpty {
                return .respond(self.takeForPoll())
            }
            if probing {
                return .respond([.noop])
            }
            self.state = .polling(heldPoll: id, postInFlight: postInFlight, probing: probing)
            return .hold
        }
    }

    /// The connection of a held GET went away before it was answered.
    /// - Returns: whether the session must close (the reference server closes it).
    public mutating func pollAborted(id: PollID) -> Bool {
        guard case .polling(let heldPoll, _, _) = self.state, heldPoll == id else { return false }
        return true
    }

    public enum PostAction: Sendable, Equatable {
        case accept
        case reject(EngineIOServerError)
        case rejectAndClose(EngineIOServerError, CloseReason)
    }

    /// A long-polling POST arrived; call ``postFinished()`` when its body has been handled.
    public mutating func postStarted() -> PostAction {
        switch self.state {
        case .closed:
            return .reject(.unknownSession)
        case .websocket:
            return .reject(.badRequest)
        case .polling(let heldPoll, let postInFlight, let probing):
            if postInFlight {
                return .rejectAndClose(.badRequest, .overlappingPost)
            }
            self.state = .polling(heldPoll: heldPoll, postInFlight: true, probing: probing)
            return .accept
        }
    }

    public mutating func postFinished() {
        if case .polling(let heldPoll, _, let probing) = self.state {
            self.state = .polling(heldPoll: heldPoll, postInFlight: false, probing: probing)
        }
    }

    // MARK: Sending

    public enum SendAction: Sendable, Equatable {
        /// Queued for the next poll.
        case queued
        /// Answer the held poll with these frames.
        case completePoll(PollID, [EngineIOFrame])
        /// Write these frames to the WebSocket.
        case write([EngineIOFrame])
        /// The session is closed; the frames are dropped.
        case dropped
    }

    /// Frames to send to the client, in order.
    public mutating func send(_ frames: [EngineIOFrame]) -> SendAction {
        switch self.state {
        case .closed:
            return .dropped
        case .websocket:
            return .write(frames)
        case .polling(let heldPoll, let postInFlight, let probing):
            self.enqueue(frames)
            if let heldPoll {
                self.state = .polling(heldPoll: nil, postInFlight: postInFlight, probing: probing)
                return .completePoll(heldPoll, self.takeForPoll())
            }
            return .queued
        }
    }

    /// Takes up to `maxFramesPerPoll` frames from the front of the queue.
    private mutating func takeForPoll() -> [EngineIOFrame] {
        let count = min(self.queue.count, self.maxFramesPerPoll)
        var frames: [EngineIOFrame] = []
        frames.reserveCapacity(count)
        for _ in 0..<count {
            let frame = self.queue.removeFirst()
            self.queuedBytes -= frame.bytes.readableBytes
            frames.append(frame)
        }
        return frames
    }

    private mutating func enqueue(_ frames: [EngineIOFrame]) {
        for frame in frames {
            self.queue.append(frame)
            self.queuedBytes += frame.bytes.readableBytes
        }
    }

    /// Empties the queue, returning everything in it.
    private mutating func drainQueue() -> [EngineIOFrame] {
        let frames = Array(self.queue)
        self.queue.removeAll()
        self.queuedBytes = 0
        return frames
    }

    // MARK: Heartbeat

    /// The ping interval elapsed: send a ping and start waiting for the pong.
    public mutating func pingDue() -> SendAction {
        guard !self.isClosed else { return .dropped }
        self.awaitingPong = true
        return self.send([.ping])
    }

    /// The ping timeout elapsed.
    /// - Returns: whether the session must close because no pong came.
    public func pingTimeoutElapsed() -> Bool {
        !self.isClosed && self.awaitingPong
    }

    /// A pong arrived.
    /// - Returns: whether a ping was waiting for it; the driver then schedules the next ping.
    public mutating func pongReceived() -> Bool {
        defer { self.awaitingPong = false }
        return self.awaitingPong
    }

    // MARK: Upgrade

    public enum ProbeAction: Sendable, Equatable {
        /// Answer `3probe` on the WebSocket; answer the held poll, if any, with a noop.
        case acceptProbe(completePoll: PollID?)
        /// The session cannot upgrade (not polling, or already probing): close that WebSocket.
        case refuse
    }

    /// A `2probe` arrived on a WebSocket opened for this session.
    public mutating func probeReceived() -> ProbeAction {
        guard case .polling(let heldPoll, let postInFlight, let probing) = self.state, !probing else {
            return .refuse
        }
        self.state = .polling(heldPoll: nil, postInFlight: postInFlight, probing: true)
        return .acceptProbe(completePoll: heldPoll)
    }

    public enum UpgradeAction: Sendable, Equatable {
        /// The session now uses the WebSocket: write these queued frames to it first; answer the held poll, if any,
        /// with a noop.
        case upgrade(flush: [EngineIOFrame], completePoll: PollID?)
        /// No probe preceded the `upgrade` packet: close that WebSocket.
        case refuse
    }

    /// A `5` (upgrade) arrived on the probing WebSocket.
    public mutating func upgradeReceived() -> UpgradeAction {
        guard case .polling(let heldPoll, _, true) = self.state else { return .refuse }
        let frames = self.drainQueue()
        self.state = .websocket
        return .upgrade(flush: frames, completePoll: heldPoll)
    }

    /// The probing WebSocket went away or timed out: the session goes on polling.
    public mutating func upgradeAbandoned() {
        if case .polling(let heldPoll, let postInFlight, true) = self.state {
            self.state = .polling(heldPoll: heldPoll, postInFlight: postInFlight, probing: false)
        }
    }

    // MARK: Closing

    public enum CloseAction: Sendable, Equatable {
        /// Already closed: nothing to do.
        case none
        /// Answer the held poll, if any, with a close packet; drop the queue.
        case closePolling(completePoll: PollID?)
        /// Close the WebSocket.
        case closeWebSocket
    }

    /// Closes the session.
    /// - Parameter byClient: whether the client sent the close packet. A polling client that does so with no GET
    ///   held still gets a `noop` for the GET it may have sent just before (``owesNoop``).
    public mutating func close(byClient: Bool = false) -> CloseAction {
        let action: CloseAction
        switch self.state {
        case .closed: return .none
        case .polling(let heldPoll, _, _):
            action = .closePolling(completePoll: heldPoll)
            self.owesNoop = byClient && heldPoll == nil
        case .websocket: action = .closeWebSocket
        }
        self.state = .closed
        _ = self.drainQueue()
        return action
    }
}
