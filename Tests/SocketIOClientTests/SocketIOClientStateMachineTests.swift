import Foundation
import NIOCore
import SocketIOProtocol
import Testing
@testable import SocketIOClient

struct SocketIOClientStateMachineTests {
    static func packet(_ text: String) -> EngineIOPacket {
        try! EngineIOPacket.decodeText(ByteBuffer(string: text))
    }

    static func connectedMachine() -> SocketIOClientStateMachine {
        var machine = SocketIOClientStateMachine(namespace: "/events", auth: Array(#"{"token":"t"}"#.utf8))
        _ = machine.receive(Self.packet(#"0{"sid":"abc","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":1000}"#))
        _ = machine.receive(Self.packet(#"40/events,{"sid":"s1"}"#))
        return machine
    }

    @Test func opensThenSendsConnectWithAuthAndReportsTheSocketID() {
        var machine = SocketIOClientStateMachine(namespace: "/events", auth: Array(#"{"token":"t"}"#.utf8))
        let action = machine.receive(Self.packet(#"0{"sid":"abc","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":1000}"#))
        guard case .opened(let open, let connect) = action else {
            Issue.record("\(action)")
            return
        }
        #expect(open.sid == "abc" && open.upgrades == ["websocket"] && open.pingInterval == 300 && open.pingTimeout == 200)
        #expect(String(buffer: connect.bytes) == #"40/events,{"token":"t"}"#)
        #expect(machine.receive(Self.packet(#"40/events,{"sid":"s1"}"#)) == .connected(socketID: "s1"))
        #expect(machine.receive(Self.packet("2")) == .pong(.pong))
    }

    @Test(arguments: [
        (#"42/events,["a",{"x":1}]"#, "a", #"{"x":1}"#),
        (#"42/events,["a"]"#, "a", ""),
        (#"42/events,["a", 1 , "two",[3]]"#, "a", #"[1 , "two",[3]]"#),
        (#"42/events,7["a","\u00e9"]"#, "a", #""\u00e9""#),
    ])
    func eventPayloadsAreTheBytesReceived(packet: String, name: String, payload: String) {
        var machine = Self.connectedMachine()
        #expect(machine.receive(Self.packet(packet)) == .event(name: name, payload: Array(payload.utf8)))
    }

    @Test func binaryEventsKeepPlaceholdersAndSkipAttachments() {
        var machine = Self.connectedMachine()
        let action = machine.receive(Self.packet(#"451-/events,["bin",{"_placeholder":true,"num":0}]"#))
        #expect(action == .event(name: "bin", payload: Array(#"{"_placeholder":true,"num":0}"#.utf8)))
        #expect(machine.receive(EngineIOPacket(type: .message, data: ByteBuffer(bytes: [1, 2]), isBinary: true)) == .none)
        #expect(machine.receive(Self.packet(#"42/events,["a",1]"#)) == .event(name: "a", payload: Array("1".utf8)))
    }

    @Test func refusalsDisconnectsAndOtherNamespaces() {
        var refused = SocketIOClientStateMachine(namespace: "/nope", auth: nil)
        _ = refused.receive(Self.packet(#"0{"sid":"abc","upgrades":[],"pingInterval":300,"pingTimeout":200}"#))
        #expect(refused.receive(Self.packet(#"44/nope,{"message":"Invalid namespace"}"#))
            == .refused(message: "Invalid namespace"))
        var machine = Self.connectedMachine()
        #expect(machine.receive(Self.packet(#"42["a",1]"#)) == .none)
        #expect(machine.receive(Self.packet("41/events,")) == .serverDisconnect)
        #expect(Self.connectedMachine().leaveFrames.map { String(buffer: $0.bytes) } == ["41/events,", "1"])
    }

    @Test func aFirstPacketOtherThanOpenIsAProtocolError() {
        var machine = SocketIOClientStateMachine(namespace: "/", auth: nil)
        guard case .protocolError = machine.receive(Self.packet("4hello")) else {
            Issue.record("expected a protocol error")
            return
        }
    }

    @Test func endpointsComeFromTheURL() throws {
        let endpoint = try SocketIOEndpoint(url: "http://127.0.0.1:4000/events", path: "/socket.io")
        #expect(endpoint.host == "127.0.0.1" && endpoint.port == 4000 && endpoint.namespace == "/events")
        #expect(endpoint.uri(transport: .polling, sid: "x") == "/socket.io/?EIO=4&transport=polling&sid=x")
        #expect(try SocketIOEndpoint(url: "http://localhost", path: "/socket.io/").namespace == "/")
        #expect(throws: SocketIOClientError.self) { try SocketIOEndpoint(url: "https://x", path: "/") }
    }

    @Test func backoffGrowsIsCappedAndJitters() {
        var generator = SystemRandomNumberGenerator()
        let policy = SocketIOClientConfiguration.Reconnect()
        for attempt in 0..<10 {
            let delay = ReconnectBackoff.delay(attempt: attempt, policy: policy, using: &generator)
            let base = min(500.0 * pow(2, Double(attempt)), 5000)
            #expect(Double(delay.nanoseconds) / 1e6 >= base * 0.5 - 1)
            #expect(Double(delay.nanoseconds) / 1e6 <= min(base * 1.5, 5000) + 1)
        }
    }
}
