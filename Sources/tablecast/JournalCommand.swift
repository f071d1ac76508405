import ArgumentParser
import Foundation
import TablecastServer

struct JournalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal",
        abstract: "Inspect journals.",
        subcommands: [Verify.self]
    )

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every event of a journal against the contract's schemas and lifecycle rules.",
            discussion: """
                Each run is replayed in seq order into a fresh restaurant (the one the run recorded, or the \
                built-in one). Every problem is printed with its run, seq, event name and rule. Unknown event \
                names are warnings (forward compatibility). Exits 0 only when no run has an error. The file is \
                opened read-only.
                """
        )

        @Argument(help: "The journal file.")
        var path: String

        @Option(name: .customLong("run"), help: "Verify only this run (by id); all runs by default.")
        var runID: Int64?

        func run() throws {
            let summaries: [JournalVerification.RunSummary]
            do {
                summaries = try JournalVerification.verify(path: self.path, runID: self.runID) { line in
                    print(line)
                }
            } catch {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode.failure
            }
            let errors = summaries.reduce(0) { $0 + $1.errors }
            let warnings = summaries.reduce(0) { $0 + $1.warnings }
            let events = summaries.reduce(0) { $0 + $1.events }
            print("\(errors == 0 ? "clean" : "NOT clean"): \(summaries.count) runs, \(events) events, \(errors) errors, "
                + "\(warnings) warnings")
            if errors > 0 {
                throw ExitCode.failure
            }
        }
    }
}
