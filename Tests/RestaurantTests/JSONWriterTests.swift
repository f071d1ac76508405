import Restaurant
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
}
