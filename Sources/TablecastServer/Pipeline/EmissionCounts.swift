import HashTreeCollections

/// Events numbered so far, by name: `tablecast_events_emitted_total{name}`.
///
/// At most ``maxCountedNames`` names are counted apart; events of later names are counted under ``otherNames``, so
/// that hand-fired names cannot grow the metrics without bound. A persistent tree, so that the snapshot published
/// after each event shares it.
struct EmissionCounts: Sendable, Equatable {
    static let maxCountedNames = 1000
    static let otherNames = "(other)"

    private(set) var byName: TreeDictionary<String, Int> = [:]

    mutating func count(_ name: String) {
        let counted = self.byName.count < Self.maxCountedNames || self.byName[name] != nil
        self.byName[counted ? name : Self.otherNames, default: 0] += 1
    }
}
