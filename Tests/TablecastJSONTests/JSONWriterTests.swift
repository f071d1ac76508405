import TablecastJSON
import Testing

struct JSONWriterTests {
    @Test(arguments: [0, 7, 9, 10, 42, 99, 100, 101, 999, 1000, 12_345, 1_000_000, -1, -10, -99, -100, -123_456,
                      Int.max, Int.min, Int.max - 1, Int.min + 1, 9_999_999_999_999_999, 1_000_000_000_000_000_000])
    func integersAreWrittenAsSwiftPrintsThem(_ value: Int) {
        var writer = JSONWriter(capacity: 1)
        writer.beginArray()
        writer.value(value)
        writer.value(value)
        writer.endArray()
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "[\(value),\(value)]")
    }

    /// Past its first capacity the writer grows and keeps what it wrote; strings are escaped only where JSON needs it.
    @Test func growsAndEscapes() {
        var writer = JSONWriter(capacity: 16)
        writer.beginObject()
        writer.key("plain"); writer.value(String(repeating: "ü/", count: 40))
        writer.key("escaped"); writer.value("a\"b\\c\n\u{01}")
        writer.key("none"); writer.null()
        writer.key("yes"); writer.value(true)
        writer.endObject()
        let expected = #"{"plain":""# + String(repeating: "ü/", count: 40)
            + #"","escaped":"a\"b\\c\n\u0001","none":null,"yes":true}"#
        #expect(String(decoding: writer.bytes, as: UTF8.self) == expected)
    }

    /// The one escaping rule, JavaScript's `JSON.stringify`'s: short escapes where JSON has them, `\u00XX` (lowercase)
    /// for the other control characters, nothing else escaped (not `/`, not DEL, not non-ASCII).
    @Test(arguments: [
        ("plain", #""plain""#), ("", #""""#), ("a/b", #""a/b""#), ("\u{7F}ü€😀", "\"\u{7F}ü€😀\""),
        ("\"\\", #""\"\\""#), ("\u{08}\u{0C}\n\r\t", #""\b\f\n\r\t""#),
        ("\u{00}\u{01}\u{1B}\u{1F}", #""\u0000\u0001\u001b\u001f""#), ("x\ny\"", #""x\ny\"""#),
    ])
    func escapesAsJavaScriptDoes(text: String, literal: String) {
        #expect(JSONWriter.stringLiteral(text) == literal)
        var pieces: [UInt8] = []
        JSONWriter.writeString(text) { pieces.append(contentsOf: $0) }
        #expect(String(decoding: pieces, as: UTF8.self) == literal)
        var writer = JSONWriter(capacity: 1)
        writer.beginObject()
        writer.key(string: text)
        writer.value(text)
        writer.endObject()
        #expect(writer.text == "{\(literal):\(literal)}")
    }

    /// Raw JSON keeps its bytes; separators come where the structure needs them.
    @Test func embedsRawJSONAndSeparates() {
        var writer = JSONWriter()
        writer.beginArray()
        writer.rawValue(Array(#"{"b" :[1, 2.50]}"#.utf8))
        writer.value(nil as String?)
        writer.value(7 as Int?)
        writer.beginObject()
        writer.endObject()
        writer.beginArray()
        writer.endArray()
        writer.value(false)
        writer.endArray()
        #expect(writer.text == #"[{"b" :[1, 2.50]},null,7,{},[],false]"#)
    }

    @Test func writesTimesInOneGo() {
        var writer = JSONWriter()
        writer.beginArray()
        writer.dateTime(year: 2026, month: 11, day: 26, millisecondOfDay: 45_296_789)
        writer.dateTime(year: 7, month: 1, day: 9, millisecondOfDay: 86_399_999)
        writer.endArray()
        #expect(writer.text == #"["2026-11-26T12:34:56.789Z","0007-01-09T23:59:59.999Z"]"#)
    }
}
