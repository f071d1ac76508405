/// The transport an Engine.IO session is using.
public enum TransportKind: String, Sendable, Equatable {
    case polling
    case websocket
}

/// What a ``SocketIOClient`` reports, in order: the connection's lifecycle and the events received.
public enum SocketIOClientEvent: Sendable, Equatable {
    /// The namespace accepted the CONNECT packet.
    /// - Parameters:
    ///   - sid: the socket id of the answer (not the Engine.IO session id).
    ///   - transport: the transport in use at that moment.
    case connected(sid: String, transport: TransportKind)
    /// The session moved from long-polling to a WebSocket.
    case upgraded(to: TransportKind)
    /// An EVENT on the namespace.
    ///
    /// `payload` is exactly the bytes received, never re-encoded: with one argument after the name, that argument's
    /// JSON; with several, a JSON array of them (`[` + the bytes from the first argument to the last, as received +
    /// `]`); with none, empty. A BINARY_EVENT's payload keeps its placeholders (`{"_placeholder":true,"num":0}`);
    /// the attachments are skipped. `receivedAtWallMillis` is the Unix time in milliseconds and
    /// `receivedAtMonoNanos` a monotonic clock (`NIODeadline.now().uptimeNanoseconds`), both read when the packet
    /// was decoded.
    case event(name: String, payload: [UInt8], receivedAtWallMillis: Int64, receivedAtMonoNanos: Int64)
    /// A connected session ended.
    /// - Parameters:
    ///   - reason: socket.io-client's reasons: `io server disconnect`, `io client disconnect`, `transport close`,
    ///     `transport error`, `ping timeout`, `parse error`.
    ///   - willReconnect: whether the client tries again (never after `io server disconnect` or a stop).
    case disconnected(reason: String, willReconnect: Bool, atWallMillis: Int64)
    /// An attempt failed before the namespace answered: unreachable server, HTTP error, not a Socket.IO server, the
    /// namespace refused (its CONNECT_ERROR message), a timeout.
    case connectFailed(reason: String, willRetry: Bool)
}
