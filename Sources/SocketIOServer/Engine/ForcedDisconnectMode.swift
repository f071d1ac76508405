/// How a forced disconnect ends a client's connection.
///
/// A fault to inject on purpose (see ``EngineServer/forceDisconnect(count:mode:)``), so that a client can prove it
/// survives the two ways a Socket.IO server drops it.
public enum ForcedDisconnectMode: String, Sendable, CaseIterable {
    /// Close the Engine.IO session (WebSocket closed / held poll answered with a close packet): the client sees
    /// "transport close" and reconnects by itself, as after a network drop or a server restart.
    case transport
    /// Send the Socket.IO DISCONNECT packet for the namespace (`41/events,`), as a server's `socket.disconnect()` does:
    /// the client sees "io server disconnect" and does not reconnect unless it does so itself. The Engine.IO session
    /// stays open.
    case namespace
}
