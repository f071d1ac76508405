import Threading

/// The writer and checkpointer threads and the state they share with appenders.
extension JournalWriter {
    /// The statement both threads checkpoint with; its one row is (busy, log frames, checkpointed frames).
    static let checkpointSQL = "PRAGMA wal_checkpoint(PASSIVE)"

    /// Everything appenders, the writer thread and the checkpointer thread share, guarded by one ``ConditionLock``.
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
        /// What the events appended and not yet committed weigh (``JournalEvent/backlogCost``): the backlog.
        var uncommittedBytes = 0
        /// Told the last seq of each commit that has one, on the writer thread, outside the lock.
        var commitObserver: (@Sendable (Int64) -> Void)?
        /// Tasks waiting for an event's commit (``JournalWriter/waitForCommit(through:)``), resumed by the writer
        /// thread once it is committed, or with the failure (or `closed`) once it never will be.
        var commitWaiters: [CommitWaiter] = []
        /// The first failure; once set, the writer accepts nothing more.
        var failure: JournalError?
        /// Set by `close()` (or `deinit`): the thread drains the buffers and stops.
        var closeRequested = false
        /// Set by the writer thread as its last act, once the checkpointer has finished and the connection is closed.
        var threadFinished = false
        /// Rows the writer has committed since the checkpointer last started a pass.
        var rowsSinceCheckpoint = 0
        /// Set by the checkpointer after each pass, cleared by the writer thread once it has checkpointed the frames
        /// committed during the pass itself, so that its next transaction restarts the WAL; no pass starts meanwhile.
        var restartPending = false
        /// Set by the writer thread (or a failed `init`) when it stops: the checkpointer closes its connection, ends.
        var checkpointerStopRequested = false
        /// Set by the checkpointer thread as its last act, after closing its connection.
        var checkpointerFinished = false

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

    /// A task waiting for the commit of the event `seq`.
    struct CommitWaiter: Sendable {
        var seq: Int64
        var continuation: CheckedContinuation<Void, any Error>
    }

    /// What the writer thread alone uses: the connection, the two prepared inserts, one for events and one for
    /// faults, each reused for every row, and the prepared checkpoint.
    final class Session {
        let path: String
        let batchSize: Int
        private let connection: SQLiteConnection
        private var insert: SQLiteStatement?
        private var insertFault: SQLiteStatement?
        private var checkpoint: SQLiteStatement?

        /// Takes over a connection and the statements prepared on it, the inserts with the run id already bound.
        init(
            path: String,
            batchSize: Int,
            connection: SQLiteConnection,
            insert: SQLiteStatement,
            insertFault: SQLiteStatement,
            checkpoint: SQLiteStatement
        ) {
            self.path = path
            self.batchSize = batchSize
            self.connection = connection
            self.insert = insert
            self.insertFault = insertFault
            self.checkpoint = checkpoint
        }

        /// Copies what is left of the WAL into the database, so the next transaction can restart the WAL.
        ///
        /// - Throws: ``SQLiteError`` if the checkpoint fails; finding another checkpoint running is not a failure.
        func checkpointWAL() throws(SQLiteError) {
            guard let checkpoint = self.checkpoint else {
                throw SQLiteError.misuse("the journal writer's connection is closed", sql: JournalWriter.checkpointSQL)
            }
            _ = try JournalWriter.runCheckpoint(checkpoint)
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
            self.checkpoint = nil
            try self.connection.close()
        }
    }

    /// What the checkpointer thread alone uses: its own connection to the journal and the prepared checkpoint.
    final class Checkpointer {
        let path: String
        private let connection: SQLiteConnection
        private var checkpoint: SQLiteStatement?

        /// Takes over a connection and the checkpoint statement prepared on it.
        init(path: String, connection: SQLiteConnection, checkpoint: SQLiteStatement) {
            self.path = path
            self.connection = connection
            self.checkpoint = checkpoint
        }

        /// Copies as much of the WAL into the database as no reader still needs, without waiting for anyone.
        ///
        /// - Throws: ``SQLiteError`` if the checkpoint fails; finding another checkpoint running is not a failure.
        func checkpointWAL() throws(SQLiteError) {
            guard let checkpoint = self.checkpoint else {
                throw SQLiteError.misuse(
                    "the journal checkpointer's connection is closed",
                    sql: JournalWriter.checkpointSQL
                )
            }
            _ = try JournalWriter.runCheckpoint(checkpoint)
        }

        /// Finalizes the checkpoint statement, then closes the connection.
        ///
        /// - Throws: ``SQLiteError`` if SQLite cannot close the connection.
        func close() throws(SQLiteError) {
            self.checkpoint = nil
            try self.connection.close()
        }
    }

