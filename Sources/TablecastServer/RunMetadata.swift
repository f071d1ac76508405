import Foundation
import Restaurant

/// What a run records about itself in `runs.meta_json`: the restaurant it started with, so that a verifier or a
/// replay rebuilds the state from the same tables, menu and staff.
public struct RunMetadata: Codable, Sendable {
    public var restaurant: RestaurantDefinition?
    /// For a replay: the run it replays and how, so that what a frontend saw can be audited.
    public var replayOf: Replay?

    /// The source of a replay run.
    public struct Replay: Codable, Sendable, Equatable {
        public var path: String
        public var run: Int64
        public var fromSeq: Int64
        public var toSeq: Int64
        public var speed: String
        public var only: [String]
        public var except: [String]
        public var loop: Bool
    }

    public init(restaurant: RestaurantDefinition?, replayOf: Replay? = nil) {
        self.restaurant = restaurant
        self.replayOf = replayOf
    }

    /// The JSON written into the journal (keys sorted, so that the same restaurant gives the same text).
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain structs of strings and integers cannot fail.
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// Reads a run's metadata; `nil` for a run without any (one recorded from another backend).
    public static func decode(_ json: String?) throws -> RunMetadata? {
        guard let json else { return nil }
        return try JSONDecoder().decode(RunMetadata.self, from: Data(json.utf8))
    }
}
