import ArgumentParser
import TablecastServer

/// Options every command that serves and journals shares: when clients get an event relative to its commit, and
/// how far the journal may fall behind.
struct JournalOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "When clients get an event: async (at once) or committed (once its journal transaction has committed).",
        discussion: """
            async broadcasts at once and journals behind: a kill -9 can lose what clients got in the last \
            transaction (at most one batch, 1,000 events). committed broadcasts an event only once it is committed, \
            so after a kill -9 the journal holds every event any client received.
            """
    ))
    var durability: Durability = .async

    @Option(help: """
        How far the journal may fall behind (e.g. 64MiB) before emits and REST writes are answered 503 with \
        Retry-After and the simulation or replay waits.
        """)
    var journalBacklog = "64MiB"

    func validate() throws {
        guard CommandLineUnits.byteSize(self.journalBacklog) != nil else {
            throw ValidationError("--journal-backlog must be a positive size such as 64MiB, got '\(self.journalBacklog)'")
        }
    }

    /// Sets the journal options of a serving configuration.
    func apply(to configuration: inout ServeApplication.Configuration) {
        configuration.durability = self.durability
        configuration.maxJournalBacklogBytes = CommandLineUnits.byteSize(self.journalBacklog) ?? configuration
            .maxJournalBacklogBytes
    }
}

extension Durability: ExpressibleByArgument {}
