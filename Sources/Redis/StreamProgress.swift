/// What a reader of a Redis stream learns from `XINFO STREAM` after each batch it read: how far behind the stream's
/// newest entry it is, and whether entries were trimmed (`MAXLEN`) before it read them.
///
/// Redis 7 counts every entry ever added (`entries-added`). Each time the reader has caught up with the stream (its
/// last id is the stream's `last-generated-id`), the entries it read since the previous catch-up must number what was
/// added meanwhile; fewer means trimmed ones, found out when the reader next catches up (while it lags, nothing can be
/// told). Older servers do not count, and nothing is checked.
public struct StreamProgress: Sendable {
    /// `entries-added` at the last catch-up.
    private var mark: Int?
    /// Entries read since.
    private var readSinceMark = 0

    public init() {}

    /// What one `XINFO STREAM` says after a batch.
    public struct Observation: Sendable, Equatable {
        /// Entries trimmed before the reader read them, since the previous catch-up.
        public var trimmed: Int
        /// The milliseconds between the last entry read and the stream's newest, in seconds.
        public var lagSeconds: Double?
    }

    /// Asks `XINFO STREAM` and accounts for a batch of `batch` entries ending at `lastID` (0 and the starting id
    /// before the first read).
    public mutating func observe(_ connection: RedisConnection, stream: String, batch: Int, lastID: String)
        throws(RedisError) -> Observation
    {
        var reply = try connection.command(["XINFO", "STREAM", stream])
        self.readSinceMark += batch
        if case .error(let message) = reply, message.contains("no such key") {
            // No stream yet: nothing was ever added.
            reply = .array([.bulk(Array("entries-added".utf8)), .integer(0),
                            .bulk(Array("last-generated-id".utf8)), .bulk(Array("0-0".utf8))])
        }
        guard let fields = reply.elements else { return Observation(trimmed: 0, lagSeconds: nil) }
        var added: Int?
        var newest: String?
        for index in stride(from: 0, to: fields.count - 1, by: 2) {
            switch fields[index].text {
            case "entries-added": added = fields[index + 1].integer.map(Int.init)
            case "last-generated-id": newest = fields[index + 1].text
            default: continue
            }
        }
        var observation = Observation(trimmed: 0, lagSeconds: nil)
        if let newest, let newestMillis = Self.millis(newest), let readMillis = Self.millis(lastID) {
            observation.lagSeconds = Double(max(0, newestMillis - readMillis)) / 1000
        }
        guard let added, newest == lastID else { return observation }
        if let mark = self.mark, added - mark > self.readSinceMark {
            observation.trimmed = added - mark - self.readSinceMark
        }
        self.mark = added
        self.readSinceMark = 0
        return observation
    }

    static func millis(_ id: String) -> Int64? {
        id.split(separator: "-").first.flatMap { Int64($0) }
    }
}
