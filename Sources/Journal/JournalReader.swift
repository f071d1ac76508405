#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads runs, events and faults from a journal over its own read-only connection.
///
/// A reader never migrates: it reads journals of every schema version up to ``JournalSchema/version`` as they are,
/// and what an older file lacks reads as absent (``JournalEvent/detail`` and ``JournalEvent/fault`` are `nil`,
/// ``faults(runID:)`` is empty).
///
/// WAL lets a reader run while a ``JournalWriter`` writes: each query sees the rows committed when it started. A
/// reader is used by one thread at a time, so it is deliberately not `Sendable`; readers on other threads open their
/// own.
public final class JournalReader {
    /// The journal file.
    public let path: String
    /// The file's schema version (its `user_version`) when the reader opened it, at most ``JournalSchema/version``.
    public let schemaVersion: Int32
    private let connection: SQLiteConnection

    /// Opens a journal for reading; never creates or modifies the file.
    ///
    /// - Parameter path: The journal file.
    /// - Throws: ``JournalError/Code/fileNotFound`` if the file does not exist, ``JournalError/Code/notAJournal`` if
    ///   it is not a tablecast journal, ``JournalError/Code/newerSchema`` if a newer tablecast wrote it,
    ///   ``JournalError/Code/sqlite`` if SQLite fails.
    public init(path: String) throws(JournalError) {
        // SQLite's own error for a missing file is a vague "unable to open database file".
        guard access(path, F_OK) == 0 else {
            throw .fileNotFound(path: path)
        }
        let connection = try JournalError.mapping(path: path) { () throws(SQLiteError) in
            let connection = try SQLiteConnection(path: path, readOnly: true)
            try connection.setBusyTimeout(milliseconds: 5000)
            return connection
        }
        let schemaVersion: Int32
        switch try JournalSchema.identify(connection, path: path) {
        case .empty:
            throw .notAJournal(path: path, reason: "it is an empty SQLite database")
        case .journal(let version) where version < 1:
            throw .notAJournal(path: path, reason: "it is a journal whose schema was never created")
        case .journal(let version):
            schemaVersion = version
        }
        self.path = path
        self.schemaVersion = schemaVersion
        self.connection = connection
    }

    /// Every run, oldest first.
    ///
    /// - Throws: ``JournalError/Code/sqlite`` if SQLite fails.
    public func runs() throws(JournalError) -> [JournalRun] {
        try self.sqlite { () throws(SQLiteError) in
            let statement = try self.connection.prepare(
                "SELECT \(JournalReader.runColumns) FROM runs ORDER BY id"
            )
            var runs: [JournalRun] = []
            while try statement.step() {
                runs.append(JournalReader.run(from: statement))
            }
            return runs
        }
    }

    /// One run by id.
    ///
    /// - Parameter id: The run's id.
    /// - Returns: The run, or `nil` if there is none with that id.
    /// - Throws: ``JournalError/Code/sqlite`` if SQLite fails.
    public func run(id: Int64) throws(JournalError) -> JournalRun? {
        try self.sqlite { () throws(SQLiteError) in
            let statement = try self.connection.prepare(
                "SELECT \(JournalReader.runColumns) FROM runs WHERE id = ?"
            )
            try statement.bind(id, at: 1)
            return try statement.step() ? JournalReader.run(from: statement) : nil
        }
    }

    /// The id of the most recent run.
    ///
    /// - Returns: The largest run id, or `nil` if the journal has no runs.
    /// - Throws: ``JournalError/Code/sqlite`` if SQLite fails.
    public func latestRunID() throws(JournalError) -> Int64? {
        try self.sqlite { () throws(SQLiteError) in
            let statement = try self.connection.prepare("SELECT max(id) FROM runs")
            guard try statement.step(), !statement.isNull(at: 0) else {
                return nil
            }
            return statement.int64(at: 0)
        }
    }

    /// The number of events in a run.
    ///
    /// - Parameter runID: The run's id.
    /// - Throws: ``JournalError/Code/sqlite`` if SQLite fails.
    public func count(runID: Int64) throws(JournalError) -> Int {
        try self.sqlite { () throws(SQLiteError) in
            let statement = try self.connection.prepare("SELECT count(*) FROM events WHERE run_id = ?")
            try statement.bind(runID, at: 1)
            guard try statement.step() else {
                return 0
            }
            return Int(statement.int64(at: 0))
        }
    }

