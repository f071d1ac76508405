import Foundation
import SocketIOServer
import Testing
@testable import TablecastServer

@Suite(.serialized, .timeLimit(.minutes(1)))
struct ForcedDisconnectTests {
    @Test func transportModeClosesTheChosenClientsAndTheOthersKeepReceivingEvents() async throws {
        let journal = TemporaryJournal()
        defer { journal.cleanUp() }
        try await withServeApplication(journalPath: journal.path) { port, application in
            var sockets: [TestWebSocket] = []
            for _ in 0..<4 {
                sockets.append(try await Self.joinEvents(port: port))
            }
            let engine = application.socketIO.engine
            #expect(engine.broadcaster?.subscribers == 4)
            #expect(engine.forceDisconnect(count: 2, mode: .transport) == 2)
            try application.pipeline.emit(name: "order:created", payload: Array(#"{"id":1}"#.utf8))
            var closed = 0
            var delivered = 0
            for socket in sockets {
                // A closed connection ends without further text frames: no Engine.IO close packet on a WebSocket.
                let frames = try await socket.receive(1)
                if frames.isEmpty {
                    closed += 1
                } else {
                    #expect(frames == [#"42/events,["order:created",{"id":1}]"#])
                    delivered += 1
                }
                await socket.close()
            }
            #expect(closed == 2)
            #expect(delivered == 2)
        }
    }

    @Test func namespaceModeSendsDisconnectAndKeepsTheEngineIOSessionOpen() async throws {
        let journal = TemporaryJournal()
        defer { journal.cleanUp() }
        try await withServeApplication(journalPath: journal.path) { port, application in
            let socket = try await Self.joinEvents(port: port)
            let engine = application.socketIO.engine
            #expect(try await Self.health(port: port).contains(#""clients":1,"#))
            #expect(engine.forceDisconnect(count: 1, mode: .namespace) == 1)
            #expect(try await socket.receive(1) == ["41/events,"])
            // The subscription ended before the DISCONNECT was written.
            #expect(try await Self.health(port: port).contains(#""clients":0,"#))
            #expect(engine.sessionCount == 1)
            try application.pipeline.emit(name: "order:created", payload: Array(#"{"id":1}"#.utf8))
            // The same Engine.IO session answers a new CONNECT; the event emitted while out of the namespace is not
            // delivered, before or after it.
            try await socket.send("40/events,")
            let rejoined = try await socket.receive(1)
            #expect(rejoined.first?.hasPrefix(#"40/events,{"sid":""#) == true)
            try application.pipeline.emit(name: "order:created", payload: Array(#"{"id":2}"#.utf8))
            #expect(try await socket.receive(1) == [#"42/events,["order:created",{"id":2}]"#])
            #expect(engine.sessionCount == 1)
            await socket.close()
        }
    }

    @Test func namespaceModeAnswersAHeldPollWithTheDisconnectPacket() async throws {
        let journal = TemporaryJournal()
        defer { journal.cleanUp() }
        try await withServeApplication(journalPath: journal.path) { port, application in
            let base = try await Self.joinEventsByPolling(port: port)
            #expect(application.socketIO.engine.forceDisconnect(count: 1, mode: .namespace) == 1)
            // Queued or answering a held GET, either way the next GET carries it.
            let poll = try await TestHTTP.request("GET", port: port, path: base)
            #expect(poll.body == "41/events,")
            #expect(application.socketIO.engine.sessionCount == 1)
        }
    }

    @Test func transportModeAnswersAHeldPollWithTheClosePacket() async throws {
        let journal = TemporaryJournal()
        defer { journal.cleanUp() }
        try await withServeApplication(journalPath: journal.path) { port, application in
            let base = try await Self.joinEventsByPolling(port: port)
            async let held = TestHTTP.request("GET", port: port, path: base)
            // Time for the GET to reach the server and be held.
            try await Task.sleep(for: .milliseconds(300))
            #expect(application.socketIO.engine.forceDisconnect(count: 1, mode: .transport) == 1)
            #expect(try await held.body == "1")
            #expect(application.socketIO.engine.sessionCount == 0)
        }
    }

    @Test func aCountBeyondTheClientsDisconnectsEveryBroadcastClientAndZeroDisconnectsNone() async throws {
        let journal = TemporaryJournal()
        defer { journal.cleanUp() }
        try await withServeApplication(journalPath: journal.path) { port, application in
            var subscribed: [TestWebSocket] = []
            for _ in 0..<3 {
                subscribed.append(try await Self.joinEvents(port: port))
            }
            // A client on the main namespace only receives no broadcasts: it is not a client to disconnect.
            let bystander = try await TestWebSocket.connect(port: port, path: "/socket.io/?EIO=4&transport=websocket")
            _ = try await bystander.receive(1)
            try await bystander.send("40")
            #expect(try await bystander.receive(1).first?.hasPrefix(#"40{"sid":""#) == true)

            let engine = application.socketIO.engine
            for mode in ForcedDisconnectMode.allCases {
                #expect(engine.forceDisconnect(count: 0, mode: mode) == 0)
            }
            #expect(engine.broadcaster?.subscribers == 3)
            #expect(engine.forceDisconnect(count: 10, mode: .transport) == 3)
            for socket in subscribed {
                #expect(try await socket.receive(1).isEmpty)
                await socket.close()
            }
            #expect(engine.sessionCount == 1)

            // The bystander is untouched; once it joins /events, it counts.
            try await bystander.send("40/events,")
            #expect(try await bystander.receive(1).first?.hasPrefix(#"40/events,{"sid":""#) == true)
            #expect(engine.forceDisconnect(count: 10, mode: .namespace) == 1)
            #expect(try await bystander.receive(1) == ["41/events,"])
            #expect(engine.forceDisconnect(count: 10, mode: .namespace) == 0)
            #expect(engine.broadcaster?.subscribers == 0)
            await bystander.close()
        }
    }

    /// A WebSocket client that has joined `/events`.
    private static func joinEvents(port: Int) async throws -> TestWebSocket {
        let socket = try await TestWebSocket.connect(port: port, path: "/socket.io/?EIO=4&transport=websocket")
        _ = try await socket.receive(1)
        try await socket.send("40/events,")
        let connected = try await socket.receive(1)
        guard connected.first?.hasPrefix(#"40/events,{"sid":""#) == true else {
            throw TestFailure("no CONNECT answer: \(connected)")
        }
        return socket
    }

    /// A long-polling client that has joined `/events`, and has nothing left to read: its path with the `sid`.
    private static func joinEventsByPolling(port: Int) async throws -> String {
        let open = try await TestHTTP.request("GET", port: port, path: "/socket.io/?EIO=4&transport=polling")
        let sid = String(open.body.dropFirst(#"0{"sid":""#.count).prefix(20))
        let base = "/socket.io/?EIO=4&transport=polling&sid=\(sid)"
        _ = try await TestHTTP.request("POST", port: port, path: base, body: "40/events,")
        let connected = try await TestHTTP.request("GET", port: port, path: base)
        guard connected.body.hasPrefix(#"40/events,{"sid":""#) else {
            throw TestFailure("no CONNECT answer: \(connected.body)")
        }
        return base
    }

    private static func health(port: Int) async throws -> String {
        try await TestHTTP.request("GET", port: port, path: "/_tablecast/health").body
    }
}
