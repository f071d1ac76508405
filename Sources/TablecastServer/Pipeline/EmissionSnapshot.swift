import HashTreeCollections
import Restaurant
import Simulator

/// What the emission core looked like after an input: the pipeline publishes one after every input, and the REST
/// API, health and metrics read it without taking the pipeline's lock. Copying it costs O(1): the projection's and
/// the counts' collections are persistent trees shared with the core.
public struct EmissionSnapshot: Sendable {
    /// The sequence number of the last event numbered, or 0.
    public var lastSeq: Int64
    /// The restaurant as the events have made it.
    public var state: RestaurantState
    /// Events numbered so far, by name (past 1,000 names, later ones under `(other)`).
    public var emittedByName: TreeDictionary<String, Int>
    /// Faults injected so far, by kind.
    public var faultsInjected: [Fault.Kind: Int]
    /// The transitions an armed extra-fields fault still changes.
    public var extraFieldsPending: Int
    /// Whether a delay fault holds delivery now.
    public var holding: Bool
}
