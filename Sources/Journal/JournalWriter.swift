import Threading

/// Appends events (and injected faults) to a journal from any thread, writing them on one dedicated thread.
///
/// `append` is O(1): it adds the event to a pending buffer under one lock and wakes the writer thread. The thread,
/// which alone owns the writing SQLite connection, takes the whole buffer under the lock and inserts it with one
/// prepared statement, in transactions of up to `batchSize` rows (WAL, `synchronous=NORMAL`). A crash can therefore
/// lose at most the batches not yet committed; ``flush()`` waits for them when that matters.
///
/// Checkpoints stay off the writer's hot path: its connection has SQLite's automatic checkpoint turned off
/// (`wal_autocheckpoint=0`), and a second dedicated thread, with a connection of its own to the same file, copies the
/// WAL into the database (`wal_checkpoint(PASSIVE)`) whenever the writer has committed at least `checkpointRows`
/// rows since its last pass. A WAL only restarts from its beginning when a write transaction begins after every frame
/// has been copied, which the writer committing during the pass would prevent forever; so after each pass the writer
/// thread, before its next transaction, checkpoints the few frames committed meanwhile itself, and that transaction
/// restarts the WAL, which therefore stays bounded. The checkpointer starts no new pass until the writer has done so.
///
/// Faults that are not events (``append(fault:)``) have a buffer of their own, so the events path pays nothing for
/// them; the thread takes both buffers at once and commits the faults with the last transaction of the events taken
/// with them (or alone if there are none), so a reader never sees a fault before the events appended before it.
///
/// If SQLite fails, on either thread and whether inserting or checkpointing (a checkpoint that finds another one
/// running is not a failure), the writer stops: the failure is kept (with the extended code, message and SQL),
/// events and faults not written are counted in ``JournalWriterStatistics/lost`` and
/// ``JournalWriterStatistics/lostFaults``, and every later `append`, `flush` and `close` throws it.
///
/// Call ``close()`` to commit everything and release the file: the writer thread stops the checkpointer, which closes
/// its connection first, then closes its own, the last one, so SQLite checkpoints everything and removes the WAL.
/// A writer released without `close()` still drains and closes on its threads, but nobody learns whether that worked.
public final class JournalWriter: Sendable {
    /// The journal file.
    public let path: String
    /// The id of the run this writer inserted when it opened; every event and fault it writes belongs to it.
    public let runID: Int64
    /// The largest number of event rows per transaction.
    public let batchSize: Int
    /// How many rows the writer commits before the checkpointer thread runs a pass.
    public let checkpointRows: Int

    /// The state shared between appenders and the writer thread.
    let shared: ConditionLock<SharedState>

