import Foundation
@_spi(Fuzzing) import TablecastServer
import Testing

/// Every input that once failed a fuzz target (`FuzzTesting/FailCases/TARGET/`), and every seed of its corpus
/// (`FuzzTesting/Corpus/TARGET/`), through the same check as the fuzzer (`Scripts/fuzz.sh`), without sanitizers.
struct FuzzRegressionTests {
    /// The files of `FuzzTesting/<folder>/<target>/`, by name.
    static func inputs(_ folder: String, _ target: String) -> [URL] {
        let directory = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appending(path: "FuzzTesting/\(folder)/\(target)")
        let files = (try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? []
        return files.filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// Runs `check` on every fail case and seed of `target`: each must pass, and the seeds must be there.
    static func replay(_ target: String, _ check: (UnsafeRawBufferPointer) -> String?) throws {
        let seeds = Self.inputs("Corpus", target)
        #expect(!seeds.isEmpty, "no seed corpus for \(target)")
        for file in Self.inputs("FailCases", target) + seeds {
            let bytes = try [UInt8](Data(contentsOf: file))
            let failure = bytes.withUnsafeBytes { check($0) }
            let name = "\(file.deletingLastPathComponent().deletingLastPathComponent().lastPathComponent)/\(target)/"
                + file.lastPathComponent
            #expect(failure == nil, "\(name): \(failure ?? "")")
        }
    }

    @Test func fuzzEngineIOQuery() throws {
        try Self.replay("FuzzEngineIOQuery", TablecastFuzzing.engineIOQuery)
    }

    @Test func fuzzRequestBody() throws {
        try Self.replay("FuzzRequestBody", TablecastFuzzing.requestBody)
    }

    @Test func fuzzJournalLine() throws {
        try Self.replay("FuzzJournalLine", TablecastFuzzing.journalLine)
    }
}
