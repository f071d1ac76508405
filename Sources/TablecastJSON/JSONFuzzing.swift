/// The check the `FuzzJSON` target of `FuzzTesting/` runs on one input, and the regression tests replay on every
/// input that once failed (`FuzzTesting/FailCases/FuzzJSON/`).
///
/// A check returns `nil` when every property holds, or a sentence naming the broken one. Beyond "no crash", the
/// properties are agreement between the scanner and the parser, and round trips through the writer, so that the
/// fuzzer finds logic bugs too. A malformed input must be an error, never a crash: a trap crashes the check itself,
/// which libFuzzer reports like a broken property.
@_spi(Fuzzing)
public enum JSONFuzzing {
    /// `FuzzJSON`: ``JSONScanner`` and ``JSONParser`` on the same bytes, and what ``JSONWriter`` writes back.
    ///
    /// They accept and refuse the same documents, but for the parser's documented refusals (nesting deeper than 64,
    /// an unpaired surrogate escape), and where both refuse they name the same problem unless the parser met one of
    /// its own first; they agree on the kind of the value, on the elements of an array and the members of an object
    /// (each span holding exactly the element the parser found), and on the text of strings; the parser tells whether
    /// whitespace appeared between tokens. A parsed value written back (compact, and as a document) parses to the same
    /// value, and every string written back reads back.
    public static func json(_ input: UnsafeRawBufferPointer) -> String? {
        let scanned: Result<(JSONValueKind, Range<Int>), JSONError> = Result { () throws(JSONError) in
            try JSONScanner.validate(input)
        }
        let parsed: JSONValue
        do {
            let result = try JSONParser.parse(input)
            parsed = result.value
            guard result.sawWhitespace == Self.hasWhitespaceOutsideStrings(input) else {
                return "the parser says sawWhitespace \(result.sawWhitespace) for \(Self.show(input))"
            }
        } catch {
            let ownRefusals = ["nesting deeper than", "unpaired surrogate escape"]
            guard !ownRefusals.contains(where: { error.reason.hasPrefix($0) }) else { return nil }
            switch scanned {
            case .success(let (kind, _)):
                return "the scanner accepts a \(kind) that the parser refuses: \(error) in \(Self.show(input))"
            case .failure(let scanError) where scanError != error:
                return "the scanner refuses with \(scanError), the parser with \(error): \(Self.show(input))"
            case .failure:
                return nil
            }
        }
        let kind: JSONValueKind
        let span: Range<Int>
        switch scanned {
        case .success(let (scannedKind, scannedSpan)):
            (kind, span) = (scannedKind, scannedSpan)
        case .failure(let error):
            return "the parser accepts what the scanner refuses (\(error)): \(Self.show(input))"
        }
        if let failure = Self.compare(parsed, scanned: kind, span: span, in: input) {
            return failure
        }
        return Self.checkWrittenBack(parsed)
    }

    /// The value written compact and as a document parses back to it, and the scanner takes both.
    private static func checkWrittenBack(_ value: JSONValue) -> String? {
        let compact = Array(value.compact.utf8)
        let document = Array(value.document.utf8)
        for (form, bytes) in [("compact", compact), ("document", document)] {
            do {
                let again = try JSONParser.parse(bytes)
                guard again.value == value else {
                    return "the \(form) form \(Self.show(bytes)) parses to another value"
                }
                guard form == "document" || !again.sawWhitespace else {
                    return "the compact form \(Self.show(bytes)) has whitespace"
                }
            } catch {
                return "the \(form) form \(Self.show(bytes)) does not parse: \(error)"
            }
            guard bytes.withUnsafeBytes({ (try? JSONScanner.validate($0)) != nil }) else {
                return "the scanner refuses the \(form) form \(Self.show(bytes))"
            }
        }
        return nil
    }

    /// The scanner's view of `span` of `input` against the parser's `value`, recursively for arrays and objects.
    private static func compare(_ value: JSONValue, scanned kind: JSONValueKind, span: Range<Int>,
                                in input: UnsafeRawBufferPointer) -> String? {
        guard span.lowerBound >= 0, span.upperBound <= input.count, !span.isEmpty else {
            return "the scanner returned the span \(span), outside the input of \(input.count) bytes"
        }
        let slice = UnsafeRawBufferPointer(rebasing: input[span])
        switch (value, kind) {
        case (.null, .null), (.bool, .bool), (.integer, .number), (.number, .number):
            return nil
        case (.string(let text), .string):
            guard let decoded = try? JSONScanner.decodeString(slice), decoded == text else {
                return "the scanner decodes the string \(Self.show(slice)) otherwise than the parser"
            }
            let written = Array(JSONWriter.stringLiteral(text).utf8)
            let back = written.withUnsafeBytes { try? JSONScanner.decodeString($0) }
            guard back == text, (try? JSONParser.parse(written).value) == .string(text) else {
                return "the string \(Self.show(slice)), written as \(Self.show(written)), reads back otherwise"
            }
            return nil
        case (.array(let elements), .array):
            let found: [(kind: JSONValueKind, span: Range<Int>)]
            do {
                found = try JSONScanner.arrayElements(slice)
            } catch {
                return "the scanner validates an array that arrayElements refuses: \(error)"
            }
            guard found.count == elements.count else {
                return "the scanner finds \(found.count) elements in an array of \(elements.count)"
            }
            for (element, scannedElement) in zip(elements, found) {
                if let failure = Self.compare(element, scanned: scannedElement.kind,
                                              span: Self.offset(scannedElement.span, by: span.lowerBound), in: input) {
                    return failure
                }
            }
            return nil
        case (.object(let members), .object):
            let found: [(key: String, kind: JSONValueKind, span: Range<Int>)]
            do {
                found = try JSONScanner.objectMembers(slice)
            } catch {
                return "the scanner validates an object that objectMembers refuses: \(error)"
            }
            guard found.map(\.key) == members.map(\.key) else {
                return "the scanner finds the keys \(found.map(\.key)), the parser \(members.map(\.key))"
            }
            for (member, scannedMember) in zip(members, found) {
                if let failure = Self.compare(member.value, scanned: scannedMember.kind,
                                              span: Self.offset(scannedMember.span, by: span.lowerBound), in: input) {
                    return failure
                }
            }
            return nil
        default:
            return "the scanner finds a \(kind) where the parser finds \(value): \(Self.show(slice))"
        }
    }

    /// Whether valid JSON has whitespace outside its strings: the oracle for ``JSONParser``'s `sawWhitespace`, which
    /// the parser works out from the lengths of its tokens.
    private static func hasWhitespaceOutsideStrings(_ json: UnsafeRawBufferPointer) -> Bool {
        var inString = false
        var escaped = false
        for byte in json {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                return true
            }
        }
        return false
    }

    private static func offset(_ span: Range<Int>, by offset: Int) -> Range<Int> {
        (span.lowerBound + offset)..<(span.upperBound + offset)
    }

    /// Bytes for a message: the first 200, with what is not printable ASCII escaped.
    public static func show(_ bytes: some Collection<UInt8>) -> String {
        var text = "\""
        for byte in bytes.prefix(200) {
            switch byte {
            case UInt8(ascii: "\""): text += "\\\""
            case UInt8(ascii: "\\"): text += "\\\\"
            case 0x20..<0x7F: text.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789abcdef".unicodeScalars)
                text += "\\x"
                text.unicodeScalars.append(hex[Int(byte >> 4)])
                text.unicodeScalars.append(hex[Int(byte & 0x0F)])
            }
        }
        return text + (bytes.count > 200 ? "\"… (\(bytes.count) bytes)" : "\"")
    }
}
