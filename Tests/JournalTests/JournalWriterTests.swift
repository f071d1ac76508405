import Dispatch
import Journal
import Testing

struct JournalWriterTests {
    @Test func manyBatchesAreAllCommittedAfterClose() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/journal.sqlite"
            let writer = try JournalWriter(path: path, run: testRun(), batchSize: 1000)
            let total = 50_000
            // Mix single appends and bulk appends so batches of every size reach the thread.
            for seq in 1...total / 2 {
                try writer.append(testEvent(Int64(seq)))
            }
            for chunk in stride(from: total / 2 + 1, through: total, by: 777) {
                let end = min(chunk + 776, total)
                try writer.append(contentsOf: (chunk...end).map { testEvent(Int64($0)) })
            }
            try writer.close()

            let statistics = writer.statistics
            #expect(statistics.appended == total)
            #expect(statistics.committed == total)
            #expect(statistics.lost == 0)
            #expect(statistics.backlog == 0)
            #expect(statistics.lastCommittedSeq == Int64(total))
            #expect(statistics.failure == nil)

            try expectJournalHoldsTestEvents(path: path, runID: writer.runID, total: total)
        }
    }

    @Test func concurrentAppendersAreAllCommitted() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/journal.sqlite"
            let writer = try JournalWriter(path: path, run: testRun(), batchSize: 250)
            let threads = 4
            let perThread = 5_000
            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                for index in 0..<perThread {
                    // Each thread owns a residue class of seq, so no two threads collide.
                    let seq = Int64(index * threads + thread + 1)
                    #expect(throws: Never.self) { try writer.append(testEvent(seq)) }
                }
            }
            try writer.close()

            #expect(writer.statistics.committed == threads * perThread)
            let reader = try JournalReader(path: path)
            let seqs = try reader.events(runID: writer.runID).map(\.seq)
            #expect(seqs == Array(1...Int64(threads * perThread)))
        }
    }

    @Test func flushCommitsEverythingAppendedBefore() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/journal.sqlite"
            let writer = try JournalWriter(path: path, run: testRun(), batchSize: 7)
            let reader = try JournalReader(path: path)
            for round in 0..<5 {
                let first = Int64(round * 20 + 1)
                try writer.append(contentsOf: (first..<first + 20).map { testEvent($0) })
                try writer.flush()
                let statistics = writer.statistics
                #expect(statistics.committed == (round + 1) * 20)
                #expect(statistics.backlog == 0)
                #expect(statistics.lastCommittedSeq == first + 19)
                #expect(try reader.count(runID: writer.runID) == (round + 1) * 20)
            }
            // Flushing with nothing pending returns at once.
            try writer.flush()
            try writer.close()
        }
    }

    @Test func closeIsIdempotentAndLaterCallsThrowClosed() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/journal.sqlite"
            let writer = try JournalWriter(path: path, run: testRun())
            try writer.append(testEvent(1))
            try writer.close()
            try writer.close()

            let appendError = #expect(throws: JournalError.self) { try writer.append(testEvent(2)) }
            #expect(appendError?.code == .closed)
            #expect(appendError?.description.contains(path) == true)
            let bulkError = #expect(throws: JournalError.self) { try writer.append(contentsOf: [testEvent(3)]) }
            #expect(bulkError?.code == .closed)
            let flushError = #expect(throws: JournalError.self) { try writer.flush() }
            #expect(flushError?.code == .closed)
            #expect(writer.statistics.appended == 1)
            #expect(writer.statistics.committed == 1)
        }
    }

    @Test func sqliteFailureIsSurfacedAndSticks() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/journal.sqlite"
            let writer = try JournalWriter(path: path, run: testRun())
            try writer.append(contentsOf: [testEvent(1), testEvent(2)])
            try writer.flush()
            // One bulk append lands in one transaction: the duplicate fails it, and all three are lost.
            try writer.append(contentsOf: [testEvent(3), testEvent(4), testEvent(3)])

            let error = #expect(throws: JournalError.self) { try writer.flush() }
            #expect(error?.code == .sqlite)
            #expect(error?.path == path)
            #expect(error?.sqliteError?.extendedResultCode == SQLiteCode.constraintPrimaryKey)
            #expect(error?.sqliteError?.message.contains("UNIQUE constraint failed: events.run_id, events.seq") == true)
            #expect(error?.sqliteError?.sql?.contains("INSERT INTO events") == true)
            #expect(error?.description.contains("UNIQUE constraint failed") == true)
            #expect(error?.description.contains(path) == true)

            let appendError = #expect(throws: JournalError.self) { try writer.append(testEvent(5)) }
            #expect(appendError == error)
            let closeError = #expect(throws: JournalError.self) { try writer.close() }
            #expect(closeError == error)
            let againError = #expect(throws: JournalError.self) { try writer.close() }
            #expect(againError == error)

            let statistics = writer.statistics
            #expect(statistics.appended == 5)
            #expect(statistics.committed == 2)
            #expect(statistics.lost == 3)
            #expect(statistics.backlog == 0)
            #expect(statistics.failure == error)

            let reader = try JournalReader(path: path)
            #expect(try reader.events(runID: writer.runID).map(\.seq) == [1, 2])
        }
    }

    @Test func readerSeesCommittedRowsWhileTheWriterRuns() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/journal.sqlite"
            let writer = try JournalWriter(path: path, run: testRun(), batchSize: 100)
            try writer.append(contentsOf: (1...250).map { testEvent($0) })
            try writer.flush()

            let reader = try JournalReader(path: path)
            #expect(try reader.latestRunID() == writer.runID)
            #expect(try reader.count(runID: writer.runID) == 250)

            // A query in progress keeps its snapshot while the writer commits more.
            var seenWhileWriting: [Int64] = []
            try reader.forEachEvent(runID: writer.runID) { event in
                if event.seq == 1 {
                    try writer.append(contentsOf: (251...500).map { testEvent($0) })
                    try writer.flush()
                }
                seenWhileWriting.append(event.seq)
            }
            #expect(seenWhileWriting == Array(1...250))
            #expect(try reader.count(runID: writer.runID) == 500)
            #expect(try reader.events(runID: writer.runID, fromSeq: 499) == [testEvent(499), testEvent(500)])
            try writer.close()
            #expect(try reader.count(runID: writer.runID) == 500)
        }
    }
}
