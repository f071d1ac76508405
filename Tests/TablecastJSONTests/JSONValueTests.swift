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

    /// JSON Schema counts a number with a zero fraction as an integer; `Int`'s range bounds it.
    @Test(arguments: [
        (JSONValue.integer(-3), -3), (.number("2.0"), 2), (.number("1e2"), 100), (.number("-0.0"), 0),
        (.number("-9223372036854775808.0"), Int.min), (.number("9223372036854775807"), nil), (.number("0.5"), nil),
        (.number("9.3e18"), nil), (.number("1e999"), nil), (.string("1"), nil), (.bool(true), nil), (.null, nil),
    ] as [(JSONValue, Int?)])
    func integerValueTakesIntegralNumbers(value: JSONValue, integer: Int?) {
        #expect(value.integerValue == integer)
    }
}
