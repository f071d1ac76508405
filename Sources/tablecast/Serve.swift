import ArgumentParser
import Foundation
import Journal
import TablecastServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the /events Socket.IO namespace and journal every emission.",
        discussion: """
            Clients connect to http://HOST:PORT/events with any Socket.IO v4 client. The default scenario \
            simulates a moderate lunch; the REST API and /_tablecast/emit add events by hand. Every event is \
            broadcast to every client and written to the journal. SIGINT or SIGTERM shuts down gracefully: \
            clients are closed and the journal is committed.
            """
    )

    @OptionGroup var server: ServerOptions

    @OptionGroup var journalOptions: JournalOptions

    @OptionGroup(title: "Redis") var redisOptions: RedisOptions

    @Option(help: "The SQLite journal file; created if missing, a new run is appended otherwise.")
    var journal = "tablecast.sqlite"

    @Option(help: "Milliseconds between Engine.IO pings.")
    var pingInterval = 25_000

    @Option(help: "Milliseconds a client has to answer a ping.")
    var pingTimeout = 20_000

    @Option(help: "The largest message, in bytes, a client may send.")
    var maxPayload = 1_000_000

    @Option(help: "A restaurant definition (YAML: tables, menu, staff), replacing the scenario's restaurant.")
    var restaurant: String?

    @Option(help: "The traffic to simulate: a shipped scenario (default, dinner-rush, steady-load) or a file.")
    var scenario = "default"

    @Flag(help: "Simulate no traffic: events come from the REST API and /_tablecast/emit only.")
    var idle = false

    @Option(help: "Hold this event rate instead of the scenario's pace, e.g. 5000/s.")
    var rate: String?

    @Option(help: "Run the scenario this many times faster than real time, e.g. 60x.")
    var timeScale: String?

    func validate() throws {
        guard self.pingInterval > 0 else { throw ValidationError("--ping-interval must be positive") }
        guard self.pingTimeout > 0 else { throw ValidationError("--ping-timeout must be positive") }
        guard self.maxPayload > 0 else { throw ValidationError("--max-payload must be positive") }
        if let rate = self.rate, CommandLineUnits.rate(rate) == nil {
            throw ValidationError("--rate must be a positive rate such as 5000/s or 300/min, got '\(rate)'")
        }
        if let timeScale = self.timeScale, CommandLineUnits.timeScale(timeScale) == nil {
            throw ValidationError("--time-scale must be a positive factor such as 60x, got '\(timeScale)'")
        }
        if self.rate != nil, self.timeScale != nil {
            throw ValidationError("give --rate or --time-scale, not both")
        }
        if self.redisOptions.follow, self.rate != nil || self.timeScale != nil {
            throw ValidationError("a follower runs no simulation of its own: --rate and --time-scale do not apply")
        }
        if self.idle, self.rate != nil || self.timeScale != nil {
            throw ValidationError("--idle runs no traffic: --rate and --time-scale do not apply")
        }
    }

    func run() async throws {
        let logger = self.server.makeLogger()
        let application: ServeApplication
        do {
            var configuration = try ServeApplication.Configuration(
                listen: try self.server.listen(logger: logger),
                journalPath: self.journal,
                pingInterval: self.pingInterval,
                pingTimeout: self.pingTimeout,
                maxPayload: self.maxPayload,
                restaurantPath: self.restaurant,
                scenario: self.idle ? nil : self.scenario,
                rate: self.rate.flatMap(CommandLineUnits.rate),
                timeScale: self.timeScale.flatMap(CommandLineUnits.timeScale)
            )
            configuration.controlToken = self.server.resolvedControlToken
            self.journalOptions.apply(to: &configuration)
            try self.redisOptions.apply(to: &configuration)
            application = try ServeApplication(configuration: configuration, logger: logger)
        } catch {
            // A journal or a definition that cannot be opened is the user's to fix: one clear line, no usage text, a
            // failing status.
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
        try await self.server.runReportingErrors { try await application.run() }
    }
}

struct ConformanceServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conformance-server",
        abstract: "Run the servers the official Engine.IO and Socket.IO protocol test suites expect.",
        discussion: """
            Configured as the test suites' README describes the reference servers: pingInterval 300, pingTimeout \
            200, maxPayload 1000000, connectTimeout 1000, CORS *. /socket.io/ serves namespaces / and /custom; \
            /engine.io/ echoes every message.
            """
    )

    @OptionGroup var server: ServerOptions

    func run() async throws {
        let logger = self.server.makeLogger()
        let application = ConformanceApplication(listen: try self.server.listen(logger: logger), logger: logger)
        try await self.server.runReportingErrors { try await application.run() }
    }
}
