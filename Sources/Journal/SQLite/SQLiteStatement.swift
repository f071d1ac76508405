import CSQLite

/// A prepared SQLite statement that owns its handle.
///
/// The handle is finalized in `deinit`, so a statement cannot leak on an early throw. A statement belongs to one
/// thread at a time, like the connection that prepared it, so it is deliberately not `Sendable`.
///
/// Parameter indexes are 1-based and column indexes 0-based, as in the SQLite C API.
public final class SQLiteStatement {
    /// The statement handle, valid until `deinit`.
    let handle: OpaquePointer
    /// The SQL this statement was prepared from, kept for error reports.
    public let sql: String

    /// Takes ownership of a prepared handle.
    init(handle: OpaquePointer, sql: String) {
        self.handle = handle
        self.sql = sql
    }

    deinit {
        // sqlite3_finalize repeats the error of the last step, which has already been reported by `step()`.
        sqlite3_finalize(self.handle)
    }

    // MARK: Binding

    /// Binds a 64-bit integer.
    ///
    /// - Throws: ``SQLiteError`` if the index is out of range.
    public func bind(_ value: Int64, at index: Int32) throws(SQLiteError) {
        try self.check(sqlite3_bind_int64(self.handle, index, value))
    }

    /// Binds a 64-bit integer, or `NULL` for `nil`.
    ///
    /// - Throws: ``SQLiteError`` if the index is out of range.
    public func bind(_ value: Int64?, at index: Int32) throws(SQLiteError) {
        if let value {
            try self.bind(value, at: index)
        } else {
            try self.bindNull(at: index)
        }
    }

    /// Binds a string as UTF-8 text; SQLite copies it.
    ///
    /// - Throws: ``SQLiteError`` if the index is out of range or the string is too large.
    public func bind(_ value: String, at index: Int32) throws(SQLiteError) {
        var value = value
        let code = value.withUTF8 { utf8 in
            guard let base = utf8.baseAddress, utf8.count > 0 else {
                // A null pointer would bind NULL; an empty C string binds the empty text.
                return sqlite3_bind_text64(self.handle, index, "", 0, tablecast_sqlite_transient(), UInt8(SQLITE_UTF8))
            }
            return base.withMemoryRebound(to: CChar.self, capacity: utf8.count) { text in
                sqlite3_bind_text64(
                    self.handle, index, text, UInt64(utf8.count), tablecast_sqlite_transient(), UInt8(SQLITE_UTF8)
                )
            }
        }
        try self.check(code)
    }

    /// Binds a string as UTF-8 text, or `NULL` for `nil`.
    ///
    /// - Throws: ``SQLiteError`` if the index is out of range or the string is too large.
    public func bind(_ value: String?, at index: Int32) throws(SQLiteError) {
        if let value {
            try self.bind(value, at: index)
        } else {
            try self.bindNull(at: index)
        }
    }

    /// Binds bytes as a blob, never as text; SQLite copies them. An empty buffer is an empty blob, not `NULL`.
    ///
    /// - Throws: ``SQLiteError`` if the index is out of range or the blob is too large.
    public func bind(_ bytes: UnsafeRawBufferPointer, at index: Int32) throws(SQLiteError) {
        try self.check(self.bindBlob(bytes, at: index))
    }

    /// Binds bytes as a blob, never as text; SQLite copies them. An empty array is an empty blob, not `NULL`.
    ///
    /// - Throws: ``SQLiteError`` if the index is out of range or the blob is too large.
    public func bind(_ bytes: [UInt8], at index: Int32) throws(SQLiteError) {
        try self.check(bytes.withUnsafeBytes { buffer in self.bindBlob(buffer, at: index) })
    }

    /// Binds `NULL`.
    ///
    /// - Throws: ``SQLiteError`` if the index is out of range.
    public func bindNull(at index: Int32) throws(SQLiteError) {
        try self.check(sqlite3_bind_null(self.handle, index))
    }

    /// Sets every parameter back to `NULL`; `reset()` keeps bindings, so this is rarely needed.
    ///
    /// - Throws: ``SQLiteError`` if SQLite reports a failure.
    public func clearBindings() throws(SQLiteError) {
        try self.check(sqlite3_clear_bindings(self.handle))
    }

    // MARK: Running

    /// Runs the statement to its next row.
    ///
    /// - Returns: `true` when a row is available through the column accessors, `false` when the statement is done.
    /// - Throws: ``SQLiteError`` with the extended code, message and SQL for any other result.
    @discardableResult
    public func step() throws(SQLiteError) -> Bool {
        let code = sqlite3_step(self.handle)
        switch code {
        case SQLITE_ROW:
            return true
        case SQLITE_DONE:
            return false
        default:
            throw SQLiteError(code: code, connection: sqlite3_db_handle(self.handle), sql: self.sql)
        }
    }

    /// Rewinds the statement so it can run again; bindings are kept.
    ///
    /// - Throws: ``SQLiteError`` if the last step failed (SQLite reports that failure again here).
    public func reset() throws(SQLiteError) {
        try self.check(sqlite3_reset(self.handle))
    }

    // MARK: Columns

    /// The number of columns in a result row.
    public var columnCount: Int32 {
        sqlite3_column_count(self.handle)
    }

    /// Whether a column of the current row is `NULL`.
    public func isNull(at column: Int32) -> Bool {
        sqlite3_column_type(self.handle, column) == SQLITE_NULL
    }

    /// A column of the current row as a 64-bit integer; `NULL` reads as 0.
    public func int64(at column: Int32) -> Int64 {
        sqlite3_column_int64(self.handle, column)
    }

    /// A column of the current row as text decoded from UTF-8 (invalid sequences repaired); `NULL` reads as "".
    public func string(at column: Int32) -> String {
        // The pointer must be fetched before the length, as the SQLite documentation requires.
        guard let text = sqlite3_column_text(self.handle, column) else {
            return ""
        }
        let count = Int(sqlite3_column_bytes(self.handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// A column of the current row as raw bytes; `NULL` and an empty blob read as `[]`.
    public func blob(at column: Int32) -> [UInt8] {
        guard let bytes = sqlite3_column_blob(self.handle, column) else {
            return []
        }
        let count = Int(sqlite3_column_bytes(self.handle, column))
        return [UInt8](UnsafeRawBufferPointer(start: bytes, count: count))
    }

    // MARK: Private

    /// Binds a blob and returns SQLite's code.
    private func bindBlob(_ bytes: UnsafeRawBufferPointer, at index: Int32) -> Int32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            // sqlite3_bind_blob64 with a null pointer would bind NULL.
            return sqlite3_bind_zeroblob(self.handle, index, 0)
        }
        return sqlite3_bind_blob64(self.handle, index, base, UInt64(bytes.count), tablecast_sqlite_transient())
    }

    private func check(_ code: Int32) throws(SQLiteError) {
        guard code == SQLITE_OK else {
            throw SQLiteError(code: code, connection: sqlite3_db_handle(self.handle), sql: self.sql)
        }
    }
}

/// Not `Sendable`: used by one thread at a time (SQLite is opened with `SQLITE_OPEN_NOMUTEX`).
@available(*, unavailable)
extension SQLiteStatement: Sendable {}