    /// Runs a prepared `PRAGMA wal_checkpoint`, reads its one row and rewinds it.
    ///
    /// - Returns: Whether the checkpoint could not run (another checkpoint was running), the frames in the WAL and the
    ///   frames checkpointed.
    /// - Throws: ``SQLiteError`` if the checkpoint fails.
    static func runCheckpoint(
        _ statement: SQLiteStatement
    ) throws(SQLiteError) -> (busy: Bool, log: Int64, checkpointed: Int64) {
        guard try statement.step() else {
            try statement.reset()
            throw SQLiteError.misuse("wal_checkpoint returned no row", sql: statement.sql)
        }
        let result = (
            busy: statement.int64(at: 0) != 0,
            log: statement.int64(at: 1),
            checkpointed: statement.int64(at: 2)
        )
        try statement.reset()
        return result
    }

    /// The body of the writer thread.
    ///
    /// Waits while there is nothing to do, takes both pending buffers under one lock, writes them in transactions
    /// of up to `batchSize` events (the faults with the last), and publishes progress once per transaction. After a
    /// close request (once the buffers are drained) or a failure (its own or the checkpointer's), it stops the
    /// checkpointer and waits for it to close its connection, closes its own and marks itself finished.
    static func runThread(session: Session, checkpointRows: Int, shared: ConditionLock<SharedState>) {
        // Swapped with the pending buffers, so all four arrays keep their capacity and appends rarely allocate.
        var batch: [JournalEvent] = []
        var faults: [JournalFault] = []
        while true {
            let restartPending = shared.withLock(
                waitingOn: .work,
                until: { $0.hasPending || $0.closeRequested || $0.failure != nil }
            ) { state in
                swap(&state.pending, &batch)
                swap(&state.pendingFaults, &faults)
                return state.restartPending
            }
            if batch.isEmpty && faults.isEmpty {
                break  // Close requested and everything drained, or the checkpointer failed.
            }
            guard
                self.write(
                    batch,
                    faults: faults,
                    restartPending: restartPending,
                    session: session,
                    checkpointRows: checkpointRows,
                    shared: shared
                )
            else {
                break
            }
            batch.removeAll(keepingCapacity: true)
            faults.removeAll(keepingCapacity: true)
        }

        // The checkpointer's connection closes first, so this one is the last: closing it checkpoints everything and
        // removes the WAL.
        shared.withLock { $0.checkpointerStopRequested = true }
        shared.signal(.checkpoint)
        shared.withLock(waitingOn: .progress, until: { $0.checkpointerFinished }) { _ in }
        self.finishThread(shared: shared, path: session.path, close: session.close) { $0.threadFinished = true }
    }

