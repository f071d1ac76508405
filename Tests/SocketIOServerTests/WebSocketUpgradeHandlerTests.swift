import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1
import NIOWebSocket
import SocketIOProtocol
import Testing

@testable import SocketIOServer

struct WebSocketUpgradeHandlerTests {
    static func engine(_ harness: EmbeddedHarness) -> EngineServer {
        EngineServer(path: "/engine.io/", configuration: quietConfiguration, broadcaster: nil,
                     logger: harness.logger) { _ in EngineIOEchoDelegate() }
    }

    @Test func aValidUpgradeSwapsTheHTTPHandlersForTheWebSocketOnes() throws {
        try withEmbeddedHarness { harness in
            let engine = Self.engine(harness)
            let connection = try harness.connect(to: [engine])
            #expect(connection.has(WebSocketUpgradeHandler.self))
            #expect(connection.has(HTTPConnectionGuard.self))

            try connection.sendUpgrade("/engine.io/?EIO=4&transport=websocket")
            let response = try #require(try connection.readHTTPResponse())
            #expect(response.status == 101)
            #expect(response.headers["sec-websocket-accept"] == EmbeddedConnection.accept)
            #expect(response.headers["upgrade"]?.lowercased() == "websocket")

            // Nothing of HTTP is left: the codec, the guard and its timers, the upgrade handler itself.
            #expect(!connection.has(HTTPResponseEncoder.self))
            #expect(!connection.has(ByteToMessageHandler<HTTPRequestDecoder>.self))
            #expect(!connection.has(HTTP1ToHTTPServerCodec.self))
            #expect(!connection.has(HTTPConnectionGuard.self))
            #expect(!connection.has(WebSocketUpgradeHandler.self))
            #expect(connection.has(RawFrameWriter.self))
            #expect(connection.has(WebSocketFrameEncoder.self))
            #expect(connection.has(ByteToMessageHandler<WebSocketFrameDecoder>.self))
            #expect(connection.has(WebSocketInboundHandler.self))
            #expect(connection.has(WebSocketConnectionHandler.self))
            guard case .webSocket = try connection.route.wait() else {
                Issue.record("the connection was not routed as a WebSocket")
                return
            }

            // The session opened on the WebSocket, and its frames now go through the WebSocket handlers.
            let open = try connection.readFrames()
            #expect(open.count == 1)
            #expect(open.first?.text.hasPrefix("0{\"sid\":") == true)
            #expect(open.first?.text.contains("\"upgrades\":[]") == true)
            #expect(engine.sessionCount == 1)
            try connection.sendText("4hello")
            #expect(try connection.readFrames() == [.text("4hello")])
        }
    }

    enum RefusedUpgrade: String, CaseIterable, Sendable {
        case keyTooShort
        case keyNotSixteenBytes
        case keyMissing
        case versionNot13
        case unknownSession
        case unsupportedProtocolVersion
        case notTheWebSocketTransport

        var error: EngineIOServerError {
            switch self {
            case .keyTooShort, .keyNotSixteenBytes, .keyMissing, .versionNot13: .badRequest
            case .unknownSession: .unknownSession
            case .unsupportedProtocolVersion: .unsupportedProtocolVersion
            case .notTheWebSocketTransport: .unknownTransport
            }
        }

        func send(on connection: EmbeddedConnection) throws {
            let valid = "/engine.io/?EIO=4&transport=websocket"
            switch self {
            case .keyTooShort:
                try connection.sendUpgrade(valid, key: "dGhlIHNhbXBsZQ==")
            case .keyNotSixteenBytes:
                // 24 characters, but 18 bytes.
                try connection.sendUpgrade(valid, key: "AAAAAAAAAAAAAAAAAAAAAAAA")
            case .keyMissing:
                try connection.sendUpgrade(valid, key: nil)
            case .versionNot13:
                try connection.sendUpgrade(valid, version: "8")
            case .unknownSession:
                try connection.sendUpgrade("/engine.io/?EIO=4&transport=websocket&sid=AAAAAAAAAAAAAAAAAAAA")
            case .unsupportedProtocolVersion:
                try connection.sendUpgrade("/engine.io/?EIO=3&transport=websocket")
            case .notTheWebSocketTransport:
                try connection.sendUpgrade("/engine.io/?EIO=4&transport=polling")
            }
        }
    }

    @Test(arguments: RefusedUpgrade.allCases)
    func aRefusedUpgradeGetsItsErrorAndTheConnectionCloses(_ refused: RefusedUpgrade) throws {
        try withEmbeddedHarness { harness in
            let engine = Self.engine(harness)
            let connection = try harness.connect(to: [engine])
            try refused.send(on: connection)

            let response = try #require(try connection.readHTTPResponse())
            #expect(response.status == 400)
            #expect(response.headers["connection"] == "close")
            #expect(response.headers["content-type"] == "application/json")
            #expect(response.body == refused.error.jsonBody)
            // Nothing after the answer (the encoder may end it with an empty write).
            #expect(try connection.readWrites().allSatisfy { $0.readableBytes == 0 })
            #expect(!connection.isActive)
            guard case .closed = try connection.route.wait() else {
                Issue.record("a refused connection was routed somewhere")
                return
            }
            #expect(!connection.has(WebSocketConnectionHandler.self))
            #expect(engine.sessionCount == 0)
        }
    }
}
