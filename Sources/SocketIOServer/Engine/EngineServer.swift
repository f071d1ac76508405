import HTTPTypes
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SocketIOProtocol

/// An Engine.IO v4 server on one path: the session registry, request verification, long-polling and WebSocket
/// session creation.
///
/// Requests arrive through ``EngineIOMiddleware`` (long-polling) and ``WebSocketUpgradeHandler`` (WebSocket); both
/// verify them exactly as the reference server does, with its error codes.
public final class EngineServer: Sendable {
    /// The request path, with its trailing slash: `/socket.io/` or `/engine.io/`.
    public let path: String
    public let configuration: EngineIOConfiguration
    /// The broadcast source sessions subscribe to, if any.
    public let broadcaster: Broadcaster?
    let logger: Logger
    /// The unsent bytes a client may fall behind by before it is disconnected as a slow consumer.
    let maxBacklogBytes: Int
    private let makeDelegate: @Sendable (EngineSession) -> any EngineSessionDelegate
    private let registry = NIOLockedValueBox(Registry())
    private let watchedChannels = NIOLockedValueBox([ObjectIdentifier: PollWatch]())

    private struct Registry {
        var sessions: [String: EngineSession] = [:]
        /// Sessions their polling client closed with no GET held, kept for a moment for the GET it sent before its
        /// close: on another connection, that GET can be handled after the close, and is still owed its `noop`.
        var closedOwingPoll: [String: EngineSession] = [:]
        var accepting = true
    }

    /// How long a session closed by its polling client waits for the GET sent before the close.
    static let closedSessionGrace = TimeAmount.seconds(5)

    private struct PollWatch {
        var session: EngineSession
        var pollID: UInt64
    }

    /// - Parameters:
    ///   - path: the request path, e.g. `/socket.io/`.
    ///   - broadcaster: where sessions subscribe when the layer above asks; `nil` for a server without broadcasts.
    ///   - makeDelegate: creates the layer above for each new session.
    public init(
        path: String,
        configuration: EngineIOConfiguration,
        broadcaster: Broadcaster?,
        maxBacklogBytes: Int = 8 << 20,
        logger: Logger,
        makeDelegate: @escaping @Sendable (EngineSession) -> any EngineSessionDelegate
    ) {
        self.path = path.hasSuffix("/") ? path : path + "/"
        self.configuration = configuration
        self.broadcaster = broadcaster
        self.maxBacklogBytes = maxBacklogBytes
        self.logger = logger
        self.makeDelegate = makeDelegate
    }

    /// The number of open sessions.
    public var sessionCount: Int { self.registry.withLockedValue { $0.sessions.count } }

    /// Open sessions by transport, and those of them subscribed to the broadcast (the clients of `/events`).
    public func sessionCounts() -> (sessions: [EngineIOSessionStateMachine.Transport: Int],
                                    subscribed: [EngineIOSessionStateMachine.Transport: Int]) {
        let sessions = self.registry.withLockedValue { Array($0.sessions.values) }
        var all: [EngineIOSessionStateMachine.Transport: Int] = [:]
        var subscribed: [EngineIOSessionStateMachine.Transport: Int] = [:]
        for session in sessions {
            guard let transport = session.transport else { continue }
            all[transport, default: 0] += 1
            if session.isSubscribed {
                subscribed[transport, default: 0] += 1
            }
        }
        return (all, subscribed)
    }

    /// Whether `path` (without query) is this server's.
    public func matches(path: String) -> Bool {
        path == self.path || path + "/" == self.path
    }

    // MARK: Sessions

    /// Creates a session, sends its `open` packet and starts its heartbeat; `nil` while shutting down.
    func openSession(on loop: any EventLoop, webSocket: WebSocketTransport?) -> EngineSession? {
        let session = EngineSession(id: EngineIOSessionID.make(), homeLoop: loop, server: self, webSocket: webSocket)
        let accepted = self.registry.withLockedValue { registry in
            guard registry.accepting else { return false }
            registry.sessions[session.id] = session
            return true
        }
        guard accepted else { return nil }
        session.setDelegate(self.makeDelegate(session))
        let upgrades = webSocket == nil ? ["websocket"] : []
        session.send(self.configuration.openFrame(sid: session.id, upgrades: upgrades))
        session.startHeartbeat()
        return session
    }