    /// Writes `batch` in transactions of up to `batchSize` events, and `faults` in the last one (alone if `batch` is
    /// empty), publishing progress after each.
    ///
    /// The faults go last so that a fault is never committed before the events appended before it. Before a
    /// transaction that follows a checkpointer pass (`restartPending`, then as learnt after each commit), it
    /// checkpoints the rest of the WAL on its own connection, so that transaction restarts the WAL, and lets the
    /// checkpointer run again. After each commit it counts the rows toward the next pass and wakes the checkpointer
    /// when they reach `checkpointRows`.
    ///
    /// - Returns: `false` if SQLite failed here or the checkpointer has failed; the failure and the lost events and
    ///   faults are then recorded in `shared`.
    private static func write(
        _ batch: [JournalEvent],
        faults: [JournalFault],
        restartPending: Bool,
        session: Session,
        checkpointRows: Int,
        shared: ConditionLock<SharedState>
    ) -> Bool {
        var restartPending = restartPending
        var start = batch.startIndex
        repeat {
            let end = min(start + session.batchSize, batch.endIndex)
            // An empty array literal does not allocate.
            let faultsNow = end == batch.endIndex ? faults : []
            let began = ContinuousClock.now
            do {
                if restartPending {
                    try session.checkpointWAL()
                    let wakeCheckpointer = shared.withLock { state in
                        state.restartPending = false
                        return state.rowsSinceCheckpoint >= checkpointRows
                    }
                    if wakeCheckpointer {
                        shared.signal(.checkpoint)
                    }
                    restartPending = false
                }
                try session.write(batch[start..<end], faults: faultsNow)
            } catch {
                // The faults are written with the last transaction, so none of them was.
                let unwritten = batch.endIndex - start
                shared.withLock { state in
                    if state.failure == nil {
                        state.failure = .sqlite(error, path: session.path)
                    }
                    state.lost += unwritten + state.pending.count
                    state.lostFaults += faults.count + state.pendingFaults.count
                    state.uncommittedBytes = 0
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
            var bytes = 0
            for event in batch[start..<end] {
                bytes += event.backlogCost
            }
            var observer: (@Sendable (Int64) -> Void)?
            var waiters: [CommitWaiter] = []
            let (checkpointerFailed, wakeCheckpointer) = shared.withLock { state in
                state.committed += count
                state.committedFaults += faultCount
                state.uncommittedBytes -= bytes
                if let lastSeq {
                    state.lastCommittedSeq = lastSeq
                    observer = state.commitObserver
                    if !state.commitWaiters.isEmpty {
                        waiters = state.commitWaiters.filter { $0.seq <= lastSeq }
                        state.commitWaiters.removeAll { $0.seq <= lastSeq }
                    }
                }
                state.lastCommitNanos = nanos
                state.rowsSinceCheckpoint += count + faultCount
                restartPending = state.restartPending
                guard state.failure == nil else {
                    // The checkpointer failed: stop as if this thread had, losing the rest of the batch.
                    state.lost += batch.endIndex - end
                    state.lostFaults += end == batch.endIndex ? 0 : faults.count
                    return (true, false)
                }
                return (false, !state.restartPending && state.rowsSinceCheckpoint >= checkpointRows)
            }
            if wakeCheckpointer {
                shared.signal(.checkpoint)
            }
            shared.broadcast(.progress)
            if let observer, let lastSeq {
                observer(lastSeq)
            }
            for waiter in waiters {
                waiter.continuation.resume()
            }
            if checkpointerFailed {
                return false
            }
            start = end
        } while start < batch.endIndex
        return true
    }

    /// The body of the checkpointer thread.
    ///
    /// Waits until the writer has committed at least `checkpointRows` rows since the last pass (and has restarted the
    /// WAL after it), then runs a passive checkpoint on its own connection, and tells the writer thread it is done.
    /// If the checkpoint fails, the failure becomes the writer's, as if an insert had failed, and the thread stops.
    /// When the writer thread asks it to stop, or after a failure, it closes its connection and marks itself
    /// finished.
    static func runCheckpointer(_ checkpointer: Checkpointer, checkpointRows: Int, shared: ConditionLock<SharedState>) {
        while true {
            let stop = shared.withLock(
                waitingOn: .checkpoint,
                until: {
                    $0.checkpointerStopRequested || (!$0.restartPending && $0.rowsSinceCheckpoint >= checkpointRows)
                }
            ) { state in
                guard !state.checkpointerStopRequested else {
                    return true
                }
                state.rowsSinceCheckpoint = 0
                return false
            }
            if stop {
                break
            }
            do {
                try checkpointer.checkpointWAL()
            } catch {
                shared.withLock { state in
                    if state.failure == nil {
                        state.failure = .sqlite(error, path: checkpointer.path)
                    }
                    state.lost += state.pending.count
                    state.lostFaults += state.pendingFaults.count
                    state.pending.removeAll()
                    state.pendingFaults.removeAll()
                }
                // Wakes the writer thread if it is idle, so it stops too, and anyone waiting to flush.
                shared.signal(.work)
                shared.broadcast(.progress)
                break
            }
            shared.withLock { $0.restartPending = true }
        }

        self.finishThread(shared: shared, path: checkpointer.path, close: checkpointer.close) {
            $0.checkpointerFinished = true
        }
    }

    /// A thread's last act: closes its connection, keeps a close failure as the writer's failure unless it already
    /// has one, marks the thread finished (`finished`) and wakes whoever waits for progress.
    private static func finishThread(
        shared: ConditionLock<SharedState>,
        path: String,
        close: () throws(SQLiteError) -> Void,
        finished: (inout SharedState) -> Void
    ) {
        var closeFailure: JournalError?
        do {
            try close()
        } catch {
            closeFailure = .sqlite(error, path: path)
        }
        let (waiters, failure) = shared.withLock { state in
            if state.failure == nil {
                state.failure = closeFailure
            }
            finished(&state)
            let waiters = state.commitWaiters
            state.commitWaiters.removeAll()
            return (waiters, state.failure ?? .closed(path: path))
        }
        shared.broadcast(.progress)
        // What was still awaited was never committed: the thread is done.
        for waiter in waiters {
            waiter.continuation.resume(throwing: failure)
        }
    }
}

extension ConditionLock<JournalWriter.SharedState>.Condition {
    /// Signalled when events or faults are appended or close is requested; the writer thread waits on it.
    static let work = Self(0)
    /// Broadcast after each commit, on failure and when either thread finishes; `flush` and `close` wait on it, and
    /// the writer thread waits on it for the checkpointer to finish.
    static let progress = Self(1)
    /// Signalled when the writer has committed enough rows for a pass, or asks the checkpointer to stop; the
    /// checkpointer thread waits on it.
    static let checkpoint = Self(2)
}
