/// An error from opening, writing or reading a journal.
///
/// A struct over a private enum, so new cases never break callers: match on ``code``, read ``path`` and
/// ``sqliteError``, and show ``description`` to users.
public struct JournalError: Error, CustomStringConvertible, Sendable, Hashable {
    /// The kind of a ``JournalError``, for matching.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case notAJournal
            case newerSchema
            case fileNotFound
            case sqlite
            case closed
            case system
        }

        private let value: Value

        private init(_ value: Value) {
            self.value = value
        }

        /// The file is not a tablecast journal (another SQLite database, or not SQLite at all).
        public static let notAJournal = Code(.notAJournal)
        /// The journal was written by a newer tablecast with a schema this one does not know.
        public static let newerSchema = Code(.newerSchema)
        /// The file to read does not exist.
        public static let fileNotFound = Code(.fileNotFound)
        /// SQLite reported an error; see ``JournalError/sqliteError``.
        public static let sqlite = Code(.sqlite)
        /// The writer is closed.
        public static let closed = Code(.closed)
        /// A system call failed, such as starting the writer thread.
        public static let system = Code(.system)

        /// The name of the code.
        public var description: String {
            switch self.value {
            case .notAJournal: "notAJournal"
            case .newerSchema: "newerSchema"
            case .fileNotFound: "fileNotFound"
            case .sqlite: "sqlite"
            case .closed: "closed"
            case .system: "system"
            }
        }
    }

    private enum Kind: Hashable, Sendable {
        case notAJournal(path: String, reason: String)
        case newerSchema(path: String, found: Int32, supported: Int32)
        case fileNotFound(path: String)
        case sqlite(SQLiteError, path: String?)
        case closed(path: String)
        case system(operation: String, errno: Int32, path: String)
    }

    private let kind: Kind

    private init(_ kind: Kind) {
        self.kind = kind
    }

    /// The file is not a tablecast journal.
    ///
    /// - Parameter path: The file.
    public static func notAJournal(path: String) -> JournalError {
        JournalError(.notAJournal(path: path, reason: "it has no tablecast application_id"))
    }

    /// The file is not a tablecast journal, and why.
    static func notAJournal(path: String, reason: String) -> JournalError {
        JournalError(.notAJournal(path: path, reason: reason))
    }

    /// The journal's schema version is newer than this tablecast supports.
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - found: The file's `user_version`.
    ///   - supported: ``JournalSchema/version``.
    public static func newerSchema(path: String, found: Int32, supported: Int32) -> JournalError {
        JournalError(.newerSchema(path: path, found: found, supported: supported))
    }

    /// The file to read does not exist.
    ///
    /// - Parameter path: The file.
    public static func fileNotFound(path: String) -> JournalError {
        JournalError(.fileNotFound(path: path))
    }

    /// SQLite reported an error.
    ///
    /// - Parameters:
    ///   - error: The SQLite error, with its extended code, message and SQL.
    ///   - path: The journal file, if known.
    public static func sqlite(_ error: SQLiteError, path: String? = nil) -> JournalError {
        JournalError(.sqlite(error, path: path))
    }

    /// The writer is closed.
    ///
    /// - Parameter path: The journal file.
    public static func closed(path: String) -> JournalError {
        JournalError(.closed(path: path))
    }

    /// A system call failed.
    static func system(_ operation: String, errno: Int32, path: String) -> JournalError {
        JournalError(.system(operation: operation, errno: errno, path: path))
    }

    /// What kind of error this is.
    public var code: Code {
        switch self.kind {
        case .notAJournal: .notAJournal
        case .newerSchema: .newerSchema
        case .fileNotFound: .fileNotFound
        case .sqlite: .sqlite
        case .closed: .closed
        case .system: .system
        }
    }

    /// The journal file the error is about, if known.
    public var path: String? {
        switch self.kind {
        case .notAJournal(let path, _), .newerSchema(let path, _, _), .fileNotFound(let path), .closed(let path),
            .system(_, _, let path):
            path
        case .sqlite(_, let path):
            path
        }
    }

    /// The SQLite error, for ``Code/sqlite``.
    public var sqliteError: SQLiteError? {
        if case .sqlite(let error, _) = self.kind {
            return error
        }
        return nil
    }

    /// One line for users, naming the file.
    public var description: String {
        switch self.kind {
        case .notAJournal(let path, let reason):
            "'\(path)' is not a tablecast journal: \(reason)"
        case .newerSchema(let path, let found, let supported):
            "'\(path)' is a journal of schema version \(found), but this tablecast reads up to version "
                + "\(supported); use a newer tablecast"
        case .fileNotFound(let path):
            "'\(path)' does not exist: there is no journal to read"
        case .sqlite(let error, let path?):
            "journal '\(path)': \(error)"
        case .sqlite(let error, nil):
            "journal: \(error)"
        case .closed(let path):
            "the journal writer for '\(path)' is closed"
        case .system(let operation, let errno, let path):
            "journal '\(path)': \(operation) failed with errno \(errno)"
        }
    }
}

extension JournalError {
    /// Runs `body`, turning an SQLite error into a ``JournalError`` naming `path`.
    static func mapping<Result>(
        path: String,
        _ body: () throws(SQLiteError) -> Result
    ) throws(JournalError) -> Result {
        do {
            return try body()
        } catch {
            throw .sqlite(error, path: path)
        }
    }
}
