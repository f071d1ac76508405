import Simulator
import SocketIOProtocol
import Testing
@testable import TablecastServer

struct FaultRequestTests {
    private func parse(_ text: String) throws -> Fault {
        try Array(text.utf8).withUnsafeBytes { bytes throws(HTTPFailure) in try FaultRequest.parse(bytes) }
    }

    @Test func eachKindWithItsDefaults() throws {
        #expect(try self.parse(#"{"fault":"duplicate"}"#) == .duplicate(seq: nil))
        #expect(try self.parse(#"{"fault":"duplicate","seq":41}"#) == .duplicate(seq: 41))
        #expect(try self.parse(#"{"fault":"replay"}"#) == .replay(count: 5))
        #expect(try self.parse(#"{"fault":"unknown-event"}"#)
            == .unknownEvent(name: Fault.defaultUnknownEventName, payload: Fault.defaultUnknownEventPayload))
        #expect(try self.parse(#"{"fault":"extra-fields"}"#)
            == .extraFields(count: 1, members: Fault.defaultExtraMembers))
        #expect(try self.parse(#"{"fault":"disconnect"}"#) == .disconnect(clients: .all, mode: .transport))
        #expect(try self.parse(#"{"fault":"disconnect","clients":3,"mode":"namespace"}"#)
            == .disconnect(clients: .count(3), mode: .namespace))
        #expect(try self.parse(#"{"fault":"delay","ms":250}"#) == .delay(milliseconds: 250))
    }

    /// What a fault sends keeps the request's bytes: the payload as posted, the fields' members between the braces.
    @Test func payloadAndFieldsKeepTheirBytes() throws {
        #expect(try self.parse(#"{"fault":"unknown-event","event":"x:y","payload":{ "a" : [1, 2.50] }}"#)
            == .unknownEvent(name: "x:y", payload: Array(#"{ "a" : [1, 2.50] }"#.utf8)))
        #expect(try self.parse(#"{"fault":"extra-fields","count":3,"fields":{ "v2":true, "tag":"\/x" }}"#)
            == .extraFields(count: 3, members: Array(#""v2":true, "tag":"\/x""#.utf8)))
    }

    @Test func aRepeatedFieldIsRefused() {
        #expect(throws: HTTPFailure.self) { try self.parse(#"{"fault":"replay","count":1,"count":2}"#) }
    }

    /// The Simulator repeats the reserved names (it does not depend on the wire); they must stay the same.
    @Test func theReservedEventNamesAgreeWithTheProtocol() {
        #expect(Fault.reservedEventNames == SocketIOPacket.reservedEventNames)
    }
}