    func session(id: String) -> EngineSession? {
        self.registry.withLockedValue { $0.sessions[id] }
    }

    /// An open session, or for a GET one its client closed a moment ago that still owes it a `noop`.
    private func session(forPollOf id: String) -> EngineSession? {
        self.registry.withLockedValue { $0.sessions[id] ?? $0.closedOwingPoll[id] }
    }

    /// Removes a closed session.
    /// - Parameter answeringOnePoll: keep it for a GET that may still come, for ``closedSessionGrace`` at most.
    func remove(_ session: EngineSession, answeringOnePoll: Bool = false) {
        self.registry.withLockedValue { registry in
            if registry.sessions[session.id] === session {
                registry.sessions[session.id] = nil
                if answeringOnePoll {
                    registry.closedOwingPoll[session.id] = session
                }
            }
        }
        if answeringOnePoll {
            session.homeLoop.scheduleTask(in: Self.closedSessionGrace) { self.forget(session) }
        }
    }

    /// Forgets a closed session kept for a GET.
    func forget(_ session: EngineSession) {
        self.registry.withLockedValue { registry in
            if registry.closedOwingPoll[session.id] === session {
                registry.closedOwingPoll[session.id] = nil
            }
        }
    }

    /// Stops accepting sessions and closes every open one (graceful shutdown).
    public func closeAllSessions() {
        let sessions = self.registry.withLockedValue { registry in
            registry.accepting = false
            return Array(registry.sessions.values)
        }
        for session in sessions {
            session.close(reason: .serverShutdown)
        }
    }

    // MARK: Forced disconnect

    /// Disconnects `count` of the sessions subscribed to the broadcast, chosen at random: a fault injected on
    /// purpose, so that client developers can prove their client survives it.
    ///
    /// Only sessions that receive broadcasts count (the layer above subscribes those that join a namespace that
    /// receives them); the others are left alone.
    /// - Parameters:
    ///   - count: how many to disconnect; all of them when `count` is at least their number, none when it is 0 or
    ///     less.
    ///   - mode: how each chosen session is disconnected.
    /// - Returns: how many were disconnected.
    public func forceDisconnect(count: Int, mode: ForcedDisconnectMode) -> Int {
        var generator = SystemRandomNumberGenerator()
        return self.forceDisconnect(count: count, mode: mode, using: &generator)
    }

    /// Disconnects `count` of the sessions subscribed to the broadcast, chosen with `generator`; a seeded generator
    /// chooses the same sessions among the same ones.
    /// - Returns: how many were disconnected.
    public func forceDisconnect(
        count: Int,
        mode: ForcedDisconnectMode,
        using generator: inout some RandomNumberGenerator
    ) -> Int {
        guard count > 0 else { return 0 }
        // Sorted first: the registry's order differs from one process to the next, which a seed cannot repeat.
        var sessions = self.registry.withLockedValue { Array($0.sessions.values) }.sorted { $0.id < $1.id }
        // A random order over every session, walked until enough subscribers are disconnected, is a uniform choice
        // among the subscribers; the others, and those that close or leave meanwhile, are skipped.
        sessions.shuffle(using: &generator)
        var disconnected = 0
        for session in sessions where disconnected < count {
            if session.forceDisconnect(mode) {
                disconnected += 1
            }
        }
        self.logger.info(
            "forced disconnect",
            metadata: ["mode": "\(mode.rawValue)", "requested": "\(count)", "disconnected": "\(disconnected)"]
        )
        return disconnected
    }

    /// Remembers which poll a connection holds, so that closing the connection aborts it. One close callback per
    /// connection, however many polls it carries.
    func watch(channel: any Channel, session: EngineSession, pollID: UInt64) {
        let key = ObjectIdentifier(channel)
        let isNew = self.watchedChannels.withLockedValue { watched in
            let isNew = watched[key] == nil
            watched[key] = PollWatch(session: session, pollID: pollID)
            return isNew
        }
        guard isNew else { return }
        channel.closeFuture.whenComplete { _ in
            if let watch = self.watchedChannels.withLockedValue({ $0.removeValue(forKey: key) }) {
                watch.session.pollAborted(id: watch.pollID)
            }
        }
    }

    // MARK: Verification

