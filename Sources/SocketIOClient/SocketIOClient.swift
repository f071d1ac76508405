import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A Socket.IO v5 client for one namespace, over Engine.IO v4 long-polling and WebSocket, that reconnects.
///
/// It receives: what it reports is the connection's lifecycle and the namespace's events, in order, on ``events``,
/// with each event's payload as the exact bytes the server sent. It is what `record` and `load` need, not a general
/// client: it sends nothing but the protocol's own packets.
///
/// ```swift
/// let client = SocketIOClient(configuration: .init(url: "http://127.0.0.1:4000/events"), logger: logger)
/// client.start()
/// for await event in client.events { … }
/// ```
public final class SocketIOClient: Sendable {
    private struct State {
        var started = false
        var stopping = false
        var finished = false
        var session: SocketIOClientSession?
        var task: Task<Void, Never>?
        var finishWaiters: [CheckedContinuation<Void, Never>] = []
    }

    public let configuration: SocketIOClientConfiguration
    private let group: any EventLoopGroup
    private let logger: Logger
    private let state = NIOLockedValueBox(State())
    private let continuation: AsyncStream<SocketIOClientEvent>.Continuation

    /// The connection's lifecycle and the events received, in order. It finishes when the client stops or gives
    /// up (a refused namespace, `io server disconnect`, reconnection disabled or exhausted). One consumer only.
    public let events: AsyncStream<SocketIOClientEvent>

    /// - Parameters:
    ///   - configuration: where to connect and how to reconnect.
    ///   - eventLoopGroup: the loops for the connections and timers.
    ///   - logger: protocol problems at `warning`, transport details at `debug`.
    public init(
        configuration: SocketIOClientConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        self.configuration = configuration
        self.group = eventLoopGroup
        var logger = logger
        logger[metadataKey: "socket.io.url"] = "\(configuration.url)"
        self.logger = logger
        (self.events, self.continuation) = AsyncStream.makeStream(of: SocketIOClientEvent.self)
    }

    /// Connects in the background and keeps reconnecting per the policy, until ``stop()`` or the client gives up.
    ///
    /// The background task is the client's; ``run()`` is the structured alternative for a caller that owns a task
    /// (a `Service`, a task group).
    public func start() {
        guard self.claimStart() else { return }
        let task = Task { await self.runLoop() }
        self.state.withLockedValue { $0.task = task }
    }

    /// Connects and keeps reconnecting per the policy; returns when ``stop()`` was called or the client gave up.
    /// Does nothing if the client was already started.
    public func run() async {
        guard self.claimStart() else { return }
        await self.runLoop()
    }

    /// Closes cleanly: leaves the namespace (DISCONNECT) and closes the Engine.IO session, then ends ``events``.
    /// Returns once the client has stopped.
    public func stop() async {
        let (started, session) = self.state.withLockedValue { state in
            state.stopping = true
            return (state.started, state.session)
        }
        guard started else {
            self.finish()
            return
        }
        session?.requestStop()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let finished = self.state.withLockedValue { state in
                if !state.finished {
                    state.finishWaiters.append(continuation)
                }
                return state.finished
            }
            if finished {
                continuation.resume()
            }
        }
    }

    private func claimStart() -> Bool {
        self.state.withLockedValue { state in
            guard !state.started, !state.stopping else { return false }
            state.started = true
            return true
        }
    }

    private func runLoop() async {
        let endpoint: SocketIOEndpoint
        do {
            endpoint = try SocketIOEndpoint(url: self.configuration.url, path: self.configuration.path)
        } catch {
            self.continuation.yield(.connectFailed(reason: error.description, willRetry: false))
            self.finish()
            return
        }
        let policy = self.configuration.reconnect
        var attempt = 0
        var delay = TimeAmount.zero
        var generator = SystemRandomNumberGenerator()
        while true {
            let continuation = self.continuation
            let session = SocketIOClientSession(
                configuration: self.configuration, endpoint: endpoint, group: self.group, logger: self.logger,
                emit: { continuation.yield($0) }
            )
            let stopping = self.state.withLockedValue { state in
                if !state.stopping {
                    state.session = session
                }
                return state.stopping
            }
            if stopping {
                break
            }
            let outcome = await session.run(after: delay)
            let stoppingNow = self.state.withLockedValue { state in
                state.session = nil
                return state.stopping
            }
            let mayRetry = policy.isEnabled && !stoppingNow && attempt < (policy.maximumAttempts ?? Int.max)
            switch outcome {
            case .stopped(let wasConnected):
                if wasConnected {
                    self.continuation.yield(
                        .disconnected(reason: "io client disconnect", willReconnect: false,
                                      atWallMillis: Self.wallClockMillis())
                    )
                }
                self.finish()
                return
            case .failed(let error):
                let retry = mayRetry && (!error.isNamespaceRefusal || policy.retriesRefusedNamespace)
                self.logger.debug("connection attempt failed", metadata: ["reason": "\(error)", "retry": "\(retry)"])
                self.continuation.yield(.connectFailed(reason: error.description, willRetry: retry))
                guard retry else {
                    self.finish()
                    return
                }
            case .disconnected(let reason, let reconnect):
                // A session that connected resets the count, as socket.io-client's backoff does.
                attempt = 0
                let retry = reconnect && policy.isEnabled && !stoppingNow && (policy.maximumAttempts ?? 1) > 0
                self.logger.debug("disconnected", metadata: ["reason": "\(reason)", "reconnect": "\(retry)"])
                self.continuation.yield(
                    .disconnected(reason: reason, willReconnect: retry, atWallMillis: Self.wallClockMillis())
                )
                guard retry else {
                    self.finish()
                    return
                }
            }
            delay = ReconnectBackoff.delay(attempt: attempt, policy: policy, using: &generator)
            attempt += 1
        }
        self.finish()
    }

    private func finish() {
        let waiters = self.state.withLockedValue { state in
            state.finished = true
            defer { state.finishWaiters = [] }
            return state.finishWaiters
        }
        self.continuation.finish()
        for waiter in waiters {
            waiter.resume()
        }
    }

    /// Milliseconds since the Unix epoch.
    static func wallClockMillis() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

/// socket.io-client's backoff: exponential, capped, with jitter.
enum ReconnectBackoff {
    /// The delay before reconnection attempt `attempt` (0 for the first after a failure or a drop).
    static func delay(
        attempt: Int,
        policy: SocketIOClientConfiguration.Reconnect,
        using generator: inout some RandomNumberGenerator
    ) -> TimeAmount {
        let initial = Double(policy.initialDelay.nanoseconds)
        let maximum = Double(policy.maximumDelay.nanoseconds)
        let base = min(initial * pow(policy.multiplier, Double(min(attempt, 64))), maximum)
        let jitter = min(max(policy.jitter, 0), 1)
        let factor = 1 + jitter * (Double.random(in: 0..<1, using: &generator) * 2 - 1)
        return .nanoseconds(Int64(min(base * factor, maximum)))
    }
}
