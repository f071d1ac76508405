import ArgumentParser
import Foundation
import Logging
import Redis
import TablecastJSON
import TablecastServer

struct Record: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record what a Socket.IO server (or a cluster's Redis) broadcasts on a namespace into a journal.",
        discussion: """
            Connects to URL (http://HOST:PORT/NAMESPACE) as a Socket.IO v4 client and journals every event: its \
            name, its payload bytes exactly as received, its receive time. A dropped connection is retried with \
            backoff, and the time without one is journaled as a gap (from, to, reason). --duration, --until-idle, \
            SIGINT or SIGTERM stop it with everything committed, then a summary is printed: events per name, \
            gaps, bytes. A server that cannot be reached, is not Socket.IO, or refuses the namespace gets one \
            line of error, and no journal is touched.

            With --redis redis://HOST:PORT instead of a URL, it records a Socket.IO cluster from its Redis without             being a client: the classic @socket.io/redis-adapter's broadcasts (PSUBSCRIBE socket.io#NAMESPACE#*; a             reconnection is journaled as a gap, pub/sub keeps nothing), or with --redis-stream the             @socket.io/redis-streams-adapter's stream (XREAD from the last entry read: a reconnection misses             nothing). Each event is journaled with the bytes a Node server sends its clients.
            """
    )

    @Argument(help: "The namespace to record, e.g. http://backend:4000/events (or give --redis).")
    var url: String?

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

    @Option(help: ArgumentHelp("Record a Socket.IO cluster from its Redis instead of a URL.",
                               valueName: "redis://host:port"))
    var redis: String?

    @Option(help: "With --redis: the namespace whose broadcasts are recorded.")
    var namespace = "/events"

    @Option(help: "With --redis: the classic adapter's key (channel prefix).")
    var redisKey = "socket.io"

    @Flag(help: "With --redis: read the Streams adapter's stream instead of the classic adapter's channels.")
    var redisStream = false

    @Option(help: "With --redis-stream: the stream's name.")
    var streamName = "socket.io"

    @Option(help: "With --redis-stream: where to start: $ (new entries), 0 (everything retained) or an entry id.")
    var streamFrom = "$"

    func validate() throws {
        if let redis = self.redis {
            guard self.url == nil else {
                throw ValidationError("give a URL or --redis, not both")
            }
            do {
                _ = try RedisEndpoint(url: redis)
            } catch {
                throw ValidationError("--redis: \(error)")
            }
            guard self.namespace.hasPrefix("/"), !self.namespace.contains(where: { "*?[\\#".contains($0) }) else {
                throw ValidationError("--namespace must start with / and hold no *, ?, [, \\ or #; got '\(self.namespace)'")
            }
            guard !self.redisKey.isEmpty, !self.redisKey.contains(where: { "*?[\\#".contains($0) }) else {
                throw ValidationError("--redis-key must be a non-empty prefix without *, ?, [, \\ or #, got '\(self.redisKey)'")
            }
            guard self.streamFrom == "$" || self.streamFrom == "0" || Self.isEntryID(self.streamFrom) else {
                throw ValidationError("--stream-from must be $, 0 or an entry id such as 1700000000123-0; got '\(self.streamFrom)'")
            }
            guard self.auth == nil, self.transport == "upgrade" else {
                throw ValidationError("--auth and --transport are for a Socket.IO URL, not --redis")
            }
            try self.validateDurations()
            return
        }
        guard let url = self.url else {
            throw ValidationError("give the URL to record (http://HOST:PORT/NAMESPACE) or --redis redis://HOST:PORT")
        }
        if self.redisStream {
            throw ValidationError("--redis-stream needs --redis")
        }
        guard Recorder.Transport(rawValue: self.transport) != nil else {
            throw ValidationError("--transport must be upgrade, websocket or polling; got '\(self.transport)'")
        }
        try self.validateDurations()
        guard let components = URLComponents(string: url), components.scheme == "http", components.host != nil
        else {
            throw ValidationError("URL must be http://HOST:PORT/NAMESPACE; got '\(url)'")
        }
        // The bytes go into the CONNECT packet as they are, so they must be what a server's scanner takes.
        if let auth = self.auth, Array(auth.utf8).withUnsafeBytes({ (try? JSONScanner.validate($0))?.0 }) != .object {
            throw ValidationError("--auth must be a JSON object; got '\(auth)'")
        }
    }

    private func validateDurations() throws {
        for (name, value) in [("--duration", self.duration), ("--until-idle", self.untilIdle)] {
            if let value, CommandLineUnits.duration(value) == nil {
                throw ValidationError("\(name) must be a positive duration such as 90s or 30m; got '\(value)'")
            }
        }
    }

    /// `1700000000123-0`.
    private static func isEntryID(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCII) && UInt64($0) != nil }
    }

    func run() async throws {
        let level = self.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let summary: Recorder.Summary
        do {
            if let redis = self.redis {
                let options = RedisRecorder.Options(
                    endpoint: try RedisEndpoint(url: redis), namespace: self.namespace,
                    format: self.redisStream ? .stream(name: self.streamName, start: self.streamFrom)
                        : .pubSub(key: self.redisKey),
                    journalPath: self.out, duration: self.duration.flatMap(CommandLineUnits.duration),
                    untilIdle: self.untilIdle.flatMap(CommandLineUnits.duration))
                summary = try await RedisRecorder.record(options: options, logger: Logger(label: "tablecast"))
            } else {
                summary = try await Recorder.record(options: self.socketIOOptions, logger: Logger(label: "tablecast"))
            }
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
        self.report(summary)
    }

    private var socketIOOptions: Recorder.Options {
        Recorder.Options(
            url: self.url ?? "", journalPath: self.out, transport: Recorder.Transport(rawValue: self.transport) ?? .pollingWithUpgrade,
            duration: self.duration.flatMap(CommandLineUnits.duration),
            untilIdle: self.untilIdle.flatMap(CommandLineUnits.duration), auth: self.auth.map { Array($0.utf8) })
    }

    private func report(_ summary: Recorder.Summary) {
        print("recorded run \(summary.runID) in \(self.out): \(summary.events) events, \(summary.bytes) payload bytes, "
            + "\(summary.gaps.count) gaps, over \(String(format: "%.1f", summary.seconds)) s; stopped: "
            + summary.stoppedBecause)
        for (name, count) in summary.eventsByName.sorted(by: { $0.key < $1.key }) {
            print("  \(name): \(count)")
        }
        for gap in summary.gaps {
            print("  gap \(Recorder.time(gap.fromWallMillis)) to \(Recorder.time(gap.toWallMillis)): \(gap.description)")
        }
        for note in summary.notes {
            print("  note: \(note)")
        }
    }
}
