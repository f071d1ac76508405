import Foundation
import Journal
import Testing

/// A fresh directory under the system temporary directory, removed when `body` returns.
func withTemporaryDirectory<Result>(_ body: (String) throws -> Result) throws -> Result {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("JournalTests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory.path)
}

/// The bytes of a file, or `nil` if it does not exist.
func fileBytes(_ path: String) -> Data? {
    FileManager.default.contents(atPath: path)
}

/// Whether a file exists.
func fileExists(_ path: String) -> Bool {
    FileManager.default.fileExists(atPath: path)
}

/// A run descriptor for tests.
func testRun(source: String = "test", scenario: String? = nil, seed: Int64? = nil) -> RunDescriptor {
    RunDescriptor(
        source: source,
        scenario: scenario,
        seed: seed,
        tablecastVersion: "0.0.0-test",
        metaJSON: nil,
        startedAtMillis: 1_700_000_000_000
    )
}

/// An event with a JSON payload derived from `seq`.
func testEvent(_ seq: Int64, namespace: String = "/", name: String = "tick") -> JournalEvent {
    JournalEvent(
        seq: seq,
        monoNanos: seq * 1_000,
        wallMillis: 1_700_000_000_000 + seq,
        namespace: namespace,
        name: name,
        payload: Array("{\"seq\":\(seq)}".utf8)
    )
}

/// SQLite result codes the tests expect, spelled out so the tests need not import the C module.
enum SQLiteCode {
    static let error: Int32 = 1
    static let busy: Int32 = 5
    static let cantOpen: Int32 = 14
    static let constraint: Int32 = 19
    static let misuse: Int32 = 21
    static let constraintNotNull: Int32 = 1299
    static let constraintPrimaryKey: Int32 = 1555
}

/// Checks that run `runID` of the journal at `path` holds exactly `testEvent(1)` … `testEvent(total)`, in order.
func expectJournalHoldsTestEvents(path: String, runID: Int64, total: Int) throws {
    let reader = try JournalReader(path: path)
    #expect(try reader.count(runID: runID) == total)
    var expected: Int64 = 1
    var ordered = true
    try reader.forEachEvent(runID: runID) { event in
        ordered = ordered && event == testEvent(expected)
        expected += 1
    }
    #expect(ordered)
    #expect(expected == Int64(total) + 1)
}
