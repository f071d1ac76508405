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
