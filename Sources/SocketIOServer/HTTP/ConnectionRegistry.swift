import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Every connection a server has accepted and not yet closed, whatever it became (plain HTTP, long-polling,
/// WebSocket): what the connection cap counts, what `/metrics` reports, and what graceful shutdown cuts when the
/// drain runs out of time.
public final class ConnectionRegistry: Sendable {
    /// The most connections open at once; a connection beyond it is answered `503` and closed.
    public let limit: Int
    private let state = NIOLockedValueBox(State())
    private let logger: Logger

    private struct State {
        var open: [ObjectIdentifier: any Channel] = [:]
        var accepted = 0
        var refused = 0
        /// Refusals not logged yet, and when the last log line was written (refusals are logged at most once every
        /// 10 seconds, so that a flood does not flood the log too).
        var refusedSinceLog = 0
        var lastRefusalLog: NIODeadline?
        var cut = false
    }

    public init(limit: Int, logger: Logger) {
        precondition(limit > 0, "the connection limit must be positive")
        self.limit = limit
        self.logger = logger
    }

    /// Connections open now.
    public var openCount: Int { self.state.withLockedValue { $0.open.count } }

    /// Connections accepted and refused since the server started.
    public var totals: (accepted: Int, refused: Int) {
        self.state.withLockedValue { ($0.accepted, $0.refused) }
    }

    /// Registers a newly accepted connection, which the registry forgets when it closes.
    /// - Returns: `false` when the connection is over the limit (or the server was cut): it must be refused. It is
    ///   not registered then.
    func admit(_ channel: any Channel) -> Bool {
        let key = ObjectIdentifier(channel)
        var logRefusals: Int?
        let admitted = self.state.withLockedValue { state -> Bool in
            guard state.open.count < self.limit, !state.cut else {
                state.refused += 1
                state.refusedSinceLog += 1
                let now = NIODeadline.now()
                if state.lastRefusalLog.map({ now - $0 >= .seconds(10) }) ?? true {
                    logRefusals = state.refusedSinceLog
                    state.refusedSinceLog = 0
                    state.lastRefusalLog = now
                }
                return false
            }
            state.accepted += 1
            state.open[key] = channel
            return true
        }
        if let logRefusals {
            self.logger.warning(
                "connection limit reached: refusing new connections with 503",
                metadata: ["limit": "\(self.limit)", "refused": "\(logRefusals)"]
            )
        }
        guard admitted else { return false }
        channel.closeFuture.whenComplete { _ in
            self.state.withLockedValue { _ = $0.open.removeValue(forKey: key) }
        }
        return true
    }

    /// Closes every open connection, now: what graceful shutdown does once the drain has run out of time. Later
    /// connections are refused.
    /// - Returns: how many were open.
    @discardableResult
    public func closeAll() -> Int {
        let channels = self.state.withLockedValue { state in
            state.cut = true
            return Array(state.open.values)
        }
        for channel in channels {
            channel.close(promise: nil)
        }
        return channels.count
    }
}
