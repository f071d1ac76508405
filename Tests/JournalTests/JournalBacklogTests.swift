import Foundation
import Journal
import Synchronization
import Testing

/// What sources and APIs build on: the backlog the writer reports, waiting for an event's commit, and the commit
/// observer that `committed` durability publishes on.
struct JournalBacklogTests {
    @Test func theBacklogCountsWhatIsNotCommittedAndReturnsToZero() throws {
        try withTemporaryDirectory { directory in
            let writer = try JournalWriter(path: directory + "/journal.sqlite", run: testRun())
            #expect(writer.backlogBytes == 0)
            var large = testEvent(1)
            large.payload = Array(repeating: UInt8(ascii: "7"), count: 100_000)
            try writer.append(large)
            // Appended, perhaps not yet taken: at least the payload is counted until its commit.
            let counted = writer.backlogBytes
            #expect(counted == 0 || counted >= 100_000)
            try writer.flush()
            #expect(writer.backlogBytes == 0)
            try writer.close()
        }
    }

    @Test func aLockedJournalBuildsABacklogThatDrainsOnceUnlocked() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/journal.sqlite"
            let writer = try JournalWriter(path: path, run: testRun())
            try writer.append(testEvent(1))
            try writer.flush()
            // Another process's write transaction: the writer waits (busy timeout) while appends pile up.
            let blocker = try SQLiteBlocker(path: path)
            for seq in 2...200 {
                var event = testEvent(Int64(seq))
                event.payload = Array(repeating: UInt8(ascii: "1"), count: 1_000)
                try writer.append(event)
            }
            Thread.sleep(forTimeInterval: 0.2)
            #expect(writer.backlogBytes >= 199 * 1_000)
            blocker.release()
            try writer.flush()
            #expect(writer.backlogBytes == 0)
            try writer.close()
        }
    }

    @Test func waitingForACommitReturnsOnceTheEventIsCommitted() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("JournalTests-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let writer = try JournalWriter(path: directory + "/journal.sqlite", run: testRun())
        for seq in 1...500 {
            try writer.append(testEvent(Int64(seq)))
        }
        try await writer.waitForCommit(through: 500)
        #expect(writer.statistics.lastCommittedSeq.map { $0 >= 500 } == true)
        // Already committed, and nothing emitted yet (seq 0): both return at once.
        try await writer.waitForCommit(through: 10)
        try await writer.waitForCommit(through: 0)
        try writer.close()
        // Closed without the event ever being appended: the wait says so instead of hanging.
        await #expect(throws: JournalError.self) { try await writer.waitForCommit(through: 501) }
    }

    @Test func theCommitObserverSeesEveryCommitInOrder() throws {
        try withTemporaryDirectory { directory in
            let writer = try JournalWriter(path: directory + "/journal.sqlite", run: testRun(), batchSize: 10)
            let seen = Mutex<[Int64]>([])
            writer.observeCommits { seq in seen.withLock { $0.append(seq) } }
            for seq in 1...1_000 {
                try writer.append(testEvent(Int64(seq)))
            }
            try writer.close()
            let commits = seen.withLock { $0 }
            #expect(commits.last == 1_000)
            #expect(commits == commits.sorted())
            #expect(Set(commits).count == commits.count)
        }
    }
}

/// Another connection's write transaction on a journal, held until released: how a test makes the writer wait.
final class SQLiteBlocker {
    private let connection: SQLiteConnection

    init(path: String) throws {
        self.connection = try SQLiteConnection.open(path: path)
        try self.connection.execute("BEGIN IMMEDIATE")
    }

    func release() {
        #expect(throws: Never.self) { try self.connection.execute("ROLLBACK") }
    }
}
