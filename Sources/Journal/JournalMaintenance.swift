/// Changes to an existing journal that people ask for by name (`tablecast journal trim`).
public enum JournalMaintenance {
    /// Deletes a run's events outside `seqs`, and its faults outside the same window, in one transaction.
    ///
    /// - Parameters:
    ///   - path: The journal; it must exist and be a journal this tablecast can write (it is migrated if older).
    ///   - runID: The run to trim.
    ///   - seqs: The events to keep.
    /// - Returns: How many events were deleted.
    /// - Throws: ``JournalError`` when the file is not a writable journal or SQLite fails; nothing is deleted then.
    public static func trim(path: String, runID: Int64, keepingSeq seqs: ClosedRange<Int64>) throws(JournalError)
        -> Int
    {
        let connection = try JournalError.mapping(path: path) { () throws(SQLiteError) in
            let connection = try SQLiteConnection(path: path)
            try connection.setBusyTimeout(milliseconds: 5000)
            return connection
        }
        let result: Result<Int, JournalError>
        do throws(JournalError) {
            result = .success(try Self.trim(connection, path: path, runID: runID, keepingSeq: seqs))
        } catch {
            result = .failure(error)
        }
        do throws(SQLiteError) {
            try connection.close()
        } catch {
            // A failure to close after a committed trim is still a failure to report; after a failed trim, the
            // trim's own error explains more.
            if case .success = result {
                throw .sqlite(error, path: path)
            }
        }
        return try result.get()
    }

    private static func trim(
        _ connection: SQLiteConnection,
        path: String,
        runID: Int64,
        keepingSeq seqs: ClosedRange<Int64>
    ) throws(JournalError) -> Int {
        guard case .journal(let version) = try JournalSchema.identify(connection, path: path), version >= 1 else {
            throw .notAJournal(path: path, reason: "it holds no journal schema")
        }
        return try connection.inTransaction(.immediate, mapError: { .sqlite($0, path: path) }) {
            () throws(JournalError) -> Int in
            try JournalError.mapping(path: path) { () throws(SQLiteError) -> Int in
                try JournalSchema.migrate(connection, from: version)
                let events = try connection.prepare(
                    "DELETE FROM events WHERE run_id = ? AND (seq < ? OR seq > ?)"
                )
                try events.bind(runID, at: 1)
                try events.bind(seqs.lowerBound, at: 2)
                try events.bind(seqs.upperBound, at: 3)
                try events.step()
                let removed = connection.changes
                let faults = try connection.prepare(
                    "DELETE FROM faults WHERE run_id = ? AND (after_seq < ? OR after_seq > ?)"
                )
                try faults.bind(runID, at: 1)
                try faults.bind(seqs.lowerBound - 1, at: 2)
                try faults.bind(seqs.upperBound, at: 3)
                try faults.step()
                return removed
            }
        }
    }
}
