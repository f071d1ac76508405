import Foundation
import Journal
import Testing

struct JournalIdentityTests {
    @Test func nonJournalDatabaseIsRefusedAndLeftUntouched() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/other.sqlite"
            let other = try SQLiteConnection(path: path)
            try other.execute("CREATE TABLE recipes(name TEXT); INSERT INTO recipes VALUES ('bread');")
            try other.close()
            let before = fileBytes(path)

            let writerError = #expect(throws: JournalError.self) {
                _ = try JournalWriter(path: path, run: testRun())
            }
            #expect(writerError?.code == .notAJournal)
            #expect(writerError?.path == path)
            #expect(writerError?.description.contains(path) == true)
            #expect(writerError?.description.contains("not a tablecast journal") == true)

            let readerError = #expect(throws: JournalError.self) { _ = try JournalReader(path: path) }
            #expect(readerError?.code == .notAJournal)

            #expect(fileBytes(path) == before)
            #expect(!fileExists(path + "-wal"))
            #expect(!fileExists(path + "-journal"))
        }
    }

    @Test func newerSchemaIsRefused() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/journal.sqlite"
            try JournalWriter(path: path, run: testRun()).close()
            let connection = try SQLiteConnection(path: path)
            try connection.execute("PRAGMA user_version = 99")
            try connection.close()
            let before = fileBytes(path)

            let writerError = #expect(throws: JournalError.self) {
                _ = try JournalWriter(path: path, run: testRun())
            }
            #expect(writerError?.code == .newerSchema)
            #expect(writerError?.description.contains("99") == true)
            #expect(writerError?.description.contains(path) == true)

            let readerError = #expect(throws: JournalError.self) { _ = try JournalReader(path: path) }
            #expect(readerError?.code == .newerSchema)
            #expect(fileBytes(path) == before)
        }
    }

    @Test func garbageFileGivesAClearError() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/garbage.sqlite"
            var generator = SystemRandomNumberGenerator()
            let garbage = (0..<8192).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            try Data(garbage).write(to: URL(fileURLWithPath: path))

            let writerError = #expect(throws: JournalError.self) {
                _ = try JournalWriter(path: path, run: testRun())
            }
            #expect(writerError?.code == .notAJournal)
            #expect(writerError?.description == "'\(path)' is not a tablecast journal: it is not an SQLite database")

            let readerError = #expect(throws: JournalError.self) { _ = try JournalReader(path: path) }
            #expect(readerError?.code == .notAJournal)
            #expect(fileBytes(path) == Data(garbage))
        }
    }

    @Test func missingFileIsAClearErrorForTheReaderAndIsNotCreated() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/missing.sqlite"
            let error = #expect(throws: JournalError.self) { _ = try JournalReader(path: path) }
            #expect(error?.code == .fileNotFound)
            #expect(error?.description == "'\(path)' does not exist: there is no journal to read")
            #expect(!fileExists(path))
        }
    }

    @Test func emptyDatabaseIsNotAJournalForTheReaderButBecomesOneForTheWriter() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/empty.sqlite"
            try Data().write(to: URL(fileURLWithPath: path))
            let readerError = #expect(throws: JournalError.self) { _ = try JournalReader(path: path) }
            #expect(readerError?.code == .notAJournal)

            let writer = try JournalWriter(path: path, run: testRun())
            try writer.close()
            let connection = try SQLiteConnection(path: path, readOnly: true)
            let statement = try connection.prepare("SELECT application_id, user_version, journal_mode "
                + "FROM pragma_application_id(), pragma_user_version(), pragma_journal_mode()")
            #expect(try statement.step())
            #expect(statement.int64(at: 0) == Int64(JournalSchema.applicationID))
            #expect(statement.int64(at: 1) == Int64(JournalSchema.version))
            #expect(statement.string(at: 2) == "wal")
        }
    }

    @Test func writerCreatesAMissingFile() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/new.sqlite"
            let writer = try JournalWriter(path: path, run: testRun())
            try writer.close()
            #expect(fileExists(path))
            #expect(try JournalReader(path: path).runs().count == 1)
        }
    }
}
