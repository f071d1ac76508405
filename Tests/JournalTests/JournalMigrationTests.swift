import Foundation
import Journal
import Testing

struct JournalMigrationTests {
    @Test func aVersionOneJournalIsMigratedAndKeepsItsEvents() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/v1.sqlite"
            try createOldJournal(path: path, version: 1)
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
            #expect(old[0].fault == nil)
            let new = try reader.events(runID: writer.runID)
            #expect(new == [event])
            #expect(try userVersion(path) == Int64(JournalSchema.version))
        }
    }

    @Test func aVersionOneJournalIsReadableWithoutMigrating() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/v1.sqlite"
            try createOldJournal(path: path, version: 1)
            let before = fileBytes(path)

            let reader = try JournalReader(path: path)
            #expect(reader.schemaVersion == 1)
            let events = try reader.events(runID: 1)
            #expect(events.map(\.seq) == [1])
            #expect(events[0].detail == nil)
            #expect(events[0].fault == nil)
            #expect(try reader.faults(runID: 1).isEmpty)
            #expect(fileBytes(path) == before)
            #expect(try userVersion(path) == 1)
        }
    }

    @Test func aVersionTwoJournalIsReadableWithoutMigrating() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/v2.sqlite"
            try createOldJournal(path: path, version: 2)
            let before = fileBytes(path)

            let reader = try JournalReader(path: path)
            #expect(reader.schemaVersion == 2)
            let events = try reader.events(runID: 1)
            #expect(events.count == 1)
            #expect(events[0].payload == Array(#"{"id":1}"#.utf8))
            #expect(events[0].detail == Array(#"{"id":1,"name":"Soup"}"#.utf8))
            #expect(events[0].fault == nil)
            var visited: [JournalEvent] = []
            try reader.forEachEvent(runID: 1) { visited.append($0) }
            #expect(visited == events)
            #expect(try reader.faults(runID: 1).isEmpty)
            #expect(fileBytes(path) == before)
            #expect(try userVersion(path) == 2)
        }
    }

    @Test func aVersionTwoJournalIsMigratedToVersionThreeAndKeepsItsEvents() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/v2.sqlite"
            try createOldJournal(path: path, version: 2)
            let writer = try JournalWriter(path: path, run: testRun())
            let duplicate = JournalEvent(
                seq: 2, monoNanos: 20, wallMillis: 1_700_000_000_002, namespace: "/events", name: "menu.updated",
                payload: Array(#"{"id":1}"#.utf8), fault: #"{"kind":"duplicate","of":1}"#
            )
            let disconnect = JournalFault(
                afterSeq: 2, monoNanos: 25, wallMillis: 1_700_000_000_002, kind: "disconnect",
                spec: #"{"namespace":"/events","clients":3}"#
            )
            try writer.append(contentsOf: [testEvent(1), duplicate])
            try writer.append(fault: disconnect)
            try writer.close()

            #expect(try userVersion(path) == 3)
            let reader = try JournalReader(path: path)
            #expect(reader.schemaVersion == 3)
            let old = try reader.events(runID: 1)
            #expect(old.count == 1)
            #expect(old[0].payload == Array(#"{"id":1}"#.utf8))
            #expect(old[0].detail == Array(#"{"id":1,"name":"Soup"}"#.utf8))
            #expect(old[0].fault == nil)
            #expect(try reader.faults(runID: 1).isEmpty)
            #expect(try reader.events(runID: writer.runID) == [testEvent(1), duplicate])
            #expect(try reader.faults(runID: writer.runID) == [disconnect])
        }
    }

    @Test func aNewJournalIsAtVersionThree() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/journal.sqlite"
            try JournalWriter(path: path, run: testRun()).close()
            #expect(JournalSchema.version == 3)
            #expect(try userVersion(path) == 3)
            #expect(try JournalReader(path: path).schemaVersion == 3)

            let connection = try SQLiteConnection(path: path, readOnly: true)
            let statement = try connection.prepare(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%' "
                    + "ORDER BY name"
            )
            var names: [String] = []
            while try statement.step() {
                names.append(statement.string(at: 0))
            }
            #expect(names == ["events", "faults", "faults_by_run", "runs"])
        }
    }
}

/// Writes a journal as an older tablecast did, at schema `version` 1 (no `detail`) or 2 (no `fault`, no `faults`),
/// with one run (id 1) and one event (seq 1; its detail is set at version 2).
private func createOldJournal(path: String, version: Int) throws {
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
    if version >= 2 {
        try connection.execute("ALTER TABLE events ADD COLUMN detail BLOB")
        try connection.execute(
            "UPDATE events SET detail = CAST('{\"id\":1,\"name\":\"Soup\"}' AS BLOB) WHERE run_id = 1 AND seq = 1"
        )
    }
    try connection.execute("PRAGMA user_version = \(version)")
    try connection.close()
}

/// The file's `PRAGMA user_version`.
private func userVersion(_ path: String) throws -> Int64 {
    let connection = try SQLiteConnection(path: path, readOnly: true)
    let statement = try connection.prepare("PRAGMA user_version")
    guard try statement.step() else {
        return -1
    }
    return statement.int64(at: 0)
}
