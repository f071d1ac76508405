import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import SocketIOServer

/// The Socket.IO layer over WebSocket sessions of the real pipeline.
struct SocketIOConnectionTests {
    @Test func aConnectToAnUnknownNamespaceGetsConnectErrorAndTheSessionStaysOpen() throws {
        try withEmbeddedHarness { harness in
            let server = harness.socketIOServer(broadcaster: nil)
            let connection = try harness.connect(to: [server.engine])
            _ = try connection.openWebSocketSession()

            try connection.sendText("40/nope,")
            #expect(try connection.readFrames() == [.text(#"44/nope,{"message":"Invalid namespace"}"#)])
            #expect(connection.isActive)
            // The same session may still join a namespace that exists.
            try connection.sendText("40/events,")
            #expect(try connection.readFrames().first?.text.hasPrefix("40/events,{\"sid\":") == true)
            #expect(server.engine.sessionCount == 1)
        }
    }

    @Test func aSessionThatSendsNoConnectIsClosedAtTheConnectTimeout() throws {
        try withEmbeddedHarness { harness in
            let server = harness.socketIOServer(broadcaster: nil, connectTimeout: .seconds(5))
            let silent = try harness.connect(to: [server.engine])
            _ = try silent.openWebSocketSession()
            let joined = try harness.connect(to: [server.engine])
            _ = try joined.openWebSocketSession()
            try joined.sendText("40")
            #expect(try joined.readFrames().first?.text.hasPrefix("40{\"sid\":") == true)

            harness.loop.advanceTime(by: .milliseconds(4999))
            #expect(silent.isActive)
            #expect(try silent.readFrames().isEmpty)
            harness.loop.advanceTime(by: .milliseconds(1))
            #expect(try silent.readFrames() == [.normalClosure])
            #expect(!silent.isActive)
            #expect(harness.logs.closeReasons(at: .info) == ["connect timeout"])
            // The one that joined in time is left alone.
            #expect(joined.isActive)
            #expect(server.engine.sessionCount == 1)
        }
    }

    enum Malformed: String, CaseIterable, Sendable {
        /// A Socket.IO packet of an unknown type.
        case socketIOPacketType
        /// An Engine.IO packet of an unknown type.
        case engineIOPacketType
        /// A binary attachment that no BINARY_EVENT announced.
        case unannouncedAttachment
        /// An EVENT whose namespace was never joined.
        case eventBeforeConnect

        func send(on connection: EmbeddedConnection) throws {
            switch self {
            case .socketIOPacketType: try connection.sendText("4Z")
            case .engineIOPacketType: try connection.sendText("x")
            case .unannouncedAttachment: try connection.sendBinary([1, 2, 3])
            case .eventBeforeConnect: try connection.sendText(#"42/other,["e"]"#)
            }
        }
    }

    @Test(arguments: Malformed.allCases)
    func aMalformedPacketClosesThatConnectionOnly(_ malformed: Malformed) throws {
        try withEmbeddedHarness { harness in
            let server = harness.socketIOServer(broadcaster: nil)
            let bad = try harness.connect(to: [server.engine])
            _ = try bad.openWebSocketSession()
            let good = try harness.connect(to: [server.engine])
            _ = try good.openWebSocketSession()
            for connection in [bad, good] {
                try connection.sendText("40/events,")
                #expect(try connection.readFrames().count == 1)
            }

            try malformed.send(on: bad)
            #expect(try bad.readFrames() == [.normalClosure])
            #expect(!bad.isActive)
            #expect(harness.logs.closeReasons(at: .info) == ["parse error"])

            #expect(good.isActive)
            #expect(server.engine.sessionCount == 1)
            try good.sendText("40")
            #expect(try good.readFrames().first?.text.hasPrefix("40{\"sid\":") == true)
        }
    }
}
