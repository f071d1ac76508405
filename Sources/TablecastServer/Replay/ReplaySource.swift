import Journal
import Restaurant
import Simulator

/// A journal run to replay, checked and resolved before the server starts: the file is a readable journal, the run
/// exists and has events, and `from`/`to` name a non-empty range of it.
public struct ReplaySource: Sendable {
    /// Where a replay starts or stops: a `seq`, a wall-clock time, or an offset from the run's first event.
    public enum Position: Sendable, Hashable, CustomStringConvertible {
        case seq(Int64)
        case wallMillis(Int64)
        /// Seconds after the run's first event.
        case offset(Double)

        /// `1200` (a seq), `2026-11-26T12:05:00.000Z` (a time), or `+5m` (after the run's first event).
        public init?(_ text: String) {
            if let seq = Int64(text), seq >= 0 {
                self = .seq(seq)
            } else if text.hasPrefix("+"), let seconds = SimulationUnits.duration(String(text.dropFirst())) {
                self = .offset(seconds)
            } else if let time = Timestamp(iso8601: text) ?? Timestamp(iso8601: Self.withMilliseconds(text)) {
                self = .wallMillis(time.millisecondsSince1970)
            } else {
                return nil
            }
        }

        /// `2026-11-26T12:05:00Z` as `2026-11-26T12:05:00.000Z`.
        private static func withMilliseconds(_ text: String) -> String {
            text.count == 20 && text.hasSuffix("Z") ? String(text.dropLast()) + ".000Z" : text
        }

        /// The wall-clock time `seconds` after `first`, in milliseconds: where an `.offset` points. An offset past
        /// the end of time saturates (it points after every event) instead of overflowing.
        static func wallMillis(offset seconds: Double, after first: Int64) -> Int64 {
            let millis = (seconds * 1000).rounded()
            guard millis < 0x1p63 else { return .max }
            guard millis >= -0x1p63 else { return .min }
            let (sum, overflow) = first.addingReportingOverflow(Int64(millis))
            return overflow ? (millis > 0 ? .max : .min) : sum
        }

        public var description: String {
            switch self {
            case .seq(let seq): "seq \(seq)"
            case .wallMillis(let millis): Timestamp(millisecondsSince1970: millis).iso8601
            case .offset(let seconds): "+\(seconds)s"
            }
        }
    }

    /// What cannot be replayed, in one sentence.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public let path: String
    public let run: JournalRun
    public let span: JournalReader.Span
    /// The first and last `seq` replayed.
    public let fromSeq: Int64
    public let toSeq: Int64
    /// The restaurant the run started with (the built-in one when it recorded none).
    public let restaurant: RestaurantDefinition
    /// The run's faults that are not events (disconnects, delays), performed again at their place.
    public let faults: [JournalFault]

    /// Opens `path` read-only and resolves the run and the range.
    /// - Parameters:
    ///   - runID: the run; the latest when `nil`.
    /// - Throws: ``JournalError`` when the file is not a readable journal, ``Problem`` for a run or range that
    ///   does not exist.
    public init(path: String, runID: Int64?, from: Position?, to: Position?) throws {
        let reader = try JournalReader(path: path)
        guard let id = try runID ?? reader.latestRunID() else {
            throw Problem(description: "journal '\(path)' has no runs to replay")
        }
        guard let run = try reader.run(id: id) else {
            throw Problem(description: "journal '\(path)' has no run \(id)")
        }
        guard let span = try reader.span(runID: id) else {
            throw Problem(description: "run \(id) of '\(path)' has no events to replay")
        }
        func resolve(_ position: Position) throws -> Int64 {
            switch position {
            case .seq(let seq):
                return seq
            case .wallMillis(let millis):
                return try reader.firstSeq(runID: id, atOrAfterWallMillis: millis) ?? span.lastSeq + 1
            case .offset(let seconds):
                let millis = Position.wallMillis(offset: seconds, after: span.firstWallMillis)
                return try reader.firstSeq(runID: id, atOrAfterWallMillis: millis) ?? span.lastSeq + 1
            }
        }
        let fromSeq = try from.map { try resolve($0) } ?? span.firstSeq
        // `--to` names the last event replayed; a time or an offset, the last event before it.
        let toSeq: Int64 =
            switch to {
            case nil: span.lastSeq
            case .seq(let seq)?: seq
            case let position?: try resolve(position) - 1
            }
        let first = max(fromSeq, span.firstSeq)
        let last = min(toSeq, span.lastSeq)
        guard first <= last else {
            throw Problem(
                description: "nothing to replay between \(from?.description ?? "the start") and "
                    + "\(to?.description ?? "the end"): run \(id) holds seq \(span.firstSeq) to \(span.lastSeq), "
                    + "\(Timestamp(millisecondsSince1970: span.firstWallMillis).iso8601) to "
                    + "\(Timestamp(millisecondsSince1970: span.lastWallMillis).iso8601)"
            )
        }
        self.path = path
        self.run = run
        self.span = span
        self.fromSeq = first
        self.toSeq = last
        self.restaurant = (try? RunMetadata.decode(run.metaJSON))??.restaurant ?? .default
        self.faults = try reader.faults(runID: id)
    }
}