    /// A page of a run's events in `seq` order.
    ///
    /// - Parameters:
    ///   - runID: The run's id.
    ///   - fromSeq: The smallest `seq` to return.
    ///   - limit: The largest number of events to return, or `nil` for all.
    /// - Returns: The events with `seq >= fromSeq`, at most `limit` of them.
    /// - Throws: ``JournalError/Code/sqlite`` if SQLite fails.
    public func events(runID: Int64, fromSeq: Int64 = .min, limit: Int? = nil) throws(JournalError) -> [JournalEvent] {
        try self.sqlite { () throws(SQLiteError) in
            let statement = try self.prepareEvents(runID: runID, fromSeq: fromSeq, limit: limit)
            var events: [JournalEvent] = []
            while try statement.step() {
                events.append(JournalReader.event(from: statement))
            }
            return events
        }
    }

    /// Calls `body` with each of a run's events in `seq` order, without loading them all.
    ///
    /// The events come from one query, so they are a consistent snapshot even while a writer appends.
    ///
    /// - Parameters:
    ///   - runID: The run's id.
    ///   - fromSeq: The smallest `seq` to visit.
    ///   - body: Called once per event; throwing stops the iteration.
    /// - Throws: ``JournalError`` with code ``JournalError/Code/sqlite`` if SQLite fails, or what `body` throws.
    public func forEachEvent(
        runID: Int64,
        fromSeq: Int64 = .min,
        _ body: (JournalEvent) throws -> Void
    ) throws {
        let statement = try self.sqlite { () throws(SQLiteError) in
            try self.prepareEvents(runID: runID, fromSeq: fromSeq, limit: nil)
        }
        while try self.sqlite({ () throws(SQLiteError) in try statement.step() }) {
            try body(JournalReader.event(from: statement))
        }
    }

    /// What a run spans: its first and last events.
    public struct Span: Sendable, Equatable {
        public var count: Int
        public var firstSeq: Int64
        public var lastSeq: Int64
        public var firstWallMillis: Int64
        public var lastWallMillis: Int64
        public var firstMonoNanos: Int64
        public var lastMonoNanos: Int64
    }

    /// The span of a run's events; `nil` for a run without events.
    ///
    /// - Throws: ``JournalError/Code/sqlite`` if SQLite fails.
    public func span(runID: Int64) throws(JournalError) -> Span? {
        try self.sqlite { () throws(SQLiteError) in
            let statement = try self.connection.prepare(
                """
                SELECT count(*), min(seq), max(seq),
                       (SELECT wall_ms FROM events WHERE run_id = ?1 ORDER BY seq LIMIT 1),
                       (SELECT wall_ms FROM events WHERE run_id = ?1 ORDER BY seq DESC LIMIT 1),
                       (SELECT mono_ns FROM events WHERE run_id = ?1 ORDER BY seq LIMIT 1),
                       (SELECT mono_ns FROM events WHERE run_id = ?1 ORDER BY seq DESC LIMIT 1)
                FROM events WHERE run_id = ?1
                """
            )
            try statement.bind(runID, at: 1)
            guard try statement.step(), statement.int64(at: 0) > 0 else {
                return nil
            }
            return Span(count: Int(statement.int64(at: 0)), firstSeq: statement.int64(at: 1),
                        lastSeq: statement.int64(at: 2), firstWallMillis: statement.int64(at: 3),
                        lastWallMillis: statement.int64(at: 4), firstMonoNanos: statement.int64(at: 5),
                        lastMonoNanos: statement.int64(at: 6))
        }
    }

    /// The `seq` of a run's first event stamped at or after a wall-clock time; `nil` if none is.
    ///
    /// - Throws: ``JournalError/Code/sqlite`` if SQLite fails.
    public func firstSeq(runID: Int64, atOrAfterWallMillis millis: Int64) throws(JournalError) -> Int64? {
        try self.sqlite { () throws(SQLiteError) in
            let statement = try self.connection.prepare(
                "SELECT seq FROM events WHERE run_id = ? AND wall_ms >= ? ORDER BY seq LIMIT 1"
            )
            try statement.bind(runID, at: 1)
            try statement.bind(millis, at: 2)
            return try statement.step() ? statement.int64(at: 0) : nil
        }
    }

