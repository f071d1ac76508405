import ArgumentParser
import Foundation
import TablecastServer

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a journal of simulated traffic as fast as the journal takes it, without a server.",
        discussion: """
            The scenario runs on a virtual clock that starts at --start: payload times come from that clock, so \
            the same scenario, seed and start give the same journal, byte for byte. With a time scale, --duration \
            is restaurant time; with a target rate (steady-load), it is the time the events would take at that \
            rate. The journal gets a new run (source 'simulate') that records the scenario, seed and restaurant.
            """
    )

    @Option(help: "A shipped scenario (default, dinner-rush, steady-load) or a scenario file.")
    var scenario = "default"

    @Option(help: "How much simulated time to write, e.g. 90s, 30m, 2h.")
    var duration: String?

    @Option(help: "Stop after this many events (whichever of --duration and --events comes first).")
    var events: Int?

    @Option(help: "The journal file to write (created if missing, a new run appended otherwise).")
    var out: String

    @Option(help: "Replace the scenario's seed.")
    var seed: UInt64?

    @Option(help: "Replace the scenario's target rate, e.g. 5000/s.")
    var rate: String?

    @Option(help: "Where the virtual clock starts (ISO 8601 UTC, e.g. 2026-11-26T12:00:00.000Z); now by default.")
    var start: String?

    func validate() throws {
        guard self.duration != nil || self.events != nil else {
            throw ValidationError("give --duration, --events, or both")
        }
        if let duration = self.duration, CommandLineUnits.duration(duration) == nil {
            throw ValidationError("--duration must be a positive duration such as 90s, 30m or 2h, got '\(duration)'")
        }
        if let events = self.events, events <= 0 {
            throw ValidationError("--events must be positive, got \(events)")
        }
        if let rate = self.rate, CommandLineUnits.rate(rate) == nil {
            throw ValidationError("--rate must be a positive rate such as 5000/s, got '\(rate)'")
        }
        if let start = self.start, OfflineSimulation.parseStart(start) == nil {
            throw ValidationError("--start must look like 2026-11-26T12:00:00.000Z, got '\(start)'")
        }
    }

    func run() throws {
        let began = Date()
        // Progress only on a terminal, one line rewritten in place; a log or a pipe gets the summary alone.
        let showsProgress = isatty(STDERR_FILENO) == 1
        let summary: OfflineSimulation.Summary
        do {
            summary = try OfflineSimulation.run(
                scenario: self.scenario,
                seed: self.seed,
                rate: self.rate.flatMap(CommandLineUnits.rate),
                duration: self.duration.flatMap(CommandLineUnits.duration) ?? .infinity,
                maxEvents: self.events ?? .max,
                path: self.out,
                start: self.start.flatMap(OfflineSimulation.parseStart)
            ) { events, simulated in
                guard showsProgress else { return }
                let line = "\r\(events) events, \(Int(simulated)) s simulated\u{1B}[K"
                FileHandle.standardError.write(Data(line.utf8))
            }
        } catch {
            FileHandle.standardError.write(Data("\(showsProgress ? "\r\u{1B}[K" : "")error: \(error)\n".utf8))
            throw ExitCode.failure
        }
        let elapsed = Date().timeIntervalSince(began)
        if showsProgress {
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        }
        print("run \(summary.runID) in \(self.out): \(summary.events) events, \(Int(summary.simulatedSeconds)) s "
            + "simulated, written in \(String(format: "%.1f", elapsed)) s "
            + "(\(Int(Double(summary.events) / max(elapsed, 0.001))) events/s)")
        for (name, count) in summary.eventsByName.sorted(by: { $0.key < $1.key }) {
            print("  \(name): \(count)")
        }
    }
}
