import CSQLite

/// An error reported by SQLite, with everything needed to understand it later.
///
/// The extended result code, the message and the SQL are captured at the point of failure, because SQLite overwrites
/// its per-connection error state on the next call.
public struct SQLiteError: Error, CustomStringConvertible, Sendable, Hashable {
    /// The primary result code, such as `SQLITE_CONSTRAINT` (19).
    public var resultCode: Int32
    /// The extended result code, such as `SQLITE_CONSTRAINT_PRIMARYKEY` (1555).
    public var extendedResultCode: Int32
    /// The message from `sqlite3_errmsg`, or the generic text for the code when there was no connection.
    public var message: String
    /// The SQL being prepared or run when the error happened, if any.
    public var sql: String?

    /// Creates an error from its parts.
    ///
    /// - Parameters:
    ///   - extendedResultCode: The extended (or primary) result code; the primary code is its low byte.
    ///   - message: The message describing the failure.
    ///   - sql: The SQL being prepared or run, if any.
    public init(extendedResultCode: Int32, message: String, sql: String? = nil) {
        self.resultCode = extendedResultCode & 0xFF
        self.extendedResultCode = extendedResultCode
        self.message = message
        self.sql = sql
    }

    /// Captures the current error of a connection.
    ///
    /// - Parameters:
    ///   - code: The code returned by the failing call.
    ///   - connection: The connection handle, or `nil` when none could be opened.
    ///   - sql: The SQL being prepared or run, if any.
    init(code: Int32, connection: OpaquePointer?, sql: String?) {
        let message: String
        if let connection, let text = sqlite3_errmsg(connection) {
            message = String(cString: text)
        } else {
            message = String(cString: sqlite3_errstr(code))
        }
        // Prefer the connection's extended code: some calls return only the primary code.
        var extended = code
        if let connection {
            let connectionCode = sqlite3_extended_errcode(connection)
            if connectionCode & 0xFF == code & 0xFF {
                extended = connectionCode
            }
        }
        self.init(extendedResultCode: extended, message: message, sql: sql)
    }

    /// A misuse of this wrapper that SQLite itself would not report, such as preparing an empty string.
    static func misuse(_ message: String, sql: String?) -> SQLiteError {
        SQLiteError(extendedResultCode: SQLITE_MISUSE, message: message, sql: sql)
    }

    /// One line: the codes, the message and the SQL.
    public var description: String {
        var description = "SQLite error \(self.extendedResultCode)"
        if self.extendedResultCode != self.resultCode {
            description += " (primary \(self.resultCode))"
        }
        description += ": \(self.message)"
        if let sql = self.sql {
            description += ", while executing `\(SQLiteError.oneLine(sql))`"
        }
        return description
    }

    /// Collapses whitespace runs so multi-line SQL fits the one-line description.
    private static func oneLine(_ sql: String) -> String {
        var result = ""
        var pendingSpace = false
        for character in sql {
            if character.isWhitespace {
                pendingSpace = !result.isEmpty
            } else {
                if pendingSpace {
                    result.append(" ")
                    pendingSpace = false
                }
                result.append(character)
            }
        }
        return result
    }
}