    /// A run's faults that are not events, in the order they were appended.
    ///
    /// - Parameter runID: The run's id.
    /// - Returns: The faults, each placed after the event ``JournalFault/afterSeq``; empty for a journal older than
    ///   schema version 3, which has no `faults` table.
    /// - Throws: ``JournalError/Code/sqlite`` if SQLite fails.
    public func faults(runID: Int64) throws(JournalError) -> [JournalFault] {
        guard self.schemaVersion >= 3 else {
            return []
        }
        return try self.sqlite { () throws(SQLiteError) in
            let statement = try self.connection.prepare(
                "SELECT after_seq, mono_ns, wall_ms, kind, spec FROM faults WHERE run_id = ? ORDER BY id"
            )
            try statement.bind(runID, at: 1)
            var faults: [JournalFault] = []
            while try statement.step() {
                faults.append(
                    JournalFault(
                        afterSeq: statement.int64(at: 0),
                        monoNanos: statement.int64(at: 1),
                        wallMillis: statement.int64(at: 2),
                        kind: statement.string(at: 3),
                        spec: statement.string(at: 4)
                    )
                )
            }
            return faults
        }
    }

    /// The wall-clock time of the event `seq` of a run; `nil` if the run has no such event.
    ///
    /// - Throws: ``JournalError/Code/sqlite`` if SQLite fails.
    public func wallMillis(runID: Int64, seq: Int64) throws(JournalError) -> Int64? {
        try self.sqlite { () throws(SQLiteError) in
            let statement = try self.connection.prepare("SELECT wall_ms FROM events WHERE run_id = ? AND seq = ?")
            try statement.bind(runID, at: 1)
            try statement.bind(seq, at: 2)
            return try statement.step() ? statement.int64(at: 0) : nil
        }
    }

    /// One cell of a run's timeline: the events of one name in one time bucket.
    public struct TimelineCell: Sendable, Equatable {
        /// The bucket's index: `(wall_ms - origin) / bucketMillis`, rounded down.
        public var bucket: Int64
        public var name: String
        public var count: Int
        /// How many of them a fault sent or marked (their `fault` column is set).
        public var faulted: Int
        /// The first of them.
        public var firstSeq: Int64
    }

    /// A run's events counted by wall-clock bucket and name, in one pass over the run: what a timeline chart draws.
    ///
    /// - Parameters:
    ///   - runID: The run's id.
    ///   - seqs: The events to count, by `seq`.
    ///   - origin: The wall-clock time (milliseconds) bucket 0 starts at.
    ///   - bucketMillis: Each bucket's width, at least 1 ms.
    /// - Returns: The cells in bucket order, then name order; a bucket without events has none.
    /// - Throws: ``JournalError/Code/sqlite`` if SQLite fails.
    public func timeline(runID: Int64, seqs: ClosedRange<Int64> = Int64.min...Int64.max, origin: Int64,
                         bucketMillis: Int64) throws(JournalError) -> [TimelineCell]
    {
        let fault = self.schemaVersion >= 3 ? "fault" : "NULL"
        return try self.sqlite { () throws(SQLiteError) in
            let statement = try self.connection.prepare(
                """
                SELECT (wall_ms - ?2) / ?3 - (wall_ms < ?2 AND (wall_ms - ?2) % ?3 != 0) AS bucket, name, count(*),
                       count(\(fault)), min(seq)
                FROM events WHERE run_id = ?1 AND seq BETWEEN ?4 AND ?5
                GROUP BY bucket, name ORDER BY bucket, name
                """
            )
            try statement.bind(runID, at: 1)
            try statement.bind(origin, at: 2)
            try statement.bind(max(1, bucketMillis), at: 3)
            try statement.bind(seqs.lowerBound, at: 4)
            try statement.bind(seqs.upperBound, at: 5)
            var cells: [TimelineCell] = []
            while try statement.step() {
                cells.append(TimelineCell(bucket: statement.int64(at: 0), name: statement.string(at: 1),
                                          count: Int(statement.int64(at: 2)), faulted: Int(statement.int64(at: 3)),
                                          firstSeq: statement.int64(at: 4)))
            }
            return cells
        }
    }

