import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import SocketIOClient
import TablecastServer

/// Runs `serve` in-process on 127.0.0.1 port 0 with a temporary journal, calls `body` with the bound port, then
/// shuts down gracefully and removes the journal. (A copy of TablecastServerTests' helper.)
func withServeApplication<T: Sendable>(
    engine: ServeApplication.Configuration = ServeApplication.Configuration(),
    _ body: @Sendable (_ port: Int, _ application: ServeApplication) async throws -> T
) async throws -> T {
    let journalPath = FileManager.default.temporaryDirectory
        .appendingPathComponent("tablecast-client-test-\(UUID().uuidString).sqlite").path
    defer {
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: journalPath + suffix)
        }
    }
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    var configuration = engine
    configuration.journalPath = journalPath
    configuration.listen = ListenConfiguration(host: "127.0.0.1", port: 0) { _, port in
        continuation.yield(port)
        continuation.finish()
    }
    var logger = Logger(label: "tablecast-client-test")
    logger.logLevel = .warning
    let application = try ServeApplication(configuration: configuration, logger: logger)
    let group = ServiceGroup(
        configuration: ServiceGroupConfiguration(
            services: application.services.map { .init(service: $0) },
            logger: logger
        )
    )
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw TestFailure("the server did not start") }
        let result: Result<T, any Error>
        do {
            result = .success(try await body(port, application))
        } catch {
            result = .failure(error)
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
        return try result.get()
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Collects a client's events in the background, so that tests can wait for a condition with a deadline.
final class EventRecorder: Sendable {
    private let state = NIOLockedValueBox<(events: [SocketIOClientEvent], finished: Bool)>(([], false))
    private let task: Task<Void, Never>

    init(_ client: SocketIOClient) {
        let state = self.state
        self.task = Task {
            for await event in client.events {
                state.withLockedValue { $0.events.append(event) }
            }
            state.withLockedValue { $0.finished = true }
        }
    }

    var events: [SocketIOClientEvent] { self.state.withLockedValue { $0.events } }
    var isFinished: Bool { self.state.withLockedValue { $0.finished } }

    /// The events received, as (name, payload).
    var received: [(name: String, payload: [UInt8])] {
        self.events.compactMap { event in
            if case .event(let name, let payload, _, _) = event {
                return (name, payload)
            }
            return nil
        }
    }

    /// Waits until `condition` holds for the events so far.
    /// - Throws: ``TestFailure`` after `timeout`, listing what arrived.
    func wait(
        for what: String,
        timeout: Duration = .seconds(10),
        _ condition: ([SocketIOClientEvent]) -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(self.events) {
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        let summary = self.events.filter {
            if case .event = $0 { return false }
            return true
        }
        throw TestFailure("timed out waiting for \(what); lifecycle events: \(summary), events: \(self.received.count)")
    }

    /// Waits until the stream has finished.
    func waitUntilFinished(timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !self.isFinished {
            guard ContinuousClock.now < deadline else { throw TestFailure("the event stream did not finish") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

extension [SocketIOClientEvent] {
    var connectedCount: Int {
        self.count(where: { if case .connected = $0 { true } else { false } })
    }

    var eventCount: Int {
        self.count(where: { if case .event = $0 { true } else { false } })
    }
}

func testLogger() -> Logger {
    var logger = Logger(label: "socket.io-client-test")
    logger.logLevel = .warning
    return logger
}
