import Simulator

/// Where numbered, journaled events go: the ``EmissionPipeline``'s outputs receive its actions and do nothing else.
/// They are called under the pipeline's lock, in `seq` order, so each only queues (a write to an event loop, a
/// message to a thread) and returns.
///
/// The local broadcaster is one (``LocalDelivery``); a Redis transport between nodes and a dashboard stream are the
/// next.
public protocol EmissionOutput: Sendable {
    /// Sends these events, in order.
    func deliver(_ deliveries: [EventDelivery])

    /// Cuts clients for a disconnect fault.
    /// - Returns: how many it cut.
    func disconnect(clients: Fault.ClientCount, mode: Fault.DisconnectMode) -> Int

    /// Why the output cannot take more events now (a Redis stream out of reach with its backlog full), or `nil`:
    /// sources are then held back as for a journal that is behind (503 for an API, the runners wait).
    var behind: String? { get }
}

extension EmissionOutput {
    /// An output without clients of its own cuts none.
    public func disconnect(clients: Fault.ClientCount, mode: Fault.DisconnectMode) -> Int { 0 }

    public var behind: String? { nil }
}
