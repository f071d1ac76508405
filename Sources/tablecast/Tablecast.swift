import ArgumentParser

@main
struct Tablecast: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tablecast",
        abstract: "A Socket.IO server that serves, simulates and journals a restaurant's /events stream.",
        version: "0.1.0",
        subcommands: [Serve.self, Simulate.self, Record.self, Replay.self, Load.self, ConformanceServer.self, JournalCommand.self, Contract.self]
    )
}
