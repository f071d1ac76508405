import Journal
import Testing

@Suite struct JournalTimelineTests {
    /// Events at wall times 990, 1000, 1500, 1999, 2000 and 4100 ms, the second of each pair named "b", one faulted.
    private func journal(_ directory: String) throws -> (path: String, runID: Int64) {
        let path = directory + "/journal.sqlite"
        let writer = try JournalWriter(path: path, run: testRun())
        let stamps: [(Int64, String, String?)] = [
            (990, "a", nil), (1000, "a", nil), (1500, "b", #"{"kind":"duplicate","of":2}"#), (1999, "a", nil),
            (2000, "b", nil), (4100, "a", nil),
        ]
        for (index, (wall, name, fault)) in stamps.enumerated() {
            try writer.append(JournalEvent(seq: Int64(index + 1), monoNanos: wall * 1_000_000, wallMillis: wall,
                                           namespace: "/events", name: name, payload: Array("{}".utf8),
                                           fault: fault))
        }
        try writer.close()
        let reader = try JournalReader(path: path)
        return (path, try #require(try reader.latestRunID()))
    }

    @Test func countsByBucketAndNameWithFaultsAndFirstSeq() throws {
        try withTemporaryDirectory { directory in
            let (path, runID) = try self.journal(directory)
            let cells = try JournalReader(path: path).timeline(runID: runID, origin: 1000, bucketMillis: 1000)
            let summary = cells.map { "\($0.bucket) \($0.name) \($0.count) \($0.faulted) \($0.firstSeq)" }
            // 990 ms is before the origin: bucket -1, not 0 (division rounds down, not toward zero).
            #expect(summary == ["-1 a 1 0 1", "0 a 2 0 2", "0 b 1 1 3", "1 b 1 0 5", "3 a 1 0 6"])
        }
    }

    @Test func aSeqRangeLimitsTheCount() throws {
        try withTemporaryDirectory { directory in
            let (path, runID) = try self.journal(directory)
            let cells = try JournalReader(path: path).timeline(runID: runID, seqs: 2...4, origin: 0, bucketMillis: 500)
            #expect(cells.map { "\($0.bucket) \($0.name) \($0.count)" } == ["2 a 1", "3 a 1", "3 b 1"])
        }
    }
}
