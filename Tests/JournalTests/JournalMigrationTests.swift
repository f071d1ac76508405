import Foundation
import Journal
import Testing

struct JournalMigrationTests {
    @Test func aVersionOneJournalIsMigratedAndKeepsItsEvents() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/v1.sqlite"
            // A journal as tablecast 0.1 wrote it: schema version 1, no detail column.
            do {
                let connection = try SQLiteConnection(path: path)
                try connection.execute("PRAGMA application_id = \(JournalSchema.applicationID)")
                try connection.execute(
                    """
                    CREATE TABLE runs(id INTEGER PRIMARY KEY, started_at INTEGER NOT NULL, source TEXT NOT NULL,
                        scenario TEXT, seed INTEGER, tablecast_version TEXT NOT NULL, meta_json TEXT)
                    """
                )
                try connection.execute(
                    """
                    CREATE TABLE events(run_id INTEGER NOT NULL REFERENCES runs(id), seq INTEGER NOT NULL,
                        wall_ms INTEGER NOT NULL, mono_ns INTEGER NOT NULL, namespace TEXT NOT NULL,
                        name TEXT NOT NULL, payload BLOB NOT NULL, PRIMARY KEY(run_id, seq)) WITHOUT ROWID
                    """
                )
                try connection.execute("INSERT INTO runs VALUES (1, 1700000000000, 'serve', NULL, NULL, '0.1.0', NULL)")
                try connection.execute(
                    "INSERT INTO events VALUES (1, 1, 1700000000001, 5, '/events', 'menu.updated', X'7B226964223A317D')"
                )
                try connection.execute("PRAGMA user_version = 1")
                try connection.close()
            }
            let writer = try JournalWriter(path: path, run: testRun())
            var event = testEvent(1, namespace: "/events", name: "menu.created")
            event.detail = Array(#"{"id":2,"name":"Tiramisu","category":"Desserts","price":650}"#.utf8)
            try writer.append(event)
            try writer.close()

            let reader = try JournalReader(path: path)
            let old = try reader.events(runID: 1)
            #expect(old.count == 1)
            #expect(old[0].payload == Array(#"{"id":1}"#.utf8))
            #expect(old[0].detail == nil)
            let new = try reader.events(runID: writer.runID)
            #expect(new == [event])
            let version = try SQLiteConnection(path: path, readOnly: true).prepare("PRAGMA user_version")
            #expect(try version.step())
            #expect(version.int64(at: 0) == Int64(JournalSchema.version))
        }
    }
}
