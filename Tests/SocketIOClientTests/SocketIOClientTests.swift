import NIOCore
import SocketIOClient
import SocketIOServer
import Testing
import TablecastServer

@Suite(.serialized, .timeLimit(.minutes(1)))
struct SocketIOClientTests {
    /// Distinct payloads with escapes, non-ASCII and whitespace, so that any re-encoding would show.
    static func payload(_ index: Int) -> [UInt8] {
        Array(#"{"id":\#(index), "note":"caf\u00e9 / é \"q\"","list":[1, 2.50,true,null]}"#.utf8)
    }

    static func emit(_ application: ServeApplication, _ range: Range<Int>) throws {
        for index in range {
            try application.pipeline.emit(name: "order:created", payload: Self.payload(index))
        }
    }

    static func expectInOrder(_ recorder: EventRecorder, count: Int) {
        let received = recorder.received
        #expect(received.count == count)
        for (index, event) in received.enumerated() {
            #expect(event.name == "order:created")
            #expect(event.payload == Self.payload(index), "event \(index)")
        }
    }

    static func client(port: Int, namespace: String = "/events", transport: SocketIOClientConfiguration.Transport,
                       reconnect: SocketIOClientConfiguration.Reconnect = .init()) -> SocketIOClient {
        SocketIOClient(
            configuration: SocketIOClientConfiguration(url: "http://127.0.0.1:\(port)\(namespace)",
                                                       transport: transport, reconnect: reconnect,
                                                       connectTimeout: .seconds(5)),
            logger: testLogger()
        )
    }

    @Test(arguments: [SocketIOClientConfiguration.Transport.websocket, .polling])
    func receivesEventsInOrderWithTheirExactBytes(transport: SocketIOClientConfiguration.Transport) async throws {
        try await withServeApplication { port, application in
            let client = Self.client(port: port, transport: transport)
            let recorder = EventRecorder(client)
            client.start()
            try await recorder.wait(for: "connected") { $0.connectedCount == 1 }
            let expectedTransport: TransportKind = transport == .websocket ? .websocket : .polling
            guard case .connected(let sid, let kind) = recorder.events.first else {
                Issue.record("first event: \(String(describing: recorder.events.first))")
                return
            }
            #expect(!sid.isEmpty)
            #expect(kind == expectedTransport)
            try Self.emit(application, 0..<200)
            try await recorder.wait(for: "200 events") { $0.eventCount >= 200 }
            Self.expectInOrder(recorder, count: 200)
            await client.stop()
            try await recorder.waitUntilFinished()
            #expect(recorder.events.last == .disconnected(reason: "io client disconnect", willReconnect: false,
                                                          atWallMillis: lastWallMillis(recorder)))
        }
    }

    @Test func upgradesFromPollingToWebSocketWithoutLosingOrRepeatingEvents() async throws {
        try await withServeApplication { port, application in
            let client = Self.client(port: port, transport: .pollingWithUpgrade)
            let recorder = EventRecorder(client)
            client.start()
            try await recorder.wait(for: "connected") { $0.connectedCount == 1 }
            #expect(recorder.events.first.map { if case .connected(_, .polling) = $0 { true } else { false } } == true)
            // Events keep coming while the client probes and switches.
            for batch in 0..<20 {
                try Self.emit(application, (batch * 10)..<(batch * 10 + 10))
                try await Task.sleep(for: .milliseconds(5))
            }
            try await recorder.wait(for: "the upgrade") { $0.contains(.upgraded(to: .websocket)) }
            try await recorder.wait(for: "200 events") { $0.eventCount >= 200 }
            try Self.emit(application, 200..<210)
            try await recorder.wait(for: "210 events") { $0.eventCount >= 210 }
            try await Task.sleep(for: .milliseconds(100))
            Self.expectInOrder(recorder, count: 210)
            await client.stop()
        }
    }

    @Test func reconnectsAfterTheServerDropsTheTransport() async throws {
        try await withServeApplication { port, application in
            let client = Self.client(port: port, transport: .websocket,
                                     reconnect: .init(initialDelay: .milliseconds(50)))
            let recorder = EventRecorder(client)
            client.start()
            try await recorder.wait(for: "connected") { $0.connectedCount == 1 }
            try Self.emit(application, 0..<5)
            try await recorder.wait(for: "5 events") { $0.eventCount >= 5 }
            #expect(application.socketIO.engine.forceDisconnect(count: 1, mode: .transport) == 1)
            try await recorder.wait(for: "a second connect") { $0.connectedCount == 2 }
            let lifecycle = recorder.events.filter { if case .event = $0 { false } else { true } }
            #expect(lifecycle.count == 3)
            if case .disconnected(let reason, let willReconnect, _) = lifecycle[1] {
                #expect(reason == "transport close")
                #expect(willReconnect)
            } else {
                Issue.record("expected a disconnect, got \(lifecycle[1])")
            }
            try Self.emit(application, 5..<10)
            try await recorder.wait(for: "10 events") { $0.eventCount >= 10 }
            Self.expectInOrder(recorder, count: 10)
            await client.stop()
        }
    }

    @Test(arguments: [SocketIOClientConfiguration.Transport.websocket, .pollingWithUpgrade])
    func reportsARefusedNamespaceWithTheServersMessageAndGivesUp(
        transport: SocketIOClientConfiguration.Transport
    ) async throws {
        try await withServeApplication { port, _ in
            let client = Self.client(port: port, namespace: "/nope", transport: transport)
            let recorder = EventRecorder(client)
            client.start()
            try await recorder.waitUntilFinished()
            #expect(recorder.events == [
                .connectFailed(reason: "namespace /nope refused: Invalid namespace", willRetry: false)
            ])
        }
    }

    @Test func reportsAnUnreachableServerAndRetriesPerThePolicy() async throws {
        // Port 1 on loopback: nothing listens there.
        let client = Self.client(port: 1, transport: .pollingWithUpgrade,
                                 reconnect: .init(initialDelay: .milliseconds(20), maximumAttempts: 1))
        let recorder = EventRecorder(client)
        client.start()
        try await recorder.waitUntilFinished()
        let events = recorder.events
        #expect(events.count == 2)
        for (index, event) in events.enumerated() {
            guard case .connectFailed(let reason, let willRetry) = event else {
                Issue.record("unexpected \(event)")
                continue
            }
            #expect(reason.contains("connection refused"), "\(reason)")
            #expect(willRetry == (index == 0))
        }
    }

    @Test(arguments: [
        ("/_tablecast/health", SocketIOClientConfiguration.Transport.polling),
        ("/not-here/", .polling),
        ("/not-here/", .websocket),
    ])
    func reportsAServerThatIsNotSocketIO(path: String, transport: SocketIOClientConfiguration.Transport) async throws {
        try await withServeApplication { port, _ in
            let client = SocketIOClient(
                configuration: SocketIOClientConfiguration(url: "http://127.0.0.1:\(port)/events", path: path,
                                                           transport: transport, reconnect: .disabled),
                logger: testLogger()
            )
            let recorder = EventRecorder(client)
            client.start()
            try await recorder.waitUntilFinished()
            let events = recorder.events
            #expect(events.count == 1)
            if case .connectFailed(let reason, let willRetry) = events.first {
                #expect(reason.contains("is not a Socket.IO server: HTTP"), "\(reason)")
                #expect(!willRetry)
            } else {
                Issue.record("unexpected \(events)")
            }
        }
    }

    @Test(arguments: [SocketIOClientConfiguration.Transport.websocket, .polling])
    func doesNotReconnectWhenTheServerDisconnectsTheNamespace(
        transport: SocketIOClientConfiguration.Transport
    ) async throws {
        try await withServeApplication { port, application in
            let client = Self.client(port: port, transport: transport)
            let recorder = EventRecorder(client)
            client.start()
            try await recorder.wait(for: "connected") { $0.connectedCount == 1 }
            #expect(application.socketIO.engine.forceDisconnect(count: 1, mode: .namespace) == 1)
            try await recorder.waitUntilFinished()
            let events = recorder.events
            #expect(events.count == 2)
            if case .disconnected(let reason, let willReconnect, _) = events.last {
                #expect(reason == "io server disconnect")
                #expect(!willReconnect)
            } else {
                Issue.record("unexpected \(events)")
            }
            // The client closed its Engine.IO session too.
            let deadline = ContinuousClock.now + .seconds(5)
            while application.socketIO.engine.sessionCount > 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(application.socketIO.engine.sessionCount == 0)
        }
    }
}

private func lastWallMillis(_ recorder: EventRecorder) -> Int64 {
    if case .disconnected(_, _, let millis) = recorder.events.last {
        return millis
    }
    return -1
}
