import ArgumentParser
import Foundation
import TablecastServer

struct JournalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal",
        abstract: "Inspect journals: list runs, show a timeline, count events, report, verify, export, import, trim.",
        subcommands: [List.self, Show.self, Stats.self, Report.self, Verify.self, Export.self, Import.self, Trim.self]
    )

    /// Runs a tool, turning its failure into one line on standard error and exit status 1.
    static func reporting(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    /// A progress line on a terminal (standard error), rewritten in place; nothing otherwise.
    static func progress(_ label: String) -> (Int) -> Void {
        guard isatty(STDERR_FILENO) == 1 else { return { _ in } }
        return { count in FileHandle.standardError.write(Data("\r\(label) \(count) events\u{1B}[K".utf8)) }
    }

    static func endProgress() {
        if isatty(STDERR_FILENO) == 1 {
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        }
    }

    static func position(_ text: String?, option: String) throws -> ReplaySource.Position? {
        guard let text else { return nil }
        guard let position = ReplaySource.Position(text) else {
            throw ValidationError("\(option) must be a seq, a time such as 2026-11-26T12:05:00.000Z, or +DURATION; got '\(text)'")
        }
        return position
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ls",
            abstract: "List a journal's runs: source, start, seq range, events, span, scenario, replay source."
        )

        @Argument(help: "The journal file.")
        var path: String

        func run() throws {
            try JournalCommand.reporting {
                let output = JournalTools.Output(.standardOutput)
                try JournalTools.list(path: self.path, output: output)
                output.flush()
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a run's timeline, one line per event: seq, time, offset, name, fault, payload.",
            discussion: """
                Positions are a seq (1200), a time (2026-11-26T12:05:00.000Z) or an offset from the run's first \
                event (+5m). Filters are event name globs, as for replay.
                """
        )

        @Argument(help: "The journal file.")
        var path: String

        @Option(name: .customLong("run"), help: "The run; the latest by default.")
        var runID: Int64?

        @Option(help: "The first event: a seq, a time, or +DURATION.")
        var from: String?

        @Option(help: "The last event: a seq, a time, or +DURATION.")
        var to: String?

        @Option(help: "Only the events whose name matches this glob (repeatable).")
        var only: [String] = []

        @Option(name: .customLong("except"), help: "Not the events whose name matches this glob (repeatable).")
        var exceptPatterns: [String] = []

        @Flag(help: "Print each event's payload too.")
        var payloads = false

        @Option(help: "Print at most this many events.")
        var limit: Int?

        func run() throws {
            let from = try JournalCommand.position(self.from, option: "--from")
            let to = try JournalCommand.position(self.to, option: "--to")
            try JournalCommand.reporting {
                let output = JournalTools.Output(.standardOutput)
                try JournalTools.show(path: self.path, runID: self.runID, from: from, to: to, only: self.only,
                                      except: self.exceptPatterns, payloads: self.payloads, limit: self.limit,
                                      output: output)
                output.flush()
            }
        }
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Count a run's events per name per minute (tab-separated), with the totals."
        )

        @Argument(help: "The journal file.")
        var path: String

        @Option(name: .customLong("run"), help: "The run; the latest by default.")
        var runID: Int64?

        func run() throws {
            try JournalCommand.reporting {
                let output = JournalTools.Output(.standardOutput)
                try JournalTools.stats(path: self.path, runID: self.runID, output: output)
                output.flush()
            }
        }
    }

    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a run's timeline as a self-contained HTML page: events by name, gaps, faults, busiest seconds.",
            discussion: """
                The page needs nothing else (its stylesheet and SVG charts are inline) and no JavaScript. The \
                timeline has one bucket per second for runs up to 10 minutes, wider buckets for longer ones.
                """
        )

        @Argument(help: "The journal file.")
        var path: String

        @Option(name: .customLong("run"), help: "The run; the latest by default.")
        var runID: Int64?

        @Option(name: .shortAndLong, help: "The HTML file to write.")
        var out: String

        func validate() throws {
            guard !self.out.isEmpty, !self.out.hasSuffix("/") else {
                throw ValidationError("--out must name a file, such as report.html; got '\(self.out)'")
            }
        }

        func run() throws {
            try JournalCommand.reporting {
                let written = try JournalReport.write(journal: self.path, runID: self.runID, to: self.out)
                print("run \(written.runID) of \(self.path): \(written.events) events, report written to \(self.out)")
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a run as NDJSON: a header line, then one line per event with its exact payload bytes."
        )

        @Argument(help: "The journal file.")
        var path: String

        @Option(name: .customLong("run"), help: "The run; the latest by default.")
        var runID: Int64?

        @Option(name: .shortAndLong, help: "The NDJSON file to write; standard output by default.")
        var out: String?

        func run() throws {
            try JournalCommand.reporting {
                let handle: FileHandle
                if let out = self.out {
                    guard FileManager.default.createFile(atPath: out, contents: nil),
                        let file = FileHandle(forWritingAtPath: out)
                    else {
                        throw JournalTools.Problem(description: "cannot write '\(out)'")
                    }
                    handle = file
                } else {
                    handle = .standardOutput
                }
                let output = JournalTools.Output(handle)
                try JournalTools.export(path: self.path, runID: self.runID, output: output,
                                        progress: JournalCommand.progress("exported"))
                output.flush()
                JournalCommand.endProgress()
            }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read an NDJSON export into a new run of a journal, with the same payload bytes and times."
        )

        @Argument(help: "The NDJSON export.")
        var input: String

        @Option(name: .shortAndLong, help: "The journal to add the run to; created if missing.")
        var into: String

        func run() throws {
            try JournalCommand.reporting {
                let imported = try JournalTools.importExport(from: self.input, into: self.into,
                                                             progress: JournalCommand.progress("imported"))
                JournalCommand.endProgress()
                print("run \(imported.runID) in \(self.into): \(imported.events) events imported from \(self.input)")
            }
        }
    }

    struct Trim: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Keep only a window of a run: its events (and faults) outside --from…--to are deleted.",
            discussion: "This changes the journal in place, in one transaction; export the run first to keep it all."
        )

        @Argument(help: "The journal file.")
        var path: String

        @Option(name: .customLong("run"), help: "The run; the latest by default.")
        var runID: Int64?

        @Option(help: "The first event kept: a seq, a time, or +DURATION.")
        var from: String?

        @Option(help: "The last event kept: a seq, a time, or +DURATION.")
        var to: String?

        func validate() throws {
            guard self.from != nil || self.to != nil else {
                throw ValidationError("give --from, --to or both: the window to keep")
            }
        }

        func run() throws {
            let from = try JournalCommand.position(self.from, option: "--from")
            let to = try JournalCommand.position(self.to, option: "--to")
            try JournalCommand.reporting {
                let trimmed = try JournalTools.trim(path: self.path, runID: self.runID, from: from, to: to)
                print("run \(trimmed.runID) of \(self.path): kept \(trimmed.kept) events, deleted \(trimmed.removed)")
            }
        }
    }

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
