import Foundation
import Journal
import Testing
@testable import TablecastServer

@Suite(.serialized)
struct ServeIntegrationTests {
    @Test func webSocketClientReceivesEveryEventInOrderIdenticalToTheJournal() async throws {
        let journal = TemporaryJournal()
        defer { journal.cleanUp() }
        let payloads: [String] = (0..<300).map { index in
            #"{"id":\#(index),"note":"a/b ünï €","nested":{"z":1,"a":[true,null]}}"#
        }
        let received = try await withServeApplication(journalPath: journal.path) { port, application in
            let socket = try await TestWebSocket.connect(port: port, path: "/socket.io/?EIO=4&transport=websocket")
            let open = try await socket.receive(1)
            #expect(open.first?.hasPrefix(#"0{"sid":""#) == true)
            #expect(open.first?.contains(#""upgrades":[],"pingInterval":25000,"pingTimeout":20000"#) == true)
            try await socket.send("40/events,")
            let connected = try await socket.receive(1)
            #expect(connected.first?.hasPrefix(#"40/events,{"sid":""#) == true)
            for (index, payload) in payloads.enumerated() {
                let seq = try application.pipeline.emit(name: index % 2 == 0 ? "order:created" : "menu.updated",
                                                   payload: Array(payload.utf8)).seq
                #expect(seq == Int64(index + 1))
            }
            let frames = try await socket.receive(payloads.count)
            await socket.close()
            return frames
        }
        #expect(received.count == payloads.count)
        let reader = try JournalReader(path: journal.path)
        let runID = try #require(try reader.latestRunID())
        let rows = try reader.events(runID: runID)
        #expect(rows.count == payloads.count)
        for (index, row) in rows.enumerated() {
            #expect(row.seq == Int64(index + 1))
            #expect(row.namespace == "/events")
            #expect(row.payload == Array(payloads[index].utf8))
            #expect(received[index] == "42/events,[\"\(row.name)\",\(String(decoding: row.payload, as: UTF8.self))]")
        }
    }

    @Test func pollingSessionReceivesEventsAndHandshakeErrorsMatchTheReference() async throws {
        let journal = TemporaryJournal()
        defer { journal.cleanUp() }
        try await withServeApplication(journalPath: journal.path) { port, application in
            let open = try await TestHTTP.request("GET", port: port, path: "/socket.io/?EIO=4&transport=polling")
            #expect(open.status == 200)
            #expect(open.body.hasPrefix(#"0{"sid":""#))
            #expect(open.body.contains(#""upgrades":["websocket"]"#))
            let sid = String(open.body.dropFirst(#"0{"sid":""#.count).prefix(20))
            let base = "/socket.io/?EIO=4&transport=polling&sid=\(sid)"
            let post = try await TestHTTP.request("POST", port: port, path: base, body: "40/events,")
            #expect(post.status == 200 && post.body == "ok")
            let connected = try await TestHTTP.request("GET", port: port, path: base)
            #expect(connected.body.hasPrefix(#"40/events,{"sid":""#))
            try application.pipeline.emit(name: "table:activated", payload: Array(#"{"tableNumber":7}"#.utf8))
            try application.pipeline.emit(name: "table:activated", payload: Array(#"{"tableNumber":8}"#.utf8))
            var body = ""
            while body.components(separatedBy: "\u{1e}").count < 2 {
                let poll = try await TestHTTP.request("GET", port: port, path: base)
                body += (body.isEmpty ? "" : "\u{1e}") + poll.body
            }
            #expect(body == #"42/events,["table:activated",{"tableNumber":7}]"# + "\u{1e}"
                + #"42/events,["table:activated",{"tableNumber":8}]"#)
            let health = try await TestHTTP.request("GET", port: port, path: "/_tablecast/health")
            #expect(health.body == #"{"status":"ok","clients":1,"lastSeq":2}"#)

            let unknownTransport = try await TestHTTP.request("GET", port: port,
                                                              path: "/socket.io/?EIO=4&transport=carrier-pigeon")
            #expect(unknownTransport.status == 400)
            #expect(unknownTransport.body == #"{"code":0,"message":"Transport unknown"}"#)
            let unknownSID = try await TestHTTP.request("GET", port: port,
                                                        path: "/socket.io/?EIO=4&transport=polling&sid=nope")
            #expect(unknownSID.body == #"{"code":1,"message":"Session ID unknown"}"#)
            let badMethod = try await TestHTTP.request("POST", port: port, path: "/socket.io/?EIO=4&transport=polling",
                                                       body: "40")
            #expect(badMethod.body == #"{"code":2,"message":"Bad handshake method"}"#)
            let oldProtocol = try await TestHTTP.request("GET", port: port, path: "/socket.io/?EIO=3&transport=polling")
            #expect(oldProtocol.body == #"{"code":5,"message":"Unsupported protocol version"}"#)
            #expect(oldProtocol.headers["content-type"] == "application/json")
        }
    }

    @Test func malformedPacketClosesOnlyThatConnection() async throws {
        let journal = TemporaryJournal()
        defer { journal.cleanUp() }
        try await withServeApplication(journalPath: journal.path) { port, application in
            let good = try await TestWebSocket.connect(port: port, path: "/socket.io/?EIO=4&transport=websocket")
            let bad = try await TestWebSocket.connect(port: port, path: "/socket.io/?EIO=4&transport=websocket")
            for socket in [good, bad] {
                _ = try await socket.receive(1)
                try await socket.send("40/events,")
                _ = try await socket.receive(1)
            }
            try await bad.send(#"42/events,["unclosed"#)
            // The server closes the bad connection: its stream ends without further text frames.
            let afterGarbage = try await bad.receive(1)
            #expect(afterGarbage.isEmpty)
            try application.pipeline.emit(name: "newMessage", payload: Array("{}".utf8))
            let delivered = try await good.receive(1)
            #expect(delivered == [#"42/events,["newMessage",{}]"#])
            await good.close()
        }
    }

    @Test func unknownNamespaceGetsTheReferenceConnectError() async throws {
        let journal = TemporaryJournal()
        defer { journal.cleanUp() }
        try await withServeApplication(journalPath: journal.path) { port, _ in
            let socket = try await TestWebSocket.connect(port: port, path: "/socket.io/?EIO=4&transport=websocket")
            _ = try await socket.receive(1)
            try await socket.send("40/nope,")
            #expect(try await socket.receive(1) == [#"44/nope,{"message":"Invalid namespace"}"#])
            try await socket.send("40")
            let main = try await socket.receive(1)
            #expect(main.first?.hasPrefix(#"40{"sid":""#) == true)
            await socket.close()
        }
    }
}
