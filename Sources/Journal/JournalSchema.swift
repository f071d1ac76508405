import CSQLite

/// The journal's SQLite schema, its identity and its migrations.
///
/// A journal is an SQLite database in WAL mode with three tables:
///
/// ```sql
/// CREATE TABLE runs(
///     id INTEGER PRIMARY KEY,
///     started_at INTEGER NOT NULL,        -- Unix time in milliseconds
///     source TEXT NOT NULL,               -- what produced the run, such as 'serve'
///     scenario TEXT,
///     seed INTEGER,
///     tablecast_version TEXT NOT NULL,
///     meta_json TEXT
/// );
/// CREATE TABLE events(
///     run_id INTEGER NOT NULL REFERENCES runs(id),
///     seq INTEGER NOT NULL,               -- position in the run, assigned by the server
///     wall_ms INTEGER NOT NULL,           -- Unix time in milliseconds
///     mono_ns INTEGER NOT NULL,           -- monotonic clock in nanoseconds
///     namespace TEXT NOT NULL,
///     name TEXT NOT NULL,
///     payload BLOB NOT NULL,              -- the exact bytes sent
///     detail BLOB,                        -- (version 2) what the payload leaves out, or NULL
///     fault TEXT,                         -- (version 3) the injected fault this row is or carries, or NULL
///     PRIMARY KEY(run_id, seq)
/// ) WITHOUT ROWID;
/// CREATE TABLE faults(                    -- (version 3)
///     id INTEGER PRIMARY KEY,
///     run_id INTEGER NOT NULL REFERENCES runs(id),
///     after_seq INTEGER NOT NULL,         -- the seq of the last event emitted before the fault (0 if none)
///     wall_ms INTEGER NOT NULL,
///     mono_ns INTEGER NOT NULL,
///     kind TEXT NOT NULL,                 -- 'disconnect', 'delay', or 'gap' (a recording's lost connection)
///     spec TEXT NOT NULL                  -- JSON: the fault's parameters and what it did
/// );
/// CREATE INDEX faults_by_run ON faults(run_id, after_seq);
/// PRAGMA application_id = 0x54424C43;    -- "TBLC"
/// PRAGMA user_version = 3;               -- the schema version
/// ```
///
/// The payload is a blob holding the bytes exactly as sent, so the sqlite3 shell shows the JSON with
/// `SELECT CAST(payload AS TEXT) FROM events`.
///
/// Fault injection leaves two kinds of trace. A fault that produces events (a duplicate delivery, say) writes them
/// as ordinary rows of `events` whose `fault` is a JSON object such as `{"kind":"duplicate","of":41}`, naming the
/// injected fault the row is or carries; `fault` is NULL for every ordinary event. A fault that is not an event (a
/// forced disconnect, a delay) is a row of `faults`: they are in order of `id`, and each happened after the event
/// `after_seq` of its run and before the next one.
///
/// `application_id` marks the file as a journal, so tablecast refuses to write into another program's database;
/// `user_version` drives migrations and lets an older tablecast refuse a journal written by a newer one.
public enum JournalSchema {
    /// The schema version this tablecast writes, stored in `PRAGMA user_version`.
    public static let version: Int32 = 3
    /// The SQLite `application_id` of a journal: "TBLC" in ASCII.
    public static let applicationID: Int32 = 0x5442_4C43

    /// What an existing file turned out to be.
    enum Identity: Equatable {
        /// An empty SQLite database (or a new file): no tables, no application id, no version.
        case empty
        /// A journal at a schema version this tablecast can read.
        case journal(version: Int32)
    }

