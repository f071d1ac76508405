import Benchmark
import BenchmarkFixtures
import Foundation
import Journal
import Synchronization

/// The events appended per benchmark run: `maxIterations` measured iterations of a thousand events each.
private let measuredIterations = 300

/// The batch size of `journalAppendBatch`: a broadcast batch as the event loops coalesce it.
private let eventsPerBatch = 64

let benchmarks: @Sendable () -> Void = {
    // One measured iteration appends a thousand events and then waits until they are committed: `append` only
    // queues an event for the writer thread, so timing appends alone would measure a lock and an array append.
    // The tables show wall clock, throughput and allocations per event. The writer stays open across the
    // iterations of a run, so SQLite's WAL grows and checkpoints as it does in a server.
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 2,
        scalingFactor: .kilo,
        maxDuration: .seconds(5),
        maxIterations: measuredIterations
    )

    let appendFixture = JournalFixture(name: "journalAppend")
    Benchmark("journalAppend") { benchmark in
        let (writer, firstSeq) = appendFixture.reserve(benchmark.scaledIterations.count)
        for index in benchmark.scaledIterations {
            try writer.append(JournalFixture.event(seq: firstSeq + Int64(index)))
        }
        try writer.flush()
    } setup: {
        try appendFixture.open()
    } teardown: {
        try appendFixture.close()
    }

    // The emission pipeline's path (issue 12): per input, ask whether the journal accepts, then append the input's
    // events in one call.
    let acceptedFixture = JournalFixture(name: "journalAppendAccepted")
    Benchmark("journalAppendAccepted") { benchmark in
        let (writer, firstSeq) = acceptedFixture.reserve(benchmark.scaledIterations.count)
        for index in benchmark.scaledIterations {
            _ = try writer.acceptance()
            if let failure = writer.appendAccepted([JournalFixture.event(seq: firstSeq + Int64(index))]) {
                throw failure
            }
        }
        try writer.flush()
    } setup: {
        try acceptedFixture.open()
    } teardown: {
        try acceptedFixture.close()
    }

    let batchFixture = JournalFixture(name: "journalAppendBatch")
    Benchmark("journalAppendBatch") { benchmark in
        let (writer, firstSeq) = batchFixture.reserve(benchmark.scaledIterations.count)
        var batch: [JournalEvent] = []
        batch.reserveCapacity(eventsPerBatch)
        for index in benchmark.scaledIterations {
            batch.append(JournalFixture.event(seq: firstSeq + Int64(index)))
            if batch.count == eventsPerBatch {
                try writer.append(contentsOf: batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty {
            try writer.append(contentsOf: batch)
        }
        try writer.flush()
    } setup: {
        try batchFixture.open()
    } teardown: {
        try batchFixture.close()
    }
}

/// A journal in a temporary directory that one benchmark appends to: opened by its setup, closed (committing
/// everything) and deleted by its teardown.
final class JournalFixture: Sendable {
    private struct OpenJournal {
        var directory: URL
        var writer: JournalWriter
        var nextSeq: Int64
    }

    private let name: String
    private let state = Mutex<OpenJournal?>(nil)

    init(name: String) {
        self.name = name
    }

    /// An `order:created` event as the emission core builds it, without reading the clocks.
    static func event(seq: Int64) -> JournalEvent {
        JournalEvent(
            seq: seq,
            monoNanos: seq &* 1_000_000,
            wallMillis: 1_795_000_000_000 &+ seq,
            namespace: OrderFixtures.namespace,
            name: OrderFixtures.eventName,
            payload: OrderFixtures.orderPayload
        )
    }

    /// Creates the directory and opens a writer on a new journal in it.
    func open() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tablecast-\(self.name)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let run = RunDescriptor(
            source: "benchmark",
            scenario: self.name,
            tablecastVersion: "benchmark",
            startedAtMillis: 1_795_000_000_000
        )
        let writer = try JournalWriter(path: directory.appendingPathComponent("journal.sqlite").path, run: run)
        self.state.withLock { $0 = OpenJournal(directory: directory, writer: writer, nextSeq: 1) }
    }

    /// The open writer and the first of `count` consecutive sequence numbers, reserved for the caller.
    func reserve(_ count: Int) -> (writer: JournalWriter, firstSeq: Int64) {
        self.state.withLock { journal in
            guard var open = journal else {
                fatalError("\(self.name): the journal is not open")
            }
            let firstSeq = open.nextSeq
            open.nextSeq += Int64(count)
            journal = open
            return (open.writer, firstSeq)
        }
    }

    /// Closes the writer, checking that every appended event was committed, and deletes the directory.
    func close() throws {
        guard let open = self.state.withLock({ journal in journal.take() }) else {
            return
        }
        defer { try? FileManager.default.removeItem(at: open.directory) }
        try open.writer.close()
        let statistics = open.writer.statistics
        guard statistics.committed == statistics.appended, statistics.appended == Int(open.nextSeq - 1) else {
            throw JournalFixtureError(
                description: "\(self.name): appended \(statistics.appended), committed \(statistics.committed)"
            )
        }
    }
}

/// A journal benchmark that did not write what it appended.
struct JournalFixtureError: Error, CustomStringConvertible {
    var description: String
}
