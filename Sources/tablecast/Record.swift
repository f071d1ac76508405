import ArgumentParser
import Foundation
import Logging
import TablecastJSON
import TablecastServer

struct Record: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record what a Socket.IO server broadcasts on a namespace into a journal.",
        discussion: """
            Connects to URL (http://HOST:PORT/NAMESPACE) as a Socket.IO v4 client and journals every event: its \
            name, its payload bytes exactly as received, its receive time. A dropped connection is retried with \
            backoff, and the time without one is journaled as a gap (from, to, reason). --duration, --until-idle, \
            SIGINT or SIGTERM stop it with everything committed, then a summary is printed: events per name, \
            gaps, bytes. A server that cannot be reached, is not Socket.IO, or refuses the namespace gets one \
            line of error, and no journal is touched.
            """
    )

    @Argument(help: "The namespace to record, e.g. http://backend:4000/events.")
    var url: String

    @Option(name: .shortAndLong, help: "The journal to write; created if missing, a new run otherwise.")
    var out: String

    @Option(help: "upgrade (long-polling, then WebSocket, as browsers connect), websocket, or polling.")
    var transport = "upgrade"

    @Option(help: "Stop after this long, e.g. 30m.")
    var duration: String?

    @Option(help: "Stop once no event arrived for this long, e.g. 2m.")
    var untilIdle: String?

    @Option(help: "The CONNECT payload (socket.io-client's auth), as JSON.")
    var auth: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        guard Recorder.Transport(rawValue: self.transport) != nil else {
            throw ValidationError("--transport must be upgrade, websocket or polling; got '\(self.transport)'")
        }
        for (name, value) in [("--duration", self.duration), ("--until-idle", self.untilIdle)] {
            if let value, CommandLineUnits.duration(value) == nil {
                throw ValidationError("\(name) must be a positive duration such as 90s or 30m; got '\(value)'")
            }
        }
        guard let components = URLComponents(string: self.url), components.scheme == "http", components.host != nil
        else {
            throw ValidationError("URL must be http://HOST:PORT/NAMESPACE; got '\(self.url)'")
        }
        // The bytes go into the CONNECT packet as they are, so they must be what a server's scanner takes.
        if let auth = self.auth, Array(auth.utf8).withUnsafeBytes({ (try? JSONScanner.validate($0))?.0 }) != .object {
            throw ValidationError("--auth must be a JSON object; got '\(auth)'")
        }
    }

    func run() async throws {
        let level = self.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let options = Recorder.Options(
            url: self.url, journalPath: self.out, transport: Recorder.Transport(rawValue: self.transport) ?? .pollingWithUpgrade,
            duration: self.duration.flatMap(CommandLineUnits.duration),
            untilIdle: self.untilIdle.flatMap(CommandLineUnits.duration), auth: self.auth.map { Array($0.utf8) })
        let summary: Recorder.Summary
        do {
            summary = try await Recorder.record(options: options, logger: Logger(label: "tablecast"))
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
        print("recorded run \(summary.runID) in \(self.out): \(summary.events) events, \(summary.bytes) payload bytes, "
            + "\(summary.gaps.count) gaps, over \(String(format: "%.1f", summary.seconds)) s; stopped: "
            + summary.stoppedBecause)
        for (name, count) in summary.eventsByName.sorted(by: { $0.key < $1.key }) {
            print("  \(name): \(count)")
        }
        for gap in summary.gaps {
            print("  gap \(Recorder.time(gap.fromWallMillis)) to \(Recorder.time(gap.toWallMillis)): \(gap.description)")
        }
    }
}
