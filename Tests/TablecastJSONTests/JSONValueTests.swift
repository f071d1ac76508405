import TablecastJSON
import Testing

struct JSONValueTests {
    @Test func documentIndentsByTwoSpaces() {
        let value = JSONValue.object([
            .init("a", .array([1, "x"])),
            .init("b", .object([])),
            .init("c", .array([])),
        ])
        #expect(value.document == "{\n  \"a\": [\n    1,\n    \"x\"\n  ],\n  \"b\": {},\n  \"c\": []\n}\n")
    }

    /// Keys are escaped as strings are, numbers keep their text, members their order.
    @Test func compactWritesMembersInOrder() {
        let value = JSONValue.object([
            .init("z\"", .number("-0.50e+3")),
            .init("a/é", .array([.null, true, .integer(-12), .string("\u{08}\t")])),
            .init("z\"", .object([.init("", .string(""))])),
        ])
        #expect(value.compact == #"{"z\"":-0.50e+3,"a/é":[null,true,-12,"\b\t"],"z\"":{"":""}}"#)
        #expect(value.document == """
            {
              "z\\"": -0.50e+3,
              "a/é": [
                null,
                true,
                -12,
                "\\b\\t"
              ],
              "z\\"": {
                "": ""
              }
            }

            """)
    }
}
