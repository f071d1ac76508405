import ArgumentParser
import Foundation
import TablecastServer

struct Replay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve /events and replay a journal run to its clients with the original timing.",
        discussion: """
            Events go out with their recorded names, payload bytes and spacing, scaled by --speed. The REST API \
            follows the replay: its state is the restaurant as of the replay's position in the source run. \
            GET /_tablecast/replay shows where the replay stands; POST /_tablecast/replay pauses, resumes, steps, \
            seeks and changes speed. The replay is journaled as a new run (--journal) that names its source.

            Positions (--from, --to, and seek) are a seq (1200), a time (2026-11-26T12:05:00.000Z), or an offset \
            from the run's first event (+5m). Filters are event name globs: --only 'order:*' --except 'order:served'.
            """
    )

    @Argument(help: "The journal to replay (a tablecast journal, from serve, simulate or record).")
    var file: String

    @OptionGroup var server: ServerOptions

    @OptionGroup var journalOptions: JournalOptions

    @OptionGroup(title: "Redis") var redisOptions: RedisOptions

    @Option(help: "The run to replay; the latest by default.")
    var run: Int64?

    @Option(help: "How fast: 0.5, 1, 4 (times the original pace) or max.")
    var speed = "1"

    @Option(help: "Where to start: a seq, a time, or +DURATION after the run's first event.")
    var from: String?

    @Option(help: "Where to stop (included): a seq, a time, or +DURATION after the run's first event.")
    var to: String?

    @Option(help: "Send only the events whose name matches this glob (repeatable).")
    var only: [String] = []

    @Option(name: .customLong("except"), help: "Do not send the events whose name matches this glob (repeatable).")
    var exceptPatterns: [String] = []

    @Flag(help: "Start over after the last event, for ever.")
    var loop = false

    @Option(help: "Hold the start until this many clients are connected to /events.")
    var waitForClients = 0

    @Option(help: "The SQLite journal the replay is written to, as a new run naming its source.")
    var journal = "tablecast.sqlite"

    func validate() throws {
        guard ReplayRunner.Speed(self.speed) != nil else {
            throw ValidationError("--speed must be a positive factor such as 0.5, 1 or 4, or max; got '\(self.speed)'")
        }
        for (name, value) in [("--from", self.from), ("--to", self.to)] {
            if let value, ReplaySource.Position(value) == nil {
                throw ValidationError(
                    "\(name) must be a seq, a time such as 2026-11-26T12:05:00.000Z, or +DURATION; got '\(value)'"
                )
            }
        }
        guard self.waitForClients >= 0 else {
            throw ValidationError("--wait-for-clients must be 0 or more")
        }
        if self.redisOptions.follow {
            throw ValidationError("a replay owns what it sends: use --redis without --follow")
        }
        for pattern in self.only + self.exceptPatterns where pattern.isEmpty {
            throw ValidationError("--only and --except take a non-empty event name glob")
        }
    }

    func run() async throws {
        let logger = self.server.makeLogger()
        let application: ServeApplication
        do {
            let source = try ReplaySource(path: self.file, runID: self.run, from: self.from.flatMap(ReplaySource.Position.init),
                                          to: self.to.flatMap(ReplaySource.Position.init))
            var configuration = ServeApplication.Configuration(listen: try self.server.listen(logger: logger),
                                                               journalPath: self.journal, restaurant: source.restaurant)
            configuration.controlToken = self.server.resolvedControlToken
            self.journalOptions.apply(to: &configuration)
            try self.redisOptions.apply(to: &configuration)
            configuration.replay = (
                source,
                ReplayRunner.Options(speed: ReplayRunner.Speed(self.speed) ?? .factor(1), only: self.only,
                                     except: self.exceptPatterns, loop: self.loop, waitForClients: self.waitForClients)
            )
            application = try ServeApplication(configuration: configuration, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
        try await self.server.runReportingErrors { try await application.run() }
    }
}
