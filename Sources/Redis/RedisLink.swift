import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A connection to Redis that comes back: ``run(_:)`` connects, runs a session on the connection, and when the
/// connection breaks (refused, reset, `CLIENT KILL`, Redis restarted) connects again with exponential backoff and runs
/// the session again, until ``stop()``. Its ``status`` tells health and metrics where it stands.
///
/// The caller's thread runs everything (connect, backoff, session): give it a dedicated thread.
public final class RedisLink: Sendable {
    /// Where the link stands.
    public struct Status: Sendable, Equatable {
        public var connected = false
        /// Successful connections after the first.
        public var reconnects = 0
        /// Connection attempts that failed since the last success.
        public var failedAttempts = 0
        /// The last error, kept after reconnecting so that an operator sees what happened.
        public var lastError: String?
        /// Since when the link has been down (monotonic nanoseconds), `nil` while connected.
        public var downSinceNanos: Int64?
        /// Connected at least once.
        public var everConnected = false

        public init() {}
    }

    public let endpoint: RedisEndpoint
    /// The connection's name in `CLIENT LIST`, so that an operator (or a test) can find it: `tablecast-emit`.
    public let name: String
    public let connectTimeout: Duration
    /// The first delay between attempts; it doubles up to ``maximumBackoff``.
    public let initialBackoff: Duration
    public let maximumBackoff: Duration
    private let interrupter = RedisConnection.Interrupter()
    private let state = Mutex(Status())

    public init(endpoint: RedisEndpoint, name: String, connectTimeout: Duration = .seconds(2),
                initialBackoff: Duration = .milliseconds(100), maximumBackoff: Duration = .seconds(2))
    {
        self.endpoint = endpoint
        self.name = name
        self.connectTimeout = connectTimeout
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
    }

    public var status: Status { self.state.withLock { $0 } }

    public var isStopped: Bool { self.interrupter.isInterrupted }

    /// Ends ``run(_:)``: a blocked read returns, a backoff wait ends; later connections are refused.
    public func stop() {
        self.interrupter.interrupt()
    }

    /// What ``run(_:)`` tells its caller about the link, on its thread.
    public enum Event {
        /// Connected; `first` for the first connection of the run.
        case connected(first: Bool)
        /// The connection broke (or the session threw); the link reconnects after a backoff.
        case lost(RedisError)
        /// An attempt failed; `everConnected` says whether this is a reconnection.
        case attemptFailed(RedisError, everConnected: Bool)
    }

    /// Connects and runs `session` on each new connection until ``stop()``.
    ///
    /// - Parameters:
    ///   - giveUpBeforeFirstConnection: throw the first connection failure instead of retrying (a command that
    ///     should fail fast when Redis is not there at all).
    ///   - onEvent: told of every connection, loss and failed attempt, on this thread.
    ///   - session: uses the connection until it returns (the link ends) or throws (a connection error: the link
    ///     reconnects; a refused command: the link ends and rethrows).
    /// - Throws: a refused command's ``RedisError``, or the first failure with `giveUpBeforeFirstConnection`.
    public func run(
        giveUpBeforeFirstConnection: Bool = false,
        onEvent: (Event) -> Void = { _ in },
        _ session: (RedisConnection) throws(RedisError) -> Void
    ) throws(RedisError) {
        var backoff = self.initialBackoff
        var first = true
        while !self.interrupter.isInterrupted {
            let connection: RedisConnection
            do {
                connection = try RedisConnection(endpoint: self.endpoint, timeout: self.connectTimeout,
                                                 name: self.name, interrupter: self.interrupter)
            } catch {
                if error == .interrupted {
                    return
                }
                if case .reply = error {
                    // AUTH or SELECT refused: retrying cannot help.
                    self.state.withLock { $0.lastError = error.description }
                    throw error
                }
                let everConnected = self.state.withLock { state in
                    state.failedAttempts += 1
                    state.lastError = error.description
                    if state.downSinceNanos == nil {
                        state.downSinceNanos = Self.nowNanos()
                    }
                    return state.everConnected
                }
                onEvent(.attemptFailed(error, everConnected: everConnected))
                if giveUpBeforeFirstConnection, !everConnected {
                    throw error
                }
                self.pause(backoff)
                backoff = min(backoff * 2, self.maximumBackoff)
                continue
            }
            backoff = self.initialBackoff
            self.state.withLock { state in
                if state.everConnected {
                    state.reconnects += 1
                }
                state.connected = true
                state.everConnected = true
                state.failedAttempts = 0
                state.downSinceNanos = nil
            }
            onEvent(.connected(first: first))
            first = false
            do {
                try session(connection)
                self.markDown(nil)
                return
            } catch {
                if error == .interrupted || self.interrupter.isInterrupted {
                    self.markDown(nil)
                    return
                }
                self.markDown(error.description)
                guard error.isConnectionLost else {
                    throw error
                }
                onEvent(.lost(error))
            }
        }
    }

    private func markDown(_ error: String?) {
        self.state.withLock { state in
            state.connected = false
            if let error {
                state.lastError = error
                state.downSinceNanos = Self.nowNanos()
            }
        }
    }

    /// Sleeps for `duration`, in slices, returning early once stopped.
    private func pause(_ duration: Duration) {
        let deadline = Self.nowNanos() + Self.nanos(duration)
        while !self.interrupter.isInterrupted {
            let left = deadline - Self.nowNanos()
            if left <= 0 { return }
            var request = timespec(tv_sec: 0, tv_nsec: Int(min(left, 20_000_000)))
            nanosleep(&request, nil)
        }
    }

    public static func nowNanos() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    static func nanos(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
