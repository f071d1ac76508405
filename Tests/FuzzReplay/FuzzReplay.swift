import Foundation

/// Replays every input that once failed a fuzz target (`FuzzTesting/FailCases/TARGET/`), and every seed of its corpus
/// (`FuzzTesting/Corpus/TARGET/`), through the same check as the fuzzer (`Scripts/fuzz.sh`), without sanitizers: what
/// each test target's `FuzzRegressionTests` runs for the targets of its module.
public enum FuzzReplay {
    /// The files of `FuzzTesting/<folder>/<target>/`, by name.
    static func inputs(_ folder: String, _ target: String) -> [URL] {
        let directory = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appending(path: "FuzzTesting/\(folder)/\(target)")
        let files = (try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? []
        return files.filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// Runs `check` on every fail case and seed of `target`.
    /// - Returns: one line per input that failed its check (`Corpus/FuzzJSON/seed-1: why`), and one if `target` has
    ///   no seed corpus; empty when all passed.
    public static func failures(_ target: String, _ check: (UnsafeRawBufferPointer) -> String?) throws -> [String] {
        let seeds = Self.inputs("Corpus", target)
        var failures = seeds.isEmpty ? ["no seed corpus for \(target)"] : []
        for file in Self.inputs("FailCases", target) + seeds {
            let bytes = try [UInt8](Data(contentsOf: file))
            if let failure = bytes.withUnsafeBytes({ check($0) }) {
                let folder = file.deletingLastPathComponent().deletingLastPathComponent().lastPathComponent
                failures.append("\(folder)/\(target)/\(file.lastPathComponent): \(failure)")
            }
        }
        return failures
    }
}