    /// The SQL of each migration, in order: entry `i` takes the schema from version `i` to version `i + 1`.
    static let migrations: [String] = [
        """
        CREATE TABLE runs(
            id INTEGER PRIMARY KEY,
            started_at INTEGER NOT NULL,
            source TEXT NOT NULL,
            scenario TEXT,
            seed INTEGER,
            tablecast_version TEXT NOT NULL,
            meta_json TEXT
        );
        CREATE TABLE events(
            run_id INTEGER NOT NULL REFERENCES runs(id),
            seq INTEGER NOT NULL,
            wall_ms INTEGER NOT NULL,
            mono_ns INTEGER NOT NULL,
            namespace TEXT NOT NULL,
            name TEXT NOT NULL,
            payload BLOB NOT NULL,
            PRIMARY KEY(run_id, seq)
        ) WITHOUT ROWID;
        """,
        // Version 2: what an event's payload leaves out and a complete projection needs (the whole menu item of
        // `menu.created` and `menu.updated`). NULL for every other event and for recorded streams.
        "ALTER TABLE events ADD COLUMN detail BLOB",
        // Version 3: fault injection. Events a fault produced are marked in `fault`; faults that are not events go
        // to their own table, placed in the event stream by `after_seq`.
        """
        ALTER TABLE events ADD COLUMN fault TEXT;
        CREATE TABLE faults(
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            after_seq INTEGER NOT NULL,
            wall_ms INTEGER NOT NULL,
            mono_ns INTEGER NOT NULL,
            kind TEXT NOT NULL,
            spec TEXT NOT NULL
        );
        CREATE INDEX faults_by_run ON faults(run_id, after_seq);
        """,
    ]

    /// Works out what the database behind `connection` is, without writing to it.
    ///
    /// - Parameters:
    ///   - connection: An open connection to the file.
    ///   - path: The file, for error messages.
    /// - Returns: Whether the file is empty or a readable journal.
    /// - Throws: ``JournalError/Code/notAJournal`` for anything that is not a tablecast journal (including files
    ///   that are not SQLite at all), ``JournalError/Code/newerSchema`` for a journal from a newer tablecast, and
    ///   ``JournalError/Code/sqlite`` for other SQLite failures.
    static func identify(_ connection: SQLiteConnection, path: String) throws(JournalError) -> Identity {
        let applicationID: Int32
        let userVersion: Int32
        let objectCount: Int64
        do throws(SQLiteError) {
            let statement = try connection.prepare(
                """
                SELECT (SELECT application_id FROM pragma_application_id()),
                       (SELECT user_version FROM pragma_user_version()),
                       (SELECT count(*) FROM sqlite_master)
                """
            )
            guard try statement.step() else {
                throw SQLiteError.misuse("the identity query returned no row", sql: statement.sql)
            }
            applicationID = Int32(truncatingIfNeeded: statement.int64(at: 0))
            userVersion = Int32(truncatingIfNeeded: statement.int64(at: 1))
            objectCount = statement.int64(at: 2)
        } catch {
            if error.resultCode == SQLITE_NOTADB {
                throw .notAJournal(path: path, reason: "it is not an SQLite database")
            }
            throw .sqlite(error, path: path)
        }

        if applicationID == JournalSchema.applicationID {
            guard userVersion <= JournalSchema.version else {
                throw .newerSchema(path: path, found: userVersion, supported: JournalSchema.version)
            }
            return .journal(version: userVersion)
        }
        if applicationID != 0 {
            throw .notAJournal(
                path: path,
                reason: "its application_id is \(hex(applicationID)), not "
                    + "\(hex(JournalSchema.applicationID)) (\"TBLC\")"
            )
        }
        if objectCount > 0 {
            throw .notAJournal(path: path, reason: "it is an SQLite database with other tables")
        }
        if userVersion != 0 {
            throw .notAJournal(path: path, reason: "it is an SQLite database with user_version \(userVersion)")
        }
        return .empty
    }

    /// Brings a journal (or an empty database) up to ``version``; call inside an immediate transaction.
    ///
    /// - Parameters:
    ///   - connection: The writable connection.
    ///   - current: The schema version found, 0 for an empty database.
    /// - Throws: ``SQLiteError`` if a migration fails.
    static func migrate(_ connection: SQLiteConnection, from current: Int32) throws(SQLiteError) {
        guard current < JournalSchema.version else {
            return
        }
        try connection.execute("PRAGMA application_id = \(JournalSchema.applicationID)")
        for version in Int(current)..<Int(JournalSchema.version) {
            try connection.execute(JournalSchema.migrations[version])
        }
        try connection.execute("PRAGMA user_version = \(JournalSchema.version)")
    }

    private static func hex(_ value: Int32) -> String {
        "0x" + String(UInt32(bitPattern: value), radix: 16, uppercase: true)
    }
}
