import NIOCore

/// How long a plain HTTP connection may take to send a request, or sit idle between requests, and how many
/// connections a server keeps open at once.
public struct HTTPConnectionLimits: Sendable, Equatable {
    /// The time a new connection has to send a complete request head, and a request has to send its body after its
    /// head; past it the connection is answered `408` and closed.
    public var requestHeadTimeout: TimeAmount
    /// The time a keep-alive connection may sit between requests before it is closed.
    public var idleTimeout: TimeAmount
    /// The most connections open at once, of every kind; a connection beyond it is answered `503` and closed.
    public var maxConnections: Int

    /// 10 s for a request, 60 s idle between requests (longer than the usual client's keep-alive, so the client
    /// closes first), and 1,000,000 connections: a bound that is meant to be set.
    public init(requestHeadTimeout: TimeAmount = .seconds(10), idleTimeout: TimeAmount = .seconds(60),
                maxConnections: Int = 1_000_000) {
        self.requestHeadTimeout = requestHeadTimeout
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
    }

    var timeouts: HTTPConnectionStateMachine.Timeouts {
        HTTPConnectionStateMachine.Timeouts(requestHead: self.requestHeadTimeout, idle: self.idleTimeout)
    }
}
