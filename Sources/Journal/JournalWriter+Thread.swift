/// The writer thread and the state it shares with appenders.
extension JournalWriter {
    /// Everything appenders and the writer thread share, guarded by one ``ConditionLock``.
    struct SharedState: Sendable {
        /// Events appended and not yet taken by the thread.
        var pending: [JournalEvent] = []
        /// Faults appended and not yet taken by the thread; apart from `pending`, so events pay nothing for them.
        var pendingFaults: [JournalFault] = []
        var appended = 0
        var committed = 0
        var lost = 0
        var appendedFaults = 0
        var committedFaults = 0
        var lostFaults = 0
        var lastCommittedSeq: Int64?
        var lastCommitNanos: Int64 = 0
        /// The first failure; once set, the writer accepts nothing more.
        var failure: JournalError?
        /// Set by `close()` (or `deinit`): the thread drains the buffers and stops.
        var closeRequested = false
        /// Set by the thread as its last act, after closing the connection.
        var threadFinished = false

        /// Whether there is anything for the thread to write.
        var hasPending: Bool {
            !self.pending.isEmpty || !self.pendingFaults.isEmpty
        }

        /// Whether at least `events` events and `faults` faults have been committed, for `flush`.
        func hasCommitted(events: Int, faults: Int) -> Bool {
            self.committed >= events && self.committedFaults >= faults
        }

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

    /// What the writer thread alone uses: the connection and the two prepared inserts, one for events and one for
    /// faults, each reused for every row.
    final class Session {
        let path: String
        let batchSize: Int
        private let connection: SQLiteConnection
        private var insert: SQLiteStatement?
        private var insertFault: SQLiteStatement?

        /// Takes over a connection and the insert statements prepared on it, with the run id already bound.
        init(
            path: String,
            batchSize: Int,
            connection: SQLiteConnection,
            insert: SQLiteStatement,
            insertFault: SQLiteStatement
        ) {
            self.path = path
            self.batchSize = batchSize
            self.connection = connection
            self.insert = insert
            self.insertFault = insertFault
        }

        /// Inserts `events`, then `faults`, in one transaction.
        ///
        /// - Throws: ``SQLiteError`` if any insert or the commit fails; the transaction is then rolled back.
        func write(_ events: ArraySlice<JournalEvent>, faults: [JournalFault]) throws(SQLiteError) {
            guard let insert = self.insert, let insertFault = self.insertFault else {
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
                    try insert.bind(event.fault, at: 9)
                    try insert.step()
                    try insert.reset()
                }
                for fault in faults {
                    try insertFault.bind(fault.afterSeq, at: 2)
                    try insertFault.bind(fault.wallMillis, at: 3)
                    try insertFault.bind(fault.monoNanos, at: 4)
                    try insertFault.bind(fault.kind, at: 5)
                    try insertFault.bind(fault.spec, at: 6)
                    try insertFault.step()
                    try insertFault.reset()
                }
            }
        }

        /// Finalizes the inserts, then closes the connection, so the file is released when this returns.
        ///
        /// - Throws: ``SQLiteError`` if SQLite cannot close the connection.
        func close() throws(SQLiteError) {
            self.insert = nil
            self.insertFault = nil
            try self.connection.close()
        }
    }

    /// The body of the writer thread.
    ///
    /// Waits while there is nothing to do, takes both pending buffers under one lock, writes them in transactions
    /// of up to `batchSize` events (the faults with the last), and publishes progress once per transaction. After a
    /// close request (once the buffers are drained) or a failure, it closes the connection and marks itself
    /// finished.
    static func runThread(session: Session, shared: ConditionLock<SharedState>) {
        // Swapped with the pending buffers, so all four arrays keep their capacity and appends rarely allocate.
        var batch: [JournalEvent] = []
        var faults: [JournalFault] = []
        while true {
            shared.withLock(waitingOn: .work, until: { $0.hasPending || $0.closeRequested }) { state in
                swap(&state.pending, &batch)
                swap(&state.pendingFaults, &faults)
            }
            if batch.isEmpty && faults.isEmpty {
                break  // Close requested and everything drained.
            }
            guard self.write(batch, faults: faults, session: session, shared: shared) else {
                break
            }
            batch.removeAll(keepingCapacity: true)
            faults.removeAll(keepingCapacity: true)
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

    /// Writes `batch` in transactions of up to `batchSize` events, and `faults` in the last one (alone if `batch` is
    /// empty), publishing progress after each.
    ///
    /// The faults go last so that a fault is never committed before the events appended before it.
    ///
    /// - Returns: `false` if SQLite failed; the failure and the lost events and faults are then recorded in
    ///   `shared`.
    private static func write(
        _ batch: [JournalEvent],
        faults: [JournalFault],
        session: Session,
        shared: ConditionLock<SharedState>
    ) -> Bool {
        var start = batch.startIndex
        repeat {
            let end = min(start + session.batchSize, batch.endIndex)
            // An empty array literal does not allocate.
            let faultsNow = end == batch.endIndex ? faults : []
            let began = ContinuousClock.now
            do {
                try session.write(batch[start..<end], faults: faultsNow)
            } catch {
                // The faults are written with the last transaction, so none of them was.
                let unwritten = batch.endIndex - start
                shared.withLock { state in
                    state.failure = .sqlite(error, path: session.path)
                    state.lost += unwritten + state.pending.count
                    state.lostFaults += faults.count + state.pendingFaults.count
                    state.pending.removeAll()
                    state.pendingFaults.removeAll()
                }
                shared.broadcast(.progress)
                return false
            }
            let elapsed = (ContinuousClock.now - began).components
            let nanos = elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000
            let lastSeq = end > start ? batch[end - 1].seq : nil
            let count = end - start
            let faultCount = faultsNow.count
            shared.withLock { state in
                state.committed += count
                state.committedFaults += faultCount
                if let lastSeq {
                    state.lastCommittedSeq = lastSeq
                }
                state.lastCommitNanos = nanos
            }
            shared.broadcast(.progress)
            start = end
        } while start < batch.endIndex
        return true
    }
}

extension ConditionLock<JournalWriter.SharedState>.Condition {
    /// Signalled when events or faults are appended or close is requested; the writer thread waits on it.
    static let work = Self(0)
    /// Broadcast after each commit, on failure and when the thread finishes; `flush` and `close` wait on it.
    static let progress = Self(1)
}
