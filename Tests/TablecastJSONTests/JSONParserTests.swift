import TablecastJSON
import Testing

struct JSONParserTests {
    @Test(arguments: [
        ("{\"a\":[1,-2.5e3,true,false,null],\"b\":\"x\\\"\\\\\\/\\n\\u00fc\\ud83d\\ude00\",\"c\":{}}",
         "{\"a\":[1,-2.5e3,true,false,null],\"b\":\"x\\\"\\\\/\\nü😀\",\"c\":{}}"),
        (" [ ] ", "[]"),
        ("\"é\"", "\"é\""),
    ])
    func parserReadsJSON(input: String, compact: String) throws {
        let value = try JSONParser.parse(Array(input.utf8)).value
        #expect(value.compact == compact)
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "\"\\x\"", "\"\\ud83d\"", "1 2", "tru", "\"\u{01}\""])
    func parserRefusesInvalidJSON(input: String) {
        #expect(throws: JSONError.self) { try JSONParser.parse(Array(input.utf8)) }
    }

    /// Members stay in document order, duplicates included; integers apart from other numbers, which keep their text.
    @Test func keepsWhatFoundationLoses() throws {
        let parsed = try JSONParser.parse(Array(#"{"b":1,"a":2.50,"b":true,"c":1e2,"d":99999999999999999999}"#.utf8))
        #expect(parsed.value == .object([
            .init("b", .integer(1)), .init("a", .number("2.50")), .init("b", .bool(true)), .init("c", .number("1e2")),
            .init("d", .number("99999999999999999999")),
        ]))
        #expect(parsed.value["b"] == .integer(1))
        #expect(parsed.value["z"] == nil)
        #expect(parsed.value["c"]?.integerValue == 100)
        #expect(parsed.value["a"]?.integerValue == nil)
        #expect(!parsed.sawWhitespace)
        #expect(try JSONParser.parse(Array("-1e999".utf8)).value == .number("-1e999"))
    }

    /// Whitespace between tokens or around the value, never inside strings.
    @Test(arguments: [
        ("[1, 2]", true), (" 1", true), ("{\"a\" :[]}", true), ("{\"a\":{}}\n", true), ("[\r[]]", true),
        ("{\"a\":[],\"b\":{\"c\":null}}", false), ("\" x\\\" \"", false), ("[true,false,-1.5e3,\"\\\\\"]", false),
    ])
    func tellsWhetherWhitespaceAppeared(input: String, sawWhitespace: Bool) throws {
        #expect(try JSONParser.parse(Array(input.utf8)).sawWhitespace == sawWhitespace)
    }

    /// The parser reads with the scanner's grammar: where both refuse a document, they give the same error.
    @Test(arguments: [
        #"{"id":1,"#, #"[1,]"#, "01", "\"\\x\"", "tru", "[1 2]", "{\"a\" 1}", "\"abc", "-", "1e+", "[\"a\u{01}\"]",
    ])
    func refusesAsTheScannerDoes(input: String) throws {
        let bytes = Array(input.utf8)
        let scanError = #expect(throws: JSONError.self) { try bytes.withUnsafeBytes { try JSONScanner.validate($0) } }
        let parseError = #expect(throws: JSONError.self) { try JSONParser.parse(bytes) }
        #expect(scanError == parseError)
    }

    @Test func namesWhereAndWhy() {
        let truncated = #expect(throws: JSONError.self) { try JSONParser.parse(Array(#"{"id":1,"#.utf8)) }
        #expect(truncated == JSONError(offset: 8, reason: "expected a string key in object"))
        let invalidUTF8 = #expect(throws: JSONError.self) {
            try JSONParser.parse(Array(#"{"a":""#.utf8) + [0xFF] + Array(#""}"#.utf8))
        }
        #expect(invalidUTF8 == JSONError(offset: 5, reason: "string is not valid UTF-8"))
        #expect(invalidUTF8?.description == "invalid JSON at byte 5: string is not valid UTF-8")
    }

    /// What only the parser refuses: nesting beyond 64 (the scanner takes 256), an escaped surrogate without its pair.
    @Test func refusesWhatAValueCannotHold() throws {
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        let tooDeep = #expect(throws: JSONError.self) { try JSONParser.parse(Array(deep.utf8)) }
        #expect(tooDeep?.reason == "nesting deeper than 64")
        let fine = String(repeating: "[", count: 64) + "1" + String(repeating: "]", count: 64)
        #expect(try JSONParser.parse(Array(fine.utf8)).value != .null)

        let lone = Array(#"["a","\ud83dx"]"#.utf8)
        let unpaired = #expect(throws: JSONError.self) { try JSONParser.parse(lone) }
        #expect(unpaired == JSONError(offset: 6, reason: "unpaired surrogate escape"))
        let elements = try lone.withUnsafeBytes { try JSONScanner.arrayElements($0) }
        let decoded = try lone[elements[1].span].withUnsafeBytes { try JSONScanner.decodeString($0) }
        #expect(decoded == "\u{FFFD}x")
    }
}