    /// Opens (or creates) a journal, records a new run, and starts the writer thread.
    ///
    /// - Parameters:
    ///   - path: The journal file; created if it does not exist.
    ///   - run: The run to record; its events and faults are the ones appended to this writer.
    ///   - batchSize: The largest number of event rows per transaction; at least 1.
    ///   - checkpointRows: How many rows the writer commits before the checkpointer thread copies the WAL into the
    ///     database; at least 1. Smaller keeps the WAL smaller; larger makes fewer, longer passes.
    /// - Throws: ``JournalError/Code/notAJournal`` if the file is not a tablecast journal (it is left untouched),
    ///   ``JournalError/Code/newerSchema`` if a newer tablecast wrote it, ``JournalError/Code/sqlite`` if SQLite
    ///   fails, ``JournalError/Code/system`` if a thread cannot start.
    public init(
        path: String,
        run: RunDescriptor,
        batchSize: Int = 1000,
        checkpointRows: Int = 4000
    ) throws(JournalError) {
        precondition(batchSize > 0, "batchSize must be at least 1")
        precondition(checkpointRows > 0, "checkpointRows must be at least 1")
        let connection = try JournalError.mapping(path: path) { () throws(SQLiteError) in
            let connection = try SQLiteConnection(path: path)
            try connection.setBusyTimeout(milliseconds: 5000)
            return connection
        }
        // Read-only checks first, so a file that is not a journal is refused before anything writes to it.
        _ = try JournalSchema.identify(connection, path: path)
        try JournalError.mapping(path: path) { () throws(SQLiteError) in
            try connection.execute("PRAGMA journal_mode = WAL")
            // The checkpointer thread checkpoints instead, off this connection's commits.
            try connection.execute("PRAGMA wal_autocheckpoint = 0")
            try connection.execute("PRAGMA synchronous = NORMAL")
        }
        let runID = try connection.inTransaction(.immediate, mapError: { .sqlite($0, path: path) }) {
            () throws(JournalError) -> Int64 in
            // Again under the write lock, in case another process initialized the file in the meantime.
            let version: Int32 =
                switch try JournalSchema.identify(connection, path: path) {
                case .empty: 0
                case .journal(let version): version
                }
            return try JournalError.mapping(path: path) { () throws(SQLiteError) in
                try JournalSchema.migrate(connection, from: version)
                return try JournalWriter.insertRun(run, into: connection)
            }
        }
        let (insert, insertFault, checkpoint) = try JournalError.mapping(path: path) { () throws(SQLiteError) in
            let insert = try connection.prepare(
                """
                INSERT INTO events(run_id, seq, wall_ms, mono_ns, namespace, name, payload, detail, fault)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
            )
            let insertFault = try connection.prepare(
                """
                INSERT INTO faults(run_id, after_seq, wall_ms, mono_ns, kind, spec)
                VALUES (?, ?, ?, ?, ?, ?)
                """
            )
            // reset() keeps bindings, so the run id is bound once for the writer's lifetime.
            try insert.bind(runID, at: 1)
            try insertFault.bind(runID, at: 1)
            return (insert, insertFault, try connection.prepare(JournalWriter.checkpointSQL))
        }
        let checkpointer = try JournalError.mapping(path: path) { () throws(SQLiteError) in
            let connection = try SQLiteConnection(path: path)
            try connection.setBusyTimeout(milliseconds: 5000)
            let checkpoint = try connection.prepare(JournalWriter.checkpointSQL)
            return Checkpointer(path: path, connection: connection, checkpoint: checkpoint)
        }

        let shared = ConditionLock(SharedState(), conditionCount: 3)
        self.path = path
        self.runID = runID
        self.batchSize = batchSize
        self.checkpointRows = checkpointRows
        self.shared = shared

        let checkpointerCode = DetachedThread.start {
            JournalWriter.runCheckpointer(checkpointer, checkpointRows: checkpointRows, shared: shared)
        }
        guard checkpointerCode == 0 else {
            throw .system("pthread_create", errno: checkpointerCode, path: path)
        }

        let session = Session(
            path: path,
            batchSize: batchSize,
            connection: connection,
            insert: insert,
            insertFault: insertFault,
            checkpoint: checkpoint
        )
        let code = DetachedThread.start {
            JournalWriter.runThread(session: session, checkpointRows: checkpointRows, shared: shared)
        }
        guard code == 0 else {
            // The checkpointer is running: stop it, so it closes its connection and ends.
            shared.withLock { $0.checkpointerStopRequested = true }
            shared.signal(.checkpoint)
            throw .system("pthread_create", errno: code, path: path)
        }
    }

    deinit {
        // The threads hold their own references to the shared state: asking the writer thread to stop is enough; it
        // stops the checkpointer before it ends.
        self.shared.withLock { $0.closeRequested = true }
        self.shared.signal(.work)
    }

    /// Queues one event for writing.
    ///
    /// O(1) under one lock; safe to call from an event loop.
    ///
    /// - Parameter event: The event, with a `seq` unique within the run.
    /// - Throws: The writer's failure if it has failed, or ``JournalError/Code/closed`` after ``close()``.
    public func append(_ event: JournalEvent) throws(JournalError) {
        let cost = event.backlogCost
        try self.shared.withLock { (state) throws(JournalError) in
            try state.checkOpen(path: self.path)
            state.pending.append(event)
            state.appended += 1
            state.uncommittedBytes += cost
        }
        self.shared.signal(.work)
    }

    /// Queues several events for writing, all under one lock.
    ///
    /// - Parameter events: The events, in order, each with a `seq` unique within the run.
    /// - Throws: The writer's failure if it has failed, or ``JournalError/Code/closed`` after ``close()``.
    public func append(contentsOf events: [JournalEvent]) throws(JournalError) {
        var cost = 0
        for event in events {
            cost += event.backlogCost
        }
        try self.shared.withLock { (state) throws(JournalError) in
            try state.checkOpen(path: self.path)
            state.pending.append(contentsOf: events)
            state.appended += events.count
            state.uncommittedBytes += cost
        }
        self.shared.signal(.work)
    }

    /// Queues one injected fault that is not an event, such as a forced disconnect, for writing.
    ///
    /// O(1) under the same lock as events; safe to call from an event loop. The fault is committed no earlier than
    /// the events appended before it.
    ///
    /// - Parameter fault: The fault, placed after the event ``JournalFault/afterSeq``.
    /// - Throws: The writer's failure if it has failed, or ``JournalError/Code/closed`` after ``close()``.
    public func append(fault: JournalFault) throws(JournalError) {
        try self.shared.withLock { (state) throws(JournalError) in
            try state.checkOpen(path: self.path)
            state.pendingFaults.append(fault)
            state.appendedFaults += 1
        }
        self.shared.signal(.work)
    }

    /// Whether the writer still accepts appends, and its backlog: what a source asks before it numbers new events,
    /// so that an event the journal would refuse is never numbered or sent.
    ///
    /// - Returns: ``backlogBytes`` now.
    /// - Throws: The writer's failure if it has failed, or ``JournalError/Code/closed`` after ``close()``.
    public func acceptance() throws(JournalError) -> Int {
        try self.shared.withLock { (state) throws(JournalError) -> Int in
            try state.checkOpen(path: self.path)
            return state.uncommittedBytes
        }
    }

    /// Queues events and faults for writing, all under one lock, for a caller that asked ``acceptance()`` first.
    ///
    /// Never refuses: should the writer have failed (or been closed) since the caller asked, they are counted as
    /// accepted and lost, as the events of a batch the writer was writing when it failed are, and the failure is
    /// returned. Every later ``acceptance()`` throws it.
    ///
    /// - Returns: `nil`, or the failure that lost them.
    public func appendAccepted(_ events: [JournalEvent], faults: [JournalFault] = []) -> JournalError? {
        guard !events.isEmpty || !faults.isEmpty else { return nil }
        var cost = 0
        for event in events {
            cost += event.backlogCost
        }
        let failure = self.shared.withLock { (state) -> JournalError? in
            do throws(JournalError) {
                try state.checkOpen(path: self.path)
            } catch {
                state.appended += events.count
                state.lost += events.count
                state.appendedFaults += faults.count
                state.lostFaults += faults.count
                return error
            }
            state.pending.append(contentsOf: events)
            state.appended += events.count
            state.uncommittedBytes += cost
            state.pendingFaults.append(contentsOf: faults)
            state.appendedFaults += faults.count
            return nil
        }
        if failure == nil {
            self.shared.signal(.work)
        }
        return failure
    }

    /// Blocks until every event and fault appended before this call is committed.
    ///
    /// This blocks the calling thread: never call it from an event loop or the cooperative pool.
    ///
    /// - Throws: The writer's failure if it has failed (now or while waiting), or ``JournalError/Code/closed`` after
    ///   ``close()``.
    public func flush() throws(JournalError) {
        let path = self.path
        let (target, faultTarget) = try self.shared.withLock { (state) throws(JournalError) in
            try state.checkOpen(path: path)
            return (state.appended, state.appendedFaults)
        }
        try self.shared.withLock(
            waitingOn: .progress,
            until: { $0.hasCommitted(events: target, faults: faultTarget) || $0.failure != nil || $0.threadFinished }
        ) { (state) throws(JournalError) in
            if let failure = state.failure {
                throw failure
            }
            guard state.hasCommitted(events: target, faults: faultTarget) else {
                throw .closed(path: path)
            }
        }
    }

    /// Commits everything appended, stops both threads and closes the database, checkpointing it completely.
    ///
    /// Idempotent. Blocks the calling thread until the threads have finished: never call it from an event loop.
    ///
    /// - Throws: The writer's failure, if it failed at any point; every call throws it.
    public func close() throws(JournalError) {
        self.shared.withLock { $0.closeRequested = true }
        self.shared.signal(.work)
        try self.shared.withLock(waitingOn: .progress, until: { $0.threadFinished }) { (state) throws(JournalError) in
            if let failure = state.failure {
                throw failure
            }
        }
    }

    /// The bytes appended and not yet committed (payloads, details and names, plus a fixed share per event): what a
    /// source checks against its bound before it adds more, so that a journal that cannot keep up slows its sources
    /// down instead of holding an ever larger backlog in memory.
    public var backlogBytes: Int {
        self.shared.withLock { $0.uncommittedBytes }
    }

    /// Waits, without blocking a thread, until the event `seq` is committed: what an API answers after, so that
    /// whatever it acknowledged is in the journal.
    ///
    /// - Throws: The writer's failure if it failed before the event was committed, or ``JournalError/Code/closed``
    ///   if it was closed without committing it (neither happens to an event appended before a successful close).
    public func waitForCommit(through seq: Int64) async throws(JournalError) {
        let path = self.path
        let done = try self.shared.withLock { (state) throws(JournalError) -> Bool in
            if let committed = state.lastCommittedSeq, committed >= seq { return true }
            if let failure = state.failure { throw failure }
            if state.threadFinished { throw .closed(path: path) }
            return seq <= 0
        }
        guard !done else { return }
        do {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let early: Result<Void, JournalError>? = self.shared.withLock { state in
                    if let committed = state.lastCommittedSeq, committed >= seq { return .success(()) }
                    if let failure = state.failure { return .failure(failure) }
                    if state.threadFinished { return .failure(.closed(path: path)) }
                    state.commitWaiters.append(CommitWaiter(seq: seq, continuation: continuation))
                    return nil
                }
                if let early {
                    continuation.resume(with: early.mapError { $0 })
                }
            }
        } catch let error as JournalError {
            throw error
        } catch {
            preconditionFailure("a commit waiter is resumed with a JournalError only: \(error)")
        }
    }

    /// Calls `observer` with the last seq of every commit that holds events, on the writer thread, in commit order;
    /// what `committed` durability publishes on. Replaces any earlier observer.
    ///
    /// The observer must be quick and must not append to this journal (it runs between two of its transactions).
    public func observeCommits(_ observer: (@Sendable (Int64) -> Void)?) {
        self.shared.withLock { $0.commitObserver = observer }
    }

    /// A snapshot of the writer's progress.
    public var statistics: JournalWriterStatistics {
        self.shared.withLock { state in
            JournalWriterStatistics(
                appended: state.appended,
                committed: state.committed,
                lost: state.lost,
                lastCommittedSeq: state.lastCommittedSeq,
                lastCommitNanos: state.lastCommitNanos,
                failure: state.failure,
                appendedFaults: state.appendedFaults,
                committedFaults: state.committedFaults,
                lostFaults: state.lostFaults
            )
        }
    }

    /// Inserts the run row and returns its id.
    private static func insertRun(
        _ run: RunDescriptor,
        into connection: SQLiteConnection
    ) throws(SQLiteError) -> Int64 {
        let statement = try connection.prepare(
            """
            INSERT INTO runs(started_at, source, scenario, seed, tablecast_version, meta_json)
            VALUES (?, ?, ?, ?, ?, ?)
            """
        )
        try statement.bind(run.startedAtMillis, at: 1)
        try statement.bind(run.source, at: 2)
        try statement.bind(run.scenario, at: 3)
        try statement.bind(run.seed, at: 4)
        try statement.bind(run.tablecastVersion, at: 5)
        try statement.bind(run.metaJSON, at: 6)
        try statement.step()
        return connection.lastInsertRowID
    }
}
