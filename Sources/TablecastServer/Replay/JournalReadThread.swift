import Journal
import NIOPosix

/// A journal reader on a thread of its own, so that SQLite's reads never block the cooperative thread pool that the
/// server's tasks share. One thread: the SQLite connection is used by one thread at a time.
final class JournalReadThread: Sendable {
    private let pool: NIOThreadPool
    private let confined: Confined

    /// The reader, touched only by the pool's one thread.
    private final class Confined: @unchecked Sendable {
        var reader: JournalReader?
    }

    /// Opens `path` for reading on a new thread.
    init(path: String) async throws {
        self.pool = NIOThreadPool(numberOfThreads: 1)
        self.pool.start()
        self.confined = Confined()
        let confined = self.confined
        do {
            try await self.pool.runIfActive { confined.reader = try JournalReader(path: path) }
        } catch {
            try? await self.pool.shutdownGracefully()
            throw error
        }
    }

    /// Runs `body` with the reader, on its thread.
    func read<Result: Sendable>(_ body: @escaping @Sendable (JournalReader) throws -> Result) async throws -> Result {
        let confined = self.confined
        return try await self.pool.runIfActive { try body(confined.reader!) }
    }

    /// Closes the reader and stops the thread.
    func close() async {
        let confined = self.confined
        _ = try? await self.pool.runIfActive { confined.reader = nil }
        try? await self.pool.shutdownGracefully()
    }
}
