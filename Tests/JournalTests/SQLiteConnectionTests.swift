import Journal
import Testing

struct SQLiteConnectionTests {
    @Test func bindsAndReadsEveryType() throws {
        try withTemporaryDirectory { directory in
            let connection = try SQLiteConnection.open(path: directory + "/types.sqlite")
            try connection.execute("CREATE TABLE t(i INTEGER, s TEXT, b BLOB, n)")
            let insert = try connection.prepare("INSERT INTO t VALUES (?, ?, ?, ?)")
            try insert.bind(Int64.min, at: 1)
            try insert.bind("héllo\u{0}wörld", at: 2)
            try insert.bind([0x00, 0xFF, 0x7F], at: 3)
            try insert.bindNull(at: 4)
            #expect(try insert.step() == false)
            try insert.reset()
            try insert.bind("", at: 2)
            try insert.bind([UInt8](), at: 3)
            try insert.step()

            let select = try connection.prepare("SELECT i, s, b, n, typeof(s), typeof(b) FROM t ORDER BY rowid")
            #expect(try select.step())
            #expect(select.int64(at: 0) == Int64.min)
            #expect(select.string(at: 1) == "héllo\u{0}wörld")
            #expect(select.blob(at: 2) == [0x00, 0xFF, 0x7F])
            #expect(select.isNull(at: 3))
            #expect(try select.step())
            #expect(select.string(at: 1) == "")
            #expect(select.blob(at: 2) == [])
            #expect(select.string(at: 4) == "text")
            #expect(select.string(at: 5) == "blob")
            #expect(try select.step() == false)
        }
    }

    @Test func errorsKeepTheExtendedCodeMessageAndSQL() throws {
        try withTemporaryDirectory { directory in
            let connection = try SQLiteConnection.open(path: directory + "/errors.sqlite")
            try connection.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
            let error = #expect(throws: SQLiteError.self) {
                try connection.execute("INSERT INTO t(id) VALUES (1)")
            }
            #expect(error?.resultCode == SQLiteCode.constraint)
            #expect(error?.extendedResultCode == SQLiteCode.constraintNotNull)
            #expect(error?.message.contains("NOT NULL constraint failed: t.v") == true)
            #expect(error?.sql == "INSERT INTO t(id) VALUES (1)")
            #expect(error?.description.contains("INSERT INTO t(id) VALUES (1)") == true)

            let syntax = #expect(throws: SQLiteError.self) {
                _ = try connection.prepare("SELEC 1")
            }
            #expect(syntax?.resultCode == SQLiteCode.error)
            #expect(syntax?.sql == "SELEC 1")

            let several = #expect(throws: SQLiteError.self) {
                _ = try connection.prepare("SELECT 1; SELECT 2")
            }
            #expect(several?.resultCode == SQLiteCode.misuse)
        }
    }

    @Test func transactionCommitsOrRollsBack() throws {
        struct Abort: Error {}
        try withTemporaryDirectory { directory in
            let connection = try SQLiteConnection.open(path: directory + "/tx.sqlite")
            try connection.execute("CREATE TABLE t(v INTEGER)")
            try connection.inTransaction {
                try connection.execute("INSERT INTO t VALUES (1)")
            }
            #expect(connection.lastInsertRowID == 1)
            #expect(throws: Abort.self) {
                try connection.inTransaction(.immediate) {
                    try connection.execute("INSERT INTO t VALUES (2)")
                    throw Abort()
                }
            }
            #expect(connection.isAutocommit)
            let count = try connection.prepare("SELECT count(*), max(v) FROM t")
            #expect(try count.step())
            #expect(count.int64(at: 0) == 1)
            #expect(count.int64(at: 1) == 1)
        }
    }

    @Test func closeRefusesWhileStatementsAreAlive() throws {
        try withTemporaryDirectory { directory in
            let connection = try SQLiteConnection.open(path: directory + "/close.sqlite")
            var statement: SQLiteStatement? = try connection.prepare("SELECT 1")
            let error = #expect(throws: SQLiteError.self) { try connection.close() }
            #expect(error?.resultCode == SQLiteCode.busy)
            #expect(try statement?.step() == true)
            statement = nil
            try connection.close()
            try connection.close()
        }
    }

    @Test func readOnlyConnectionNeverCreatesTheFile() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/missing.sqlite"
            let error = #expect(throws: SQLiteError.self) {
                _ = try SQLiteConnection(path: path, readOnly: true)
            }
            #expect(error?.resultCode == SQLiteCode.cantOpen)
            #expect(!fileExists(path))
        }
    }
}
