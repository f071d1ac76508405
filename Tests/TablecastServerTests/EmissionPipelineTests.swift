import Foundation
import Journal
import NIOPosix
import Restaurant
import Simulator
import Synchronization
import Testing

@testable import TablecastServer

/// The driver of the emission path against a real journal on a temporary SQLite file. Its outputs here record what
/// they receive (as any output does: a dashboard stream would be one), optionally blocking inside `deliver` to show
/// what waits behind an output and what does not.
@Suite(.timeLimit(.minutes(1))) struct EmissionPipelineTests {
    final class RecordingOutput: EmissionOutput {
        let received = Mutex<[Int64]>([])
        /// While set, `deliver` waits for it to be signalled once.
        let gate: DispatchSemaphore?
        let entered = DispatchSemaphore(value: 0)

        init(blocking: Bool = false) {
            self.gate = blocking ? DispatchSemaphore(value: 0) : nil
        }

        func deliver(_ deliveries: [EventDelivery]) {
            self.entered.signal()
            self.gate?.wait()
            self.received.withLock { $0.append(contentsOf: deliveries.map(\.seq)) }
        }

        var seqs: [Int64] { self.received.withLock { $0 } }
    }

    static func pipeline(
        _ journal: JournalWriter,
        output: RecordingOutput,
        durability: Durability = .async
    ) -> EmissionPipeline {
        EmissionPipeline(state: RestaurantState(definition: .default), journal: journal, outputs: [output],
                         durability: durability, timers: MultiThreadedEventLoopGroup.singleton.any())
    }

    static func writer(_ journal: TemporaryJournal) throws -> JournalWriter {
        try JournalWriter(path: journal.path,
                          run: RunDescriptor(source: "test", tablecastVersion: "test", startedAtMillis: 0))
    }

    static func activate(_ table: Int) -> (borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent] {
        { state throws(CommandError) in [try state.activateTable(tableNumber: table)] }
    }

    @Test func everyInputReachesTheJournalAndTheOutputsInOrder() throws {
        let file = TemporaryJournal()
        defer { file.cleanUp() }
        let journal = try Self.writer(file)
        let output = RecordingOutput()
        let pipeline = Self.pipeline(journal, output: output)
        try pipeline.perform(Self.activate(7))
        #expect(try pipeline.emit(name: "newMessage", payload: Array(#"{"id":1}"#.utf8)).seq == 2)
        #expect(try pipeline.inject(.duplicate(seq: 1)).seqs == [3])
        let report = try pipeline.inject(.disconnect(clients: .all, mode: .transport))
        #expect(report.disconnected == 0)
        try journal.close()

        #expect(output.seqs == [1, 2, 3])
        #expect(pipeline.lastSeq == 3)
        #expect(pipeline.read { $0.tables[7]?.status } == .active)
        let reader = try JournalReader(path: file.path)
        let run = try #require(try reader.runs().last)
        let events = try reader.events(runID: run.id)
        #expect(events.map(\.seq) == [1, 2, 3])
        #expect(events.map(\.name) == ["table:activated", "newMessage", "table:activated"])
        #expect(events[2].fault == #"{"kind":"duplicate","of":1}"#)
        #expect(try reader.faults(runID: run.id).map(\.kind) == ["disconnect"])
    }

    @Test func concurrentSourcesGetStampsInSeqOrder() throws {
        let file = TemporaryJournal()
        defer { file.cleanUp() }
        let journal = try Self.writer(file)
        let output = RecordingOutput()
        let pipeline = Self.pipeline(journal, output: output)
        DispatchQueue.concurrentPerform(iterations: 4) { source in
            for index in 0..<300 {
                _ = try? pipeline.emit(name: "source-\(source)", payload: Array("{\"i\":\(index)}".utf8))
            }
        }
        try journal.close()
        let reader = try JournalReader(path: file.path)
        let events = try reader.events(runID: try #require(try reader.runs().last).id)
        #expect(events.map(\.seq) == Array(1...1200))
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.monoNanos <= $1.monoNanos })
        #expect(output.seqs == Array(1...1200))
    }

    @Test func aClosedJournalRefusesBeforeAnythingIsNumbered() throws {
        let file = TemporaryJournal()
        defer { file.cleanUp() }
        let journal = try Self.writer(file)
        let output = RecordingOutput()
        let pipeline = Self.pipeline(journal, output: output)
        try journal.close()
        #expect(throws: EmissionPipeline.Failure.self) { try pipeline.perform(Self.activate(7)) }
        #expect(throws: EmissionPipeline.Failure.self) { try pipeline.emit(name: "x", payload: Array("{}".utf8)) }
        #expect(throws: EmissionPipeline.FaultFailure.self) {
            _ = try pipeline.inject(.unknownEvent(name: "x", payload: Array("{}".utf8)))
        }
        #expect(pipeline.lastSeq == 0)
        #expect(pipeline.read { $0.tables[7]?.status } == .available)
        #expect(output.seqs.isEmpty)
        #expect(journal.statistics.appended == 0)
    }

    @Test func readsDoNotWaitForAnEmissionInFlight() async throws {
        let file = TemporaryJournal()
        defer { file.cleanUp() }
        let journal = try Self.writer(file)
        let output = RecordingOutput(blocking: true)
        let pipeline = Self.pipeline(journal, output: output)
        let emitting = Thread {
            try? pipeline.perform(Self.activate(7))
        }
        emitting.start()
        // The emission holds the pipeline's lock inside its output now; reads answer from the last snapshot.
        output.entered.wait()
        #expect(pipeline.lastSeq == 0)
        #expect(pipeline.read { $0.tables[7]?.status } == .available)
        output.gate?.signal()
        while pipeline.lastSeq == 0 {
            try await Task.sleep(for: .milliseconds(1))
        }
        #expect(pipeline.read { $0.tables[7]?.status } == .active)
        #expect(output.seqs == [1])
        try journal.close()
    }

    @Test func aDelayFaultReleasesOnItsTimer() async throws {
        let file = TemporaryJournal()
        defer { file.cleanUp() }
        let journal = try Self.writer(file)
        let output = RecordingOutput()
        let pipeline = Self.pipeline(journal, output: output)
        _ = try pipeline.inject(.delay(milliseconds: 100))
        try pipeline.perform(Self.activate(7))
        try pipeline.perform(Self.activate(8))
        #expect(output.seqs.isEmpty)
        #expect(pipeline.snapshot.holding)
        let deadline = ContinuousClock.now + .seconds(10)
        while output.seqs.isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(output.seqs == [1, 2])
        #expect(!pipeline.snapshot.holding)
        try journal.close()
    }

    @Test func committedDurabilityDeliversAfterTheCommit() async throws {
        let file = TemporaryJournal()
        defer { file.cleanUp() }
        let journal = try Self.writer(file)
        let output = RecordingOutput()
        let pipeline = Self.pipeline(journal, output: output, durability: .committed)
        try pipeline.perform(Self.activate(7))
        try pipeline.perform(Self.activate(8))
        try await journal.waitForCommit(through: 2)
        let deadline = ContinuousClock.now + .seconds(10)
        while output.seqs.count < 2, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(output.seqs == [1, 2])
        #expect(journal.statistics.lastCommittedSeq == 2)
        try journal.close()
    }
}
