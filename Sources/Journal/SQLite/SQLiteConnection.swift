import CSQLite

/// One SQLite database connection.
///
/// A connection is used by one thread at a time (it is opened with `SQLITE_OPEN_NOMUTEX`), so it is deliberately not
/// `Sendable`: hand it over to another thread with `sending`, never share it. Extended result codes are enabled, so
/// every ``SQLiteError`` carries the precise failure. The connection closes in `deinit` if ``close()`` was not
/// called; statements it prepared stay valid until they are released, and the file is released after them.
public final class SQLiteConnection {
    /// How a transaction takes its locks; see SQLite's `BEGIN` documentation.
    public enum TransactionKind: Sendable {
        /// Locks are taken on first access.
        case deferred
        /// The write lock is taken at once, so a writer never fails to upgrade a read lock mid-transaction.
        case immediate
        /// Like ``immediate``; in WAL mode the two are the same.
        case exclusive
    }

    /// The connection handle, `nil` once closed.
    private var handle: OpaquePointer?
    /// The path given to ``init(path:readOnly:)``.
    public let path: String

    /// Opens a connection.
    ///
    /// - Parameters:
    ///   - path: The database file. A writable connection creates it if it does not exist; a read-only one never
    ///     does.
    ///   - readOnly: Whether to open with `SQLITE_OPEN_READONLY`.
    /// - Throws: ``SQLiteError`` if SQLite cannot open the file.
    public init(path: String, readOnly: Bool = false) throws(SQLiteError) {
        var flags = SQLITE_OPEN_NOMUTEX
        flags |= readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        var handle: OpaquePointer?
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard code == SQLITE_OK, let handle else {
            let error = SQLiteError(code: code, connection: handle, sql: nil)
            // sqlite3_open_v2 usually allocates a handle even when it fails; it must still be closed.
            sqlite3_close_v2(handle)
            throw error
        }
        self.handle = handle
        self.path = path
        sqlite3_extended_result_codes(handle, 1)
    }

    /// Opens a connection; the same as ``init(path:readOnly:)``.
    ///
    /// - Throws: ``SQLiteError`` if SQLite cannot open the file.
    public static func open(path: String, readOnly: Bool = false) throws(SQLiteError) -> SQLiteConnection {
        try SQLiteConnection(path: path, readOnly: readOnly)
    }

    deinit {
        // sqlite3_close_v2 never fails for a valid handle: it defers until outstanding statements are finalized.
        sqlite3_close_v2(self.handle)
    }

    /// Closes the connection now. Closing twice does nothing.
    ///
    /// Unlike `deinit`, this uses `sqlite3_close`, which refuses to close while statements prepared on the
    /// connection are still alive, so the file is really released when it returns.
    ///
    /// - Throws: ``SQLiteError`` (`SQLITE_BUSY`) if statements are still alive; the connection stays open.
    public func close() throws(SQLiteError) {
        guard let handle = self.handle else {
            return
        }
        let code = sqlite3_close(handle)
        guard code == SQLITE_OK else {
            throw SQLiteError(code: code, connection: handle, sql: nil)
        }
        self.handle = nil
    }

    /// Runs one or more SQL statements, discarding any rows.
    ///
    /// - Parameter sql: The SQL to run.
    /// - Throws: ``SQLiteError`` with the extended code, message and SQL on the first failure.
    public func execute(_ sql: String) throws(SQLiteError) {
        let handle = try self.openHandle(sql: sql)
        var errorMessage: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        defer { sqlite3_free(errorMessage) }
        guard code == SQLITE_OK else {
            var error = SQLiteError(code: code, connection: handle, sql: sql)
            if let errorMessage {
                error.message = String(cString: errorMessage)
            }
            throw error
        }
    }

    /// Prepares exactly one SQL statement.
    ///
    /// - Parameter sql: The SQL, which must hold one statement (a trailing `;` and whitespace are fine).
    /// - Returns: The statement, which finalizes itself when released.
    /// - Throws: ``SQLiteError`` if the SQL does not compile, is empty, or holds more than one statement.
    public func prepare(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        let handle = try self.openHandle(sql: sql)
        var statement: OpaquePointer?
        var code: Int32 = SQLITE_OK
        var trailing = ""
        sql.withCString { text in
            var tail: UnsafePointer<CChar>?
            code = sqlite3_prepare_v2(handle, text, -1, &statement, &tail)
            if let tail {
                trailing = String(cString: tail)
            }
        }
        guard code == SQLITE_OK else {
            throw SQLiteError(code: code, connection: handle, sql: sql)
        }
        guard let statement else {
            throw SQLiteError.misuse("no SQL statement to prepare", sql: sql)
        }
        let result = SQLiteStatement(handle: statement, sql: sql)
        guard trailing.allSatisfy({ $0.isWhitespace || $0 == ";" }) else {
            throw SQLiteError.misuse("prepare accepts one statement; use execute for several", sql: sql)
        }
        return result
    }

