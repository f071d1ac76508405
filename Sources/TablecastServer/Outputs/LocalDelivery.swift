import Simulator
import SocketIOProtocol
import SocketIOServer

/// This server's own clients: the events go to the ``Broadcaster`` (one coalesced buffer per event loop, one write
/// per connection), and a disconnect fault cuts sessions of the Engine.IO server.
public struct LocalDelivery: EmissionOutput {
    let broadcaster: Broadcaster
    let engine: EngineServer?

    public init(broadcaster: Broadcaster, engine: EngineServer?) {
        self.broadcaster = broadcaster
        self.engine = engine
    }

    public func deliver(_ deliveries: [EventDelivery]) {
        // Only when a load client asked for traces: the same frame with `{"seq":N,"emittedAt":T}` appended.
        let traced = self.broadcaster.hasTracedSubscribers
        for delivery in deliveries {
            self.broadcaster.publish(
                seq: delivery.seq,
                frame: delivery.frame,
                emittedAtNanos: delivery.emittedAtNanos,
                tracedFrame: traced
                    ? SocketIOPacket.tracedEventFrame(delivery.frame, seq: delivery.seq,
                                                      emittedAtNanos: delivery.emittedAtNanos)
                    : nil
            )
        }
    }

    public func disconnect(clients: Fault.ClientCount, mode: Fault.DisconnectMode) -> Int {
        guard let engine = self.engine else { return 0 }
        return engine.forceDisconnect(count: clients.resolve(connected: self.broadcaster.subscribers),
                                      mode: mode == .transport ? .transport : .namespace)
    }
}
