/// The writer thread and the state it shares with appenders.
extension JournalWriter {
    /// Everything appenders and the writer thread share, guarded by one ``ConditionLock``.
    struct SharedState: Sendable {
        /// Events appended and not yet taken by the thread.
        var pending: [JournalEvent] = []
        var appended = 0
        var committed = 0
        var lost = 0
        var lastCommittedSeq: Int64?
        var lastCommitNanos: Int64 = 0
        /// The first failure; once set, the writer accepts nothing more.
        var failure: JournalError?
        /// Set by `close()` (or `deinit`): the thread drains the buffer and stops.
        var closeRequested = false
        /// Set by the thread as its last act, after closing the connection.
        var threadFinished = false

        /// Throws if appending is no longer possible.
        func checkOpen(path: String) throws(JournalError) {
            if let failure = self.failure {
                throw failure
            }
            if self.closeRequested {
                throw .closed(path: path)
            }
        }
    }

    /// What the writer thread alone uses: the connection and the one prepared insert, reused for every row.
    final class Session {
        let path: String
        let batchSize: Int
        private let connection: SQLiteConnection
        private var insert: SQLiteStatement?

        /// Takes over a connection and the insert statement prepared on it, with the run id already bound.
        init(path: String, batchSize: Int, connection: SQLiteConnection, insert: SQLiteStatement) {
            self.path = path
            self.batchSize = batchSize
            self.connection = connection
            self.insert = insert
        }

        /// Inserts `events` in one transaction.
        ///
        /// - Throws: ``SQLiteError`` if any insert or the commit fails; the transaction is then rolled back.
        func write(_ events: ArraySlice<JournalEvent>) throws(SQLiteError) {
            guard let insert = self.insert else {
                throw SQLiteError.misuse("the journal writer's connection is closed", sql: nil)
            }
            try self.connection.inTransaction(.immediate, mapError: { $0 }) { () throws(SQLiteError) in
                for event in events {
                    try insert.bind(event.seq, at: 2)
                    try insert.bind(event.wallMillis, at: 3)
                    try insert.bind(event.monoNanos, at: 4)
                    try insert.bind(event.namespace, at: 5)
                    try insert.bind(event.name, at: 6)
                    try insert.bind(event.payload, at: 7)
                    if let detail = event.detail {
                        try insert.bind(detail, at: 8)
                    } else {
                        try insert.bindNull(at: 8)
                    }
                    try insert.step()
                    try insert.reset()
                }
            }
        }

        /// Finalizes the insert, then closes the connection, so the file is released when this returns.
        ///
        /// - Throws: ``SQLiteError`` if SQLite cannot close the connection.
        func close() throws(SQLiteError) {
            self.insert = nil
            try self.connection.close()
        }
    }

    /// The body of the writer thread.
    ///
    /// Waits while there is nothing to do, takes the whole pending buffer under one lock, writes it in transactions
    /// of up to `batchSize` rows, and publishes progress once per transaction. After a close request (once the
    /// buffer is drained) or a failure, it closes the connection and marks itself finished.
    static func runThread(session: Session, shared: ConditionLock<SharedState>) {
        // Swapped with the pending buffer, so both arrays keep their capacity and appends rarely allocate.
        var batch: [JournalEvent] = []
        while true {
            shared.withLock(waitingOn: .work, until: { !$0.pending.isEmpty || $0.closeRequested }) { state in
                swap(&state.pending, &batch)
            }
            if batch.isEmpty {
                break  // Close requested and everything drained.
            }
            guard self.write(batch, session: session, shared: shared) else {
                break
            }
            batch.removeAll(keepingCapacity: true)
        }

        var closeFailure: JournalError?
        do {
            try session.close()
        } catch {
            closeFailure = .sqlite(error, path: session.path)
        }
        shared.withLock { state in
            if state.failure == nil {
                state.failure = closeFailure
            }
            state.threadFinished = true
        }
        shared.broadcast(.progress)
    }

    /// Writes `batch` in transactions of up to `batchSize` rows, publishing progress after each.
    ///
    /// - Returns: `false` if SQLite failed; the failure and the lost events are then recorded in `shared`.
    private static func write(
        _ batch: [JournalEvent],
        session: Session,
        shared: ConditionLock<SharedState>
    ) -> Bool {
        var start = batch.startIndex
        while start < batch.endIndex {
            let end = min(start + session.batchSize, batch.endIndex)
            let began = ContinuousClock.now
            do {
                try session.write(batch[start..<end])
            } catch {
                let unwritten = batch.endIndex - start
                shared.withLock { state in
                    state.failure = .sqlite(error, path: session.path)
                    state.lost += unwritten + state.pending.count
                    state.pending.removeAll()
                }
                shared.broadcast(.progress)
                return false
            }
            let elapsed = (ContinuousClock.now - began).components
            let nanos = elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000
            let lastSeq = batch[end - 1].seq
            let count = end - start
            shared.withLock { state in
                state.committed += count
                state.lastCommittedSeq = lastSeq
                state.lastCommitNanos = nanos
            }
            shared.broadcast(.progress)
            start = end
        }
        return true
    }
}

extension ConditionLock<JournalWriter.SharedState>.Condition {
    /// Signalled when events are appended or close is requested; the writer thread waits on it.
    static let work = Self(0)
    /// Broadcast after each commit, on failure and when the thread finishes; `flush` and `close` wait on it.
    static let progress = Self(1)
}
