import Journal
import NIOPosix
import ServiceLifecycle
import SocketIOServer

/// Keeps the journal open while the server runs; on graceful shutdown (which comes last) commits everything.
struct JournalService: Service {
    let journal: JournalWriter

    func run() async throws {
        // Returns on graceful shutdown, throws on cancellation: either way the journal must be closed.
        let shutdownError: (any Error)?
        do {
            try await gracefulShutdown()
            shutdownError = nil
        } catch {
            shutdownError = error
        }
        // Closing waits for the writer thread's last commit: blocking work, kept off the cooperative pool.
        try await NIOThreadPool.singleton.runIfActive { [journal] in
            try journal.close()
        }
        if let shutdownError {
            throw shutdownError
        }
    }
}

/// On graceful shutdown (which comes first), closes every Engine.IO session so that held polls and WebSockets end
/// and the HTTP server can drain.
struct EngineShutdownService: Service {
    let engines: [EngineServer]

    func run() async throws {
        try? await gracefulShutdown()
        for engine in self.engines {
            engine.closeAllSessions()
        }
    }
}