    /// What a verified WebSocket request becomes once its handshake completes.
    enum WebSocketTarget {
        case newSession
        case probe(EngineSession)
        /// A second WebSocket for a session that already has one: the protocol closes it after the handshake.
        case closeAfterHandshake
    }

    /// Verifies a WebSocket upgrade request's query, as the reference server does.
    func verifyWebSocket(query: [String: String]) -> Result<WebSocketTarget, EngineIOServerError> {
        guard query["transport"] == "websocket" else { return .failure(.unknownTransport) }
        if let sid = query["sid"] {
            guard let session = self.session(id: sid) else { return .failure(.unknownSession) }
            return .success(session.transport == .polling ? .probe(session) : .closeAfterHandshake)
        }
        guard query["EIO"] == "4" else { return .failure(.unsupportedProtocolVersion) }
        return .success(.newSession)
    }

    // MARK: Long-polling

    /// The answer to a long-polling request.
    public struct PollingResponse: Sendable {
        public var status: HTTPResponse.Status
        public var contentType: String
        public var body: ByteBuffer

        static func error(_ error: EngineIOServerError, status: HTTPResponse.Status = .badRequest) -> Self {
            PollingResponse(status: status, contentType: "application/json", body: ByteBuffer(string: error.jsonBody))
        }

        static func text(_ body: ByteBuffer) -> Self {
            PollingResponse(status: .ok, contentType: "text/plain; charset=UTF-8", body: body)
        }
    }

    /// Handles a long-polling GET or POST on this server's path.
    /// - Parameters:
    ///   - readBody: reads a POST body, throwing ``PayloadTooLarge`` past `maxPayload` bytes.
    public func handlePolling(
        method: HTTPRequest.Method,
        query: [String: String],
        contentType: String?,
        channel: any Channel,
        readBody: (Int) async throws -> ByteBuffer
    ) async -> PollingResponse {
        guard query["transport"] == "polling" else { return .error(.unknownTransport) }
        guard let sid = query["sid"] else {
            guard method == .get else { return .error(.badHandshakeMethod) }
            guard query["EIO"] == "4" else { return .error(.unsupportedProtocolVersion) }
            guard let session = self.openSession(on: channel.eventLoop, webSocket: nil) else {
                return PollingResponse.error(.badRequest, status: .serviceUnavailable)
            }
            return await self.poll(session, channel: channel)
        }
        if method == .get {
            guard let session = self.session(forPollOf: sid) else { return .error(.unknownSession) }
            return await self.poll(session, channel: channel)
        }
        guard let session = self.session(id: sid) else { return .error(.unknownSession) }
        switch method {
        case .get:
            return await self.poll(session, channel: channel)
        case .post:
            if contentType == "application/octet-stream" {
                // Engine.IO v4 clients base64-encode binary in polling payloads; raw binary bodies are an error.
                session.close(reason: .parseError)
                return .error(.badRequest)
            }
            let body: ByteBuffer
            do {
                body = try await readBody(self.configuration.maxPayload)
            } catch is PayloadTooLarge {
                session.close(reason: .payloadTooLarge)
                return PollingResponse(
                    status: .contentTooLarge,
                    contentType: "application/json",
                    body: ByteBuffer(string: #"{"code":3,"message":"Payload too large"}"#)
                )
            } catch {
                session.close(reason: .transportError)
                return .error(.badRequest)
            }
            switch session.post(body: body) {
            case .ok:
                return .text(ByteBuffer(string: "ok"))
            case .error(let error):
                return .error(error)
            }
        default:
            return .error(.badRequest)
        }
    }

    private func poll(_ session: EngineSession, channel: any Channel) async -> PollingResponse {
        let outcome: EngineSession.PollOutcome
        do {
            outcome = try await session.poll(on: channel).get()
        } catch {
            return .error(.badRequest)
        }
        switch outcome {
        case .frames(let frames):
            var body = channel.allocator.buffer(capacity: frames.reduce(0) { $0 + $1.bytes.readableBytes + 1 })
            EngineIOFrame.encodePayload(frames, into: &body)
            self.broadcaster?.statistics.sent(bytes: body.readableBytes)
            return .text(body)
        case .error(let error):
            return .error(error)
        }
    }
}

/// Thrown by a body reader when a POST body exceeds `maxPayload`.
public struct PayloadTooLarge: Error {
    public init() {}
}
