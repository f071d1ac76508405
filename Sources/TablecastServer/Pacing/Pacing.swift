import Journal
import Logging

/// How the simulation and the replay wait for an event's due time.
enum Pacing {
    /// How early an event may leave rather than pay for a sleep: below this, a sleep's own overshoot costs more
    /// evenness than leaving now.
    static let earlyTolerance = Duration.microseconds(100)
    /// The longest single sleep, so that pause, seek and pace changes apply promptly.
    static let longestSleep = Duration.milliseconds(50)

    /// Sleeps toward `due`, at most ``longestSleep``.
    /// - Returns: whether the event may leave now; `false` when the caller should look again (its controls may have
    ///   changed while it slept).
    static func wait(until due: ContinuousClock.Instant, clock: ContinuousClock) async throws -> Bool {
        guard due - clock.now > Self.earlyTolerance else { return true }
        try await clock.sleep(until: min(due, clock.now + Self.longestSleep))
        return clock.now >= due - Self.earlyTolerance
    }
}

extension Pacing {
    /// How often a source held back by the journal looks again.
    static let backpressurePoll = Duration.milliseconds(2)

    /// Waits until the journal is back under its backlog bound: how a paced source slows down instead of piling up
    /// events in memory. Logs when the wait is long enough to notice.
    static func waitWhileJournalBehind(_ pipeline: EmissionPipeline, clock: ContinuousClock, logger: Logger) async throws {
        let started = clock.now
        var logged = false
        while pipeline.journalIsBehind {
            try await clock.sleep(for: Self.backpressurePoll)
            if !logged, clock.now - started > .seconds(1) {
                logged = true
                logger.notice("the journal is behind its backlog bound: events wait for it",
                              metadata: ["backlogBytes": "\(pipeline.journal.backlogBytes)"])
            }
        }
    }
}
