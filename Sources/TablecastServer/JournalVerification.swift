import Journal
import Restaurant

/// `tablecast journal verify`: checks every event of a journal against the contract's schemas and lifecycle rules.
///
/// Each run is replayed in `seq` order into a fresh restaurant state, built from the restaurant the run recorded
/// (`runs.meta_json`), or the built-in restaurant for a run that recorded none (a stream recorded from another
/// backend). Every problem is reported with its run, `seq`, event name and rule, as soon as it is found.
public enum JournalVerification {
    /// What one run's verification found.
    public struct RunSummary: Sendable {
        public var runID: Int64
        public var events: Int
        public var errors: Int
        public var warnings: Int
        /// Events a fault injected (duplicates, replays, unknown events, extra fields).
        public var faultEvents: Int
    }

    /// Verifies the runs of a journal.
    /// - Parameters:
    ///   - path: the journal file; it is opened read-only and never modified.
    ///   - runID: one run to verify, or `nil` for all of them.
    ///   - report: receives one line per issue, and one summary line per run.
    /// - Returns: a summary per run.
    /// - Throws: ``JournalError`` when the file is not a readable journal, ``RunNotFound`` for an unknown run.
    public static func verify(
        path: String,
        runID: Int64?,
        report: (String) -> Void
    ) throws -> [RunSummary] {
        let reader = try JournalReader(path: path)
        let runs = try reader.runs().filter { runID == nil || $0.id == runID }
        if let runID, runs.isEmpty {
            throw RunNotFound(path: path, runID: runID)
        }
        var summaries: [RunSummary] = []
        for run in runs {
            let definition: RestaurantDefinition
            switch Result(catching: { try RunMetadata.decode(run.metaJSON) }) {
            case .success(let metadata?) where metadata.restaurant != nil:
                definition = metadata.restaurant!
            case .success:
                report("run \(run.id): no restaurant recorded (source \(run.source)); checking against the built-in restaurant")
                definition = .default
            case .failure(let error):
                report("run \(run.id): unreadable meta_json (\(error)); checking against the built-in restaurant")
                definition = .default
            }
            var verifier = JournalVerifier(definition: definition, collectsIssues: false)
            try reader.forEachEvent(runID: run.id) { event in
                for issue in verifier.verify(seq: event.seq, name: event.name, payload: event.payload,
                                             detail: event.detail, fault: event.fault) {
                    report("run \(run.id) \(issue)")
                }
            }
            let summary = RunSummary(runID: run.id, events: verifier.eventCount, errors: verifier.errorCount,
                                     warnings: verifier.warningCount, faultEvents: verifier.faultCount)
            let faults = summary.faultEvents > 0 ? " (\(summary.faultEvents) injected by faults)" : ""
            report("run \(run.id): \(summary.events) events\(faults), \(summary.errors) errors, \(summary.warnings) warnings")
            summaries.append(summary)
        }
        return summaries
    }
}

/// A run asked for by id that the journal does not hold.
public struct RunNotFound: Error, CustomStringConvertible {
    public var path: String
    public var runID: Int64

    public var description: String { "journal '\(self.path)' has no run \(self.runID)" }
}
