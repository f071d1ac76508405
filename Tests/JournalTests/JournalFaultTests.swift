import Journal
import Testing

struct JournalFaultTests {
    @Test func faultColumnRoundTrips() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/journal.sqlite"
            let ordinary = testEvent(41)
            var duplicate = testEvent(42)
            duplicate.payload = ordinary.payload
            duplicate.fault = #"{"kind":"duplicate","of":41}"#
            let unicode = JournalEvent(
                seq: 43, monoNanos: 43, wallMillis: 43, namespace: "/", name: "e", payload: [],
                detail: [0x00], fault: #"{"kind":"delay","note":"ünïcode 🎲"}"#
            )
            let writer = try JournalWriter(path: path, run: testRun())
            try writer.append(contentsOf: [ordinary, duplicate, unicode])
            try writer.close()

            let reader = try JournalReader(path: path)
            let events = try reader.events(runID: writer.runID)
            #expect(events == [ordinary, duplicate, unicode])
            #expect(events.map(\.fault) == [nil, #"{"kind":"duplicate","of":41}"#, unicode.fault])

            // Stored as TEXT (the JSON is readable in the sqlite3 shell) or NULL.
            let connection = try SQLiteConnection(path: path, readOnly: true)
            let statement = try connection.prepare("SELECT typeof(fault) FROM events ORDER BY seq")
            var types: [String] = []
            while try statement.step() {
                types.append(statement.string(at: 0))
            }
            #expect(types == ["null", "text", "text"])
        }
    }

    @Test func faultsRoundTripInTheOrderAppended() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/journal.sqlite"
            let faults = [
                JournalFault(afterSeq: 0, monoNanos: 5, wallMillis: 1_700_000_000_000, kind: "delay",
                             spec: #"{"millis":250}"#),
                JournalFault(afterSeq: 3, monoNanos: 3_500, wallMillis: 1_700_000_000_003, kind: "disconnect",
                             spec: #"{"namespace":"/table","clients":2}"#),
                // Two faults between the same events keep their order.
                JournalFault(afterSeq: 3, monoNanos: 3_600, wallMillis: 1_700_000_000_003, kind: "delay",
                             spec: #"{"millis":10,"note":"ünïcode 🎲"}"#),
                JournalFault(afterSeq: 5, monoNanos: .max, wallMillis: .min, kind: "", spec: "{}"),
            ]
            let writer = try JournalWriter(path: path, run: testRun(), batchSize: 2)
            try writer.append(fault: faults[0])
            try writer.append(contentsOf: (1...3).map { testEvent($0) })
            try writer.append(fault: faults[1])
            try writer.append(fault: faults[2])
            try writer.append(contentsOf: (4...5).map { testEvent($0) })
            try writer.append(fault: faults[3])
            try writer.close()

            // Another run's faults stay apart.
            let other = try JournalWriter(path: path, run: testRun(source: "other"))
            try other.append(fault: JournalFault(afterSeq: 1, monoNanos: 1, wallMillis: 1, kind: "delay", spec: "{}"))
            try other.close()

            let statistics = writer.statistics
            #expect(statistics.appendedFaults == 4)
            #expect(statistics.committedFaults == 4)
            #expect(statistics.lostFaults == 0)
            #expect(statistics.faultBacklog == 0)
            #expect(statistics.committed == 5)

            let reader = try JournalReader(path: path)
            #expect(try reader.faults(runID: writer.runID) == faults)
            #expect(try reader.faults(runID: other.runID).map(\.kind) == ["delay"])
            #expect(try reader.faults(runID: other.runID + 1).isEmpty)
            #expect(try reader.events(runID: writer.runID) == (1...5).map { testEvent($0) })
            // Faults are not events.
            #expect(try reader.count(runID: other.runID) == 0)
        }
    }

    @Test func flushCommitsFaultsAppendedBeforeIt() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/journal.sqlite"
            let writer = try JournalWriter(path: path, run: testRun(), batchSize: 7)
            let reader = try JournalReader(path: path)

            // Faults alone, with no events to carry them.
            let first = JournalFault(afterSeq: 0, monoNanos: 1, wallMillis: 1, kind: "delay", spec: #"{"millis":1}"#)
            try writer.append(fault: first)
            try writer.flush()
            #expect(try reader.faults(runID: writer.runID) == [first])
            #expect(writer.statistics.committedFaults == 1)
            #expect(writer.statistics.faultBacklog == 0)
            #expect(writer.statistics.lastCommittedSeq == nil)

            // Events and faults together, the events over several transactions.
            var expected = [first]
            for round in 0..<5 {
                let firstSeq = Int64(round * 20 + 1)
                try writer.append(contentsOf: (firstSeq..<firstSeq + 10).map { testEvent($0) })
                let fault = JournalFault(
                    afterSeq: firstSeq + 9, monoNanos: firstSeq, wallMillis: firstSeq, kind: "disconnect",
                    spec: #"{"round":\#(round)}"#
                )
                try writer.append(fault: fault)
                expected.append(fault)
                try writer.append(contentsOf: (firstSeq + 10..<firstSeq + 20).map { testEvent($0) })
                try writer.flush()

                let statistics = writer.statistics
                #expect(statistics.committed == (round + 1) * 20)
                #expect(statistics.backlog == 0)
                #expect(statistics.committedFaults == round + 2)
                #expect(statistics.faultBacklog == 0)
                #expect(try reader.faults(runID: writer.runID) == expected)
                #expect(try reader.count(runID: writer.runID) == (round + 1) * 20)
            }
            try writer.close()
            #expect(try reader.faults(runID: writer.runID) == expected)
        }
    }

    @Test func closeCommitsPendingFaults() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/journal.sqlite"
            let writer = try JournalWriter(path: path, run: testRun())
            let faults = (1...100).map {
                JournalFault(afterSeq: Int64($0), monoNanos: Int64($0), wallMillis: 0, kind: "delay", spec: "{}")
            }
            for (index, fault) in faults.enumerated() {
                try writer.append(testEvent(Int64(index + 1)))
                try writer.append(fault: fault)
            }
            try writer.close()

            let closedError = #expect(throws: JournalError.self) { try writer.append(fault: faults[0]) }
            #expect(closedError?.code == .closed)
            #expect(writer.statistics.appendedFaults == 100)
            #expect(writer.statistics.committedFaults == 100)
            let reader = try JournalReader(path: path)
            #expect(try reader.faults(runID: writer.runID) == faults)
            #expect(try reader.count(runID: writer.runID) == 100)
        }
    }

    @Test func aFailureAccountsForEveryFault() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/journal.sqlite"
            let writer = try JournalWriter(path: path, run: testRun())
            let fault = JournalFault(afterSeq: 4, monoNanos: 0, wallMillis: 0, kind: "disconnect", spec: "{}")
            try writer.append(contentsOf: [testEvent(1), testEvent(2)])
            try writer.flush()
            // The duplicate seq fails its transaction. Whether the fault rides in it (and is lost), is written on its
            // own (and committed), or arrives after the failure (and is refused) depends on the thread's timing;
            // either way it is counted exactly once.
            try writer.append(contentsOf: [testEvent(3), testEvent(4), testEvent(3)])
            var accepted = true
            do throws(JournalError) {
                try writer.append(fault: fault)
            } catch {
                accepted = false
                #expect(error.code == .sqlite)
            }

            let error = #expect(throws: JournalError.self) { try writer.flush() }
            #expect(error?.code == .sqlite)
            let laterError = #expect(throws: JournalError.self) { try writer.append(fault: fault) }
            #expect(laterError == error)

            let statistics = writer.statistics
            #expect(statistics.lost == 3)
            #expect(statistics.backlog == 0)
            #expect(statistics.faultBacklog == 0)
            #expect(statistics.appendedFaults == (accepted ? 1 : 0))
            #expect(statistics.committedFaults + statistics.lostFaults == statistics.appendedFaults)
            let closeError = #expect(throws: JournalError.self) { try writer.close() }
            #expect(closeError == error)

            let reader = try JournalReader(path: path)
            #expect(try reader.events(runID: writer.runID).map(\.seq) == [1, 2])
            #expect(try reader.faults(runID: writer.runID).count == statistics.committedFaults)
        }
    }
}
