import Journal
import Testing

struct JournalRoundTripTests {
    @Test func eventsRoundTripWithExactPayloadBytes() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/journal.sqlite"
            let events = [
                JournalEvent(
                    seq: 1, monoNanos: 10, wallMillis: 100, namespace: "/", name: "hello",
                    payload: Array(#"{"text":"héllo wörld 漢字 🎲"}"#.utf8)
                ),
                JournalEvent(seq: 2, monoNanos: 20, wallMillis: 200, namespace: "/table", name: "bytes",
                             payload: [0x00, 0xFF, 0x00, 0x7B, 0xFE, 0xFF]),
                JournalEvent(seq: 3, monoNanos: 30, wallMillis: 300, namespace: "/tâble", name: "ünïcode",
                             payload: []),
                JournalEvent(seq: 4, monoNanos: .max, wallMillis: .min, namespace: "", name: "", payload: [0x00]),
            ]
            let writer = try JournalWriter(path: path, run: testRun())
            try writer.append(contentsOf: events)
            try writer.close()

            let reader = try JournalReader(path: path)
            #expect(try reader.events(runID: writer.runID) == events)
            #expect(try reader.count(runID: writer.runID) == 4)
        }
    }

    @Test func payloadIsStoredAsBlobAndCastsToTheJSON() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/journal.sqlite"
            let json = #"{"émoji":"🎲"}"#
            let writer = try JournalWriter(path: path, run: testRun())
            try writer.append(JournalEvent(seq: 1, monoNanos: 0, wallMillis: 0, namespace: "/", name: "e",
                                           payload: Array(json.utf8)))
            try writer.close()

            let connection = try SQLiteConnection(path: path, readOnly: true)
            let statement = try connection.prepare("SELECT typeof(payload), CAST(payload AS TEXT) FROM events")
            #expect(try statement.step())
            #expect(statement.string(at: 0) == "blob")
            #expect(statement.string(at: 1) == json)
        }
    }

    @Test func runRowsRoundTrip() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/journal.sqlite"
            let full = RunDescriptor(
                source: "serve",
                scenario: "poker-night",
                seed: -42,
                tablecastVersion: "1.2.3",
                metaJSON: #"{"players":4}"#,
                startedAtMillis: 1_712_345_678_901
            )
            let first = try JournalWriter(path: path, run: full)
            try first.close()
            let second = try JournalWriter(path: path, run: testRun(source: "replay"))
            try second.close()

            let reader = try JournalReader(path: path)
            let runs = try reader.runs()
            #expect(runs == [
                JournalRun(
                    id: first.runID, startedAtMillis: 1_712_345_678_901, source: "serve", scenario: "poker-night",
                    seed: -42, tablecastVersion: "1.2.3", metaJSON: #"{"players":4}"#
                ),
                JournalRun(
                    id: second.runID, startedAtMillis: 1_700_000_000_000, source: "replay", scenario: nil,
                    seed: nil, tablecastVersion: "0.0.0-test", metaJSON: nil
                ),
            ])
            #expect(try reader.run(id: first.runID) == runs.first)
            #expect(try reader.run(id: 999) == nil)
            #expect(try reader.latestRunID() == second.runID)
        }
    }

    @Test func reopeningAnExistingJournalAppendsANewRun() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/journal.sqlite"
            let first = try JournalWriter(path: path, run: testRun(source: "first"))
            try first.append(contentsOf: (1...3).map { testEvent($0) })
            try first.close()

            // The same sequence numbers are fine in another run.
            let second = try JournalWriter(path: path, run: testRun(source: "second"))
            try second.append(contentsOf: (1...5).map { testEvent($0, name: "again") })
            try second.close()

            #expect(second.runID != first.runID)
            let reader = try JournalReader(path: path)
            #expect(try reader.runs().map(\.source) == ["first", "second"])
            #expect(try reader.events(runID: first.runID) == (1...3).map { testEvent($0) })
            #expect(try reader.events(runID: second.runID) == (1...5).map { testEvent($0, name: "again") })
        }
    }

    @Test func readerPagesAndIterates() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/journal.sqlite"
            let writer = try JournalWriter(path: path, run: testRun())
            try writer.append(contentsOf: (1...10).map { testEvent($0) })
            try writer.close()

            let reader = try JournalReader(path: path)
            #expect(try reader.events(runID: writer.runID, fromSeq: 4, limit: 3).map(\.seq) == [4, 5, 6])
            #expect(try reader.events(runID: writer.runID, fromSeq: 9).map(\.seq) == [9, 10])
            #expect(try reader.events(runID: writer.runID + 1).isEmpty)
            var seen: [Int64] = []
            try reader.forEachEvent(runID: writer.runID, fromSeq: 7) { seen.append($0.seq) }
            #expect(seen == [7, 8, 9, 10])
        }
    }

    @Test func emptyJournalHasNoLatestRunEvents() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/journal.sqlite"
            let writer = try JournalWriter(path: path, run: testRun())
            try writer.close()
            let reader = try JournalReader(path: path)
            #expect(try reader.latestRunID() == writer.runID)
            #expect(try reader.count(runID: writer.runID) == 0)
        }
    }
}