    /// Runs `body` in a transaction: commits if it returns, rolls back if it throws.
    ///
    /// As in GRDB, the first error wins: if `body` throws and the rollback fails too, the error from `body` is
    /// thrown. If SQLite already rolled the transaction back on its own (after `SQLITE_FULL`, for instance), no
    /// rollback is attempted.
    ///
    /// - Parameters:
    ///   - kind: How the transaction takes its locks.
    ///   - body: The work to do inside the transaction.
    /// - Returns: What `body` returns.
    /// - Throws: The error from `body`, or ``SQLiteError`` from `BEGIN`, `COMMIT` or `ROLLBACK`.
    public func inTransaction<Result>(
        _ kind: TransactionKind = .deferred,
        _ body: () throws -> Result
    ) throws -> Result {
        try self.inTransaction(kind, mapError: { (error: SQLiteError) -> any Error in error }, body)
    }

    /// Runs `body` in a transaction with typed errors: commits if it returns, rolls back if it throws.
    ///
    /// The same as ``inTransaction(_:_:)``, for callers with their own error type: errors from `BEGIN`, `COMMIT`
    /// and `ROLLBACK` go through `mapError`.
    ///
    /// - Parameters:
    ///   - kind: How the transaction takes its locks.
    ///   - mapError: Turns an SQLite error of the transaction itself into the caller's error type.
    ///   - body: The work to do inside the transaction.
    /// - Returns: What `body` returns.
    /// - Throws: The first error: from `body`, or a mapped ``SQLiteError`` from `BEGIN`, `COMMIT` or `ROLLBACK`.
    public func inTransaction<Result, Failure: Error>(
        _ kind: TransactionKind = .deferred,
        mapError: (SQLiteError) -> Failure,
        _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let begin = switch kind {
        case .deferred: "BEGIN DEFERRED TRANSACTION"
        case .immediate: "BEGIN IMMEDIATE TRANSACTION"
        case .exclusive: "BEGIN EXCLUSIVE TRANSACTION"
        }
        do {
            try self.execute(begin)
        } catch {
            throw mapError(error)
        }
        let firstError: Failure
        do throws(Failure) {
            let result = try body()
            do {
                try self.execute("COMMIT TRANSACTION")
            } catch {
                throw mapError(error)
            }
            return result
        } catch {
            firstError = error
        }
        if !self.isAutocommit {
            do {
                try self.execute("ROLLBACK TRANSACTION")
            } catch {
                // Not swallowed but outranked: the error from the body (or the failed COMMIT) explains what
                // happened, and a failed rollback leaves SQLite to roll back when the connection closes.
                throw firstError
            }
        }
        throw firstError
    }

    /// The rows the last INSERT, UPDATE or DELETE changed (`sqlite3_changes64`); 0 once closed.
    public var changes: Int {
        guard let handle = self.handle else {
            return 0
        }
        return Int(sqlite3_changes64(handle))
    }

    /// Whether no transaction is open (`sqlite3_get_autocommit`); `true` once closed.
    public var isAutocommit: Bool {
        guard let handle = self.handle else {
            return true
        }
        return sqlite3_get_autocommit(handle) != 0
    }

    /// The rowid of the last successful insert into a rowid table on this connection.
    public var lastInsertRowID: Int64 {
        guard let handle = self.handle else {
            return 0
        }
        return sqlite3_last_insert_rowid(handle)
    }

    /// How long a statement retries before failing with `SQLITE_BUSY` when another connection holds a lock.
    ///
    /// - Parameter milliseconds: The timeout; 0 turns retrying off.
    /// - Throws: ``SQLiteError`` if SQLite reports a failure.
    public func setBusyTimeout(milliseconds: Int32) throws(SQLiteError) {
        let handle = try self.openHandle(sql: nil)
        let code = sqlite3_busy_timeout(handle, milliseconds)
        guard code == SQLITE_OK else {
            throw SQLiteError(code: code, connection: handle, sql: nil)
        }
    }

    /// The handle, or an error once the connection is closed.
    private func openHandle(sql: String?) throws(SQLiteError) -> OpaquePointer {
        guard let handle = self.handle else {
            throw SQLiteError.misuse("the connection to \(self.path) is closed", sql: sql)
        }
        return handle
    }
}

/// Not `Sendable`: used by one thread at a time (SQLite is opened with `SQLITE_OPEN_NOMUTEX`).
@available(*, unavailable)
extension SQLiteConnection: Sendable {}
