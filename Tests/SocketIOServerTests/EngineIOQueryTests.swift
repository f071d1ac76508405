import Testing

@testable import SocketIOServer

struct EngineIOQueryTests {
    @Test func validEscapesAreDecodedAndTheFirstOccurrenceWins() {
        let parameters = EngineIOQuery.parameters(of: "/socket.io/?EIO=4&transport=polling&sid=a%2Fb&t=x+y&EIO=3")
        #expect(parameters == ["EIO": "4", "transport": "polling", "sid": "a/b", "t": "x y"])
    }

    @Test func anInvalidEscapeStaysAsWrittenAsNodeKeepsIt() {
        let parameters = EngineIOQuery.parameters(of: "/?a=%zz&b=%41%2&c=%+f&d=100%&e=%4")
        #expect(parameters == ["a": "%zz", "b": "A%2", "c": "% f", "d": "100%", "e": "%4"])
    }

    @Test func thePathIsWhatPrecedesTheQuery() {
        #expect(EngineIOQuery.path(of: "/socket.io/?EIO=4") == "/socket.io/")
        #expect(EngineIOQuery.path(of: "/socket.io/") == "/socket.io/")
    }
}
