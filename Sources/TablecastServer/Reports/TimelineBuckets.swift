/// The width of a timeline's buckets, shared by the journal report and the dashboard's replay timeline: a width
/// that reads well (1, 2, 5, 10, 15, 30 s, 1, 2, 5, 10, 15, 30 min, 1, 2, 6, 12 h, then whole days) and keeps a run
/// within ``maxBuckets``: one bucket a second up to 10 minutes.
enum TimelineBuckets {
    static let maxBuckets: Int64 = 600
    static let seconds: [Int64] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400]

    /// The width, in milliseconds, for a run spanning `spanMillis`.
    static func width(spanMillis: Int64) -> Int64 {
        for seconds in Self.seconds where spanMillis / (seconds * 1000) < Self.maxBuckets {
            return seconds * 1000
        }
        let days = spanMillis / (86_400_000 * Self.maxBuckets) + 1
        return days * 86_400_000
    }
}
