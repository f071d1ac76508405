import ArgumentParser
import Foundation
import TablecastServer

struct Load: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open many Socket.IO clients on a namespace and measure what they receive.",
        discussion: """
            Each client joins with {"tablecastTrace":true}: a tablecast server then appends the event's sequence \
            number and emission time to what it sends that client (the payload is unchanged), so every client \
            checks for loss, duplicates and reordering, and the latency from emission to reception is measured \
            (same machine). The server's last sequence number comes from its /_tablecast/health endpoint at the \
            end. Exits 1 when a client failed or an event was lost, duplicated or out of order. --report writes \
            the figures, second by second too, as a self-contained HTML page.
            """
    )

    @Argument(help: "The namespace, e.g. http://127.0.0.1:4000/events.")
    var url: String

    @Option(help: "How many clients.")
    var clients = 100

    @Option(help: "Open the clients over this long, e.g. 10s (at once by default).")
    var ramp: String?

    @Option(help: "How long to measure once every client is connected, e.g. 60s.")
    var duration = "30s"

    @Option(help: "websocket or polling (long-polling, never upgraded).")
    var transport = "websocket"

    @Flag(help: "Print the summary as one JSON object.")
    var json = false

    @Option(help: ArgumentHelp(
        "Also write the run as a self-contained HTML page, with charts of each second.",
        valueName: "file.html"
    ))
    var report: String?

    func validate() throws {
        guard self.clients > 0 else { throw ValidationError("--clients must be positive") }
        guard CommandLineUnits.duration(self.duration) != nil else {
            throw ValidationError("--duration must be a positive duration such as 60s; got '\(self.duration)'")
        }
        if let ramp = self.ramp, CommandLineUnits.duration(ramp) == nil {
            throw ValidationError("--ramp must be a positive duration such as 10s; got '\(ramp)'")
        }
        guard LoadTest.transports.contains(self.transport) else {
            throw ValidationError("--transport must be websocket or polling; got '\(self.transport)'")
        }
        if let report = self.report, report.isEmpty || report.hasSuffix("/") {
            throw ValidationError("--report must name a file, such as load.html; got '\(report)'")
        }
        guard self.url.hasPrefix("http://") else {
            throw ValidationError("URL must be http://HOST:PORT/NAMESPACE; got '\(self.url)'")
        }
    }

    func run() async throws {
        let terminal = isatty(STDERR_FILENO) == 1
        // Before the run, so that a report that cannot be written does not cost its figures at the end.
        if let report = self.report, let problem = LoadTest.reportProblem(report) {
            FileHandle.standardError.write(Data("error: \(problem)\n".utf8))
            throw ExitCode.failure
        }
        let outcome: LoadTest.Outcome
        do {
            outcome = try await LoadTest.run(
                url: self.url, clients: self.clients, ramp: self.ramp.flatMap(CommandLineUnits.duration) ?? 0,
                duration: CommandLineUnits.duration(self.duration) ?? 30, transport: self.transport
            ) { line in
                if terminal {
                    FileHandle.standardError.write(Data("\r\(line)\u{1B}[K".utf8))
                }
            }
        } catch {
            FileHandle.standardError.write(Data("\(terminal ? "\r\u{1B}[K" : "")error: \(error)\n".utf8))
            throw ExitCode.failure
        }
        if terminal {
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        }
        if self.json {
            print(outcome.json)
        } else {
            outcome.lines.forEach { print($0) }
        }
        if let report = self.report {
            do {
                try outcome.writeReport(to: report)
            } catch {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode.failure
            }
        }
        if !outcome.isClean {
            throw ExitCode.failure
        }
    }
}
