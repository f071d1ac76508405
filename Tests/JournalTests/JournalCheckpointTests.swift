import Foundation
import Journal
import Testing

struct JournalCheckpointTests {
    /// The size of a file in bytes, 0 if it does not exist.
    private func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    @Test func everyEventIsCommittedWithFrequentCheckpoints() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/journal.sqlite"
            let writer = try JournalWriter(path: path, run: testRun(), batchSize: 1000, checkpointRows: 500)
            #expect(writer.checkpointRows == 500)
            let total = 60_000
            for chunk in stride(from: 1, through: total, by: 1_500) {
                try writer.append(contentsOf: (chunk..<chunk + 1_500).map { testEvent(Int64($0)) })
            }
            try writer.flush()
            #expect(writer.statistics.committed == total)
            try writer.close()

            let statistics = writer.statistics
            #expect(statistics.committed == total)
            #expect(statistics.lost == 0)
            #expect(statistics.failure == nil)

            try expectJournalHoldsTestEvents(path: path, runID: writer.runID, total: total)
        }
    }

    @Test func walStaysBoundedWhileTheWriterNeverIdles() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/journal.sqlite"
            let writer = try JournalWriter(path: path, run: testRun(), batchSize: 1000, checkpointRows: 500)
            // Everything is appended up front, so the writer commits back to back and never idles: the WAL can only
            // restart because the writer checkpoints after each pass. Without that it would grow with every frame
            // of the run, about 20 MB here.
            let total = 400_000
            for chunk in stride(from: 1, through: total, by: 10_000) {
                try writer.append(contentsOf: (chunk..<chunk + 10_000).map { testEvent(Int64($0)) })
            }
            var largestWAL = 0
            while writer.statistics.committed < total && writer.statistics.failure == nil {
                largestWAL = max(largestWAL, fileSize(path + "-wal"))
                Thread.sleep(forTimeInterval: 0.002)
            }
            try writer.flush()
            largestWAL = max(largestWAL, fileSize(path + "-wal"))
            let databaseSize = fileSize(path)
            try writer.close()

            #expect(writer.statistics.committed == total)
            // Well under 1 MB on a quiet machine, a few MB with passes slowed by a busy disk (the frames committed
            // while one pass runs); 10 MB is half of what the run writes.
            #expect(largestWAL > 0)
            #expect(largestWAL <= 10 * 1024 * 1024, "WAL grew to \(largestWAL) bytes; database \(databaseSize) bytes")
            #expect(try JournalReader(path: path).count(runID: writer.runID) == total)
        }
    }

    @Test func closeCheckpointsEverythingAndRemovesTheWAL() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/journal.sqlite"
            let writer = try JournalWriter(path: path, run: testRun(), batchSize: 250, checkpointRows: 100)
            let total = 10_000
            for seq in 1...total {
                try writer.append(testEvent(Int64(seq)))
            }
            try writer.close()

            #expect(!fileExists(path + "-wal") || fileSize(path + "-wal") == 0)
            let reader = try JournalReader(path: path)
            #expect(try reader.count(runID: writer.runID) == total)
            #expect(try reader.events(runID: writer.runID).map(\.seq) == Array(1...Int64(total)))
        }
    }

    @Test func writerReleasedWithoutCloseStillReleasesTheFile() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/journal.sqlite"
            var runID: Int64 = 0
            do {
                let writer = try JournalWriter(path: path, run: testRun(), checkpointRows: 100)
                runID = writer.runID
                try writer.append(contentsOf: (1...5_000).map { testEvent($0) })
                try writer.flush()
            }
            // Both threads close their connections on their own; the last close removes the WAL.
            let deadline = ContinuousClock.now + .seconds(10)
            while fileExists(path + "-wal") && ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: 0.01)
            }
            #expect(!fileExists(path + "-wal"))
            #expect(try JournalReader(path: path).count(runID: runID) == 5_000)
        }
    }
}
