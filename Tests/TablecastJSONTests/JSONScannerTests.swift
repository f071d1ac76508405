import TablecastJSON
import Testing

struct JSONScannerTests {
    private func validate(_ text: String) throws -> JSONValueKind {
        try Array(text.utf8).withUnsafeBytes { bytes in try JSONScanner.validate(bytes).0 }
    }

    private func validate(bytes: [UInt8]) throws -> JSONValueKind {
        try bytes.withUnsafeBytes { bytes in try JSONScanner.validate(bytes).0 }
    }

    @Test(arguments: [
        ("{}", JSONValueKind.object), ("[]", .array), (#""""#, .string), ("0", .number), ("-0.5e+10", .number),
        ("true", .bool), ("false", .bool), ("null", .null), (" \n{\"a\" : [1, 2.5, {\"b\": null}]}\t", .object),
        (#""\u00e9\ud83d\ude00\/\n""#, .string), ("1E5", .number), ("[[[[]]]]", .array),
    ])
    func acceptsValidJSON(text: String, kind: JSONValueKind) throws {
        #expect(try self.validate(text) == kind)
    }

    @Test(arguments: [
        "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{a:1}", "01", "1.", ".5", "-", "1e", "+1", "tru", "nul",
        "\"abc", "\"\\x\"", "\"\\u12\"", "[1 2]", "{\"a\" 1}", "1 2", "NaN", "Infinity", "'a'", "\"a\u{01}\"",
        "[\"a\"]]",
    ])
    func rejectsInvalidJSON(text: String) {
        #expect(throws: JSONError.self) { try self.validate(text) }
    }

    @Test(arguments: [
        [0x22, 0xC3, 0x28, 0x22],  // invalid continuation
        [0x22, 0xC0, 0xAF, 0x22],  // overlong
        [0x22, 0xED, 0xA0, 0x80, 0x22],  // UTF-16 surrogate encoded in UTF-8
        [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // beyond U+10FFFF
        [0x22, 0xE2, 0x82, 0x22],  // truncated
        [0xFF],
    ] as [[UInt8]])
    func rejectsInvalidUTF8(bytes: [UInt8]) {
        #expect(throws: JSONError.self) { try self.validate(bytes: bytes) }
    }

    @Test func rejectsNestingBeyondTheLimit() throws {
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(throws: JSONError.self) { try self.validate(deep) }
        let fine = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(try self.validate(fine) == .array)
    }

    @Test func reportsArrayElementSpans() throws {
        let text = #"["name", {"a":[1,2]} ,3, "x\"y"]"#
        let bytes = Array(text.utf8)
        let elements = try bytes.withUnsafeBytes { try JSONScanner.arrayElements($0) }
        let slices = elements.map { String(decoding: bytes[$0.span], as: UTF8.self) }
        #expect(slices == [#""name""#, #"{"a":[1,2]}"#, "3", #""x\"y""#])
        #expect(elements.map(\.kind) == [.string, .object, .number, .string])
    }

    @Test func reportsObjectMembersWithDecodedKeys() throws {
        let text = #"{"event":"order:created","payload":{"x":"a\/b"},"k\u00e9y":null}"#
        let bytes = Array(text.utf8)
        let members = try bytes.withUnsafeBytes { try JSONScanner.objectMembers($0) }
        #expect(members.map(\.key) == ["event", "payload", "kéy"])
        #expect(String(decoding: bytes[members[1].span], as: UTF8.self) == #"{"x":"a\/b"}"#)
    }

    @Test(arguments: [
        (#""plain""#, "plain"), (#""a\"b\\c\/d""#, "a\"b\\c/d"), (#""\n\t\r\b\f""#, "\n\t\r\u{08}\u{0C}"),
        (#""\u00e9""#, "é"), (#""\ud83d\ude00""#, "😀"), (#""ünï€""#, "ünï€"),
    ])
    func decodesStrings(literal: String, expected: String) throws {
        let decoded = try Array(literal.utf8).withUnsafeBytes { try JSONScanner.decodeString($0) }
        #expect(decoded == expected)
    }
}