    /// An event that a fault sent or marked: where it is and what the fault was, without its payload.
    public struct FaultedEvent: Sendable, Equatable {
        public var seq: Int64
        public var monoNanos: Int64
        public var wallMillis: Int64
        public var name: String
        /// The event's `fault` column, JSON text.
        public var fault: String
    }

    /// A run's events whose `fault` column is set, in `seq` order, without reading their payloads.
    ///
    /// - Parameters:
    ///   - runID: The run's id.
    ///   - limit: The largest number to return, or `nil` for all.
    /// - Returns: The events; empty for a journal older than schema version 3, which has no `fault` column.
    /// - Throws: ``JournalError/Code/sqlite`` if SQLite fails.
    public func faultedEvents(runID: Int64, limit: Int? = nil) throws(JournalError) -> [FaultedEvent] {
        guard self.schemaVersion >= 3 else {
            return []
        }
        return try self.sqlite { () throws(SQLiteError) in
            let statement = try self.connection.prepare(
                """
                SELECT seq, mono_ns, wall_ms, name, fault FROM events
                WHERE run_id = ? AND fault IS NOT NULL ORDER BY seq LIMIT ?
                """
            )
            try statement.bind(runID, at: 1)
            try statement.bind(limit.map { Int64($0) } ?? -1, at: 2)
            var events: [FaultedEvent] = []
            while try statement.step() {
                events.append(FaultedEvent(seq: statement.int64(at: 0), monoNanos: statement.int64(at: 1),
                                           wallMillis: statement.int64(at: 2), name: statement.string(at: 3),
                                           fault: statement.string(at: 4)))
            }
            return events
        }
    }

    // MARK: Private

    private static let runColumns = "id, started_at, source, scenario, seed, tablecast_version, meta_json"

    private func prepareEvents(runID: Int64, fromSeq: Int64, limit: Int?) throws(SQLiteError) -> SQLiteStatement {
        // Columns an older schema lacks read as NULL: `detail` came with version 2, `fault` with version 3.
        let detail = self.schemaVersion >= 2 ? "detail" : "NULL"
        let fault = self.schemaVersion >= 3 ? "fault" : "NULL"
        let statement = try self.connection.prepare(
            """
            SELECT seq, mono_ns, wall_ms, namespace, name, payload, \(detail), \(fault) FROM events
            WHERE run_id = ? AND seq >= ? ORDER BY seq LIMIT ?
            """
        )
        try statement.bind(runID, at: 1)
        try statement.bind(fromSeq, at: 2)
        // A negative LIMIT means no limit in SQLite.
        try statement.bind(limit.map { Int64($0) } ?? -1, at: 3)
        return statement
    }

    private static func run(from statement: SQLiteStatement) -> JournalRun {
        JournalRun(
            id: statement.int64(at: 0),
            startedAtMillis: statement.int64(at: 1),
            source: statement.string(at: 2),
            scenario: statement.isNull(at: 3) ? nil : statement.string(at: 3),
            seed: statement.isNull(at: 4) ? nil : statement.int64(at: 4),
            tablecastVersion: statement.string(at: 5),
            metaJSON: statement.isNull(at: 6) ? nil : statement.string(at: 6)
        )
    }

    private static func event(from statement: SQLiteStatement) -> JournalEvent {
        JournalEvent(
            seq: statement.int64(at: 0),
            monoNanos: statement.int64(at: 1),
            wallMillis: statement.int64(at: 2),
            namespace: statement.string(at: 3),
            name: statement.string(at: 4),
            payload: statement.blob(at: 5),
            detail: statement.isNull(at: 6) ? nil : statement.blob(at: 6),
            fault: statement.isNull(at: 7) ? nil : statement.string(at: 7)
        )
    }

    /// Runs `body`, turning an SQLite error into a ``JournalError`` naming the file.
    private func sqlite<Result>(_ body: () throws(SQLiteError) -> Result) throws(JournalError) -> Result {
        try JournalError.mapping(path: self.path, body)
    }
}

/// Not `Sendable`: used by one thread at a time (SQLite is opened with `SQLITE_OPEN_NOMUTEX`).
@available(*, unavailable)
extension JournalReader: Sendable {}
