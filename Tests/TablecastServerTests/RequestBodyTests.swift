import Testing
@testable import TablecastServer

struct RequestBodyTests {
    private func decode<Input: RequestInput>(_ type: Input.Type, _ body: String) throws(HTTPFailure) -> Input {
        try RequestBody.decode(type, bytes: Array(body.utf8))
    }

    @Test func simulationChangesTakeFractionalNumbers() throws {
        let change = try self.decode(SimulationAPI.Change.self,
                                     #"{"timeScale":0.5,"rampTo":2.5,"rampSeconds":1.5e1}"#)
        #expect(change.timeScale == 0.5)
        #expect(change.rampTo == 2.5)
        #expect(change.rampSeconds == 15)
        #expect(try self.decode(SimulationAPI.Change.self, #"{"rate":12.5}"#).rate == 12.5)
    }

    @Test func otherNumbersMustBeIntegers() {
        do {
            _ = try self.decode(RestaurantAPI.CreateOrder.self,
                                #"{"tableNumber":7,"items":[{"menuItemId":12,"quantity":2.5}]}"#)
            Issue.record("a fractional quantity was accepted")
        } catch {
            #expect(error.message == #"field "items[0].quantity" must be an integer"#)
            #expect(error.field == "items[0].quantity")
        }
    }
}
