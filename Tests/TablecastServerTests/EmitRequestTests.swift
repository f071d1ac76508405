import Testing
@testable import TablecastServer

struct EmitRequestTests {
    private func parse(_ text: String) -> Result<EmitRequest, EmitRequest.Problem> {
        Array(text.utf8).withUnsafeBytes { EmitRequest.parse($0) }
    }

    @Test func keepsThePayloadBytesExactly() throws {
        let payload = #"{ "b" : "x\/y", "a":[1, 2.50, "ü"] }"#
        let result = try self.parse(#"{"event":"order:created","payload":"# + payload + "}").get()
        #expect(result.event == "order:created")
        #expect(result.payload == Array(payload.utf8))
    }

    @Test(arguments: [
        ("not json", "not valid JSON"),
        ("[1]", "must be a JSON object"),
        (#"{"payload":1}"#, #"missing field "event""#),
        (#"{"event":"x"}"#, #"missing field "payload""#),
        (#"{"event":1,"payload":1}"#, #"field "event" must be a string"#),
        (#"{"event":"","payload":1}"#, "must not be empty"),
        (#"{"event":"connect","payload":1}"#, "reserved"),
        (#"{"event":"x","payload":1,"extra":2}"#, #"unknown field "extra""#),
        (#"{"event":"x","event":"y","payload":1}"#, "appears twice"),
        (#"{"event":"x","payload":}"#, "not valid JSON"),
    ])
    func namesTheProblem(body: String, fragment: String) {
        switch self.parse(body) {
        case .success(let request):
            Issue.record("accepted \(request)")
        case .failure(let problem):
            #expect(problem.message.contains(fragment), "\(problem.message)")
        }
    }
}
