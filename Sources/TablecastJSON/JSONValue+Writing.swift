extension JSONValue {
    /// The value on one line without whitespace, as the contract writes payloads.
    public var compact: String {
        var writer = JSONWriter(capacity: 256)
        writer.value(self)
        return writer.text
    }

    /// The value as a document: 2-space indentation, `"key": value`, one member or element per line, empty objects
    /// and arrays as `{}` and `[]`, and a trailing newline.
    public var document: String {
        var writer = JSONWriter(capacity: 64 * 1024)
        writer.indented(self, depth: 0)
        writer.append(UInt8(ascii: "\n"))
        return writer.text
    }
}

extension JSONWriter {
    /// Writes `value` without whitespace, members in their order.
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null:
            self.null()
        case .bool(let flag):
            self.value(flag)
        case .integer(let integer):
            self.value(integer)
        case .number(let text):
            self.rawValue(text.utf8)
        case .string(let text):
            self.value(text)
        case .array(let elements):
            self.beginArray()
            for element in elements {
                self.value(element)
            }
            self.endArray()
        case .object(let members):
            self.beginObject()
            for member in members {
                self.key(string: member.key)
                self.value(member.value)
            }
            self.endObject()
        }
    }

    /// Writes `value` as ``JSONValue/document`` lays it out, `depth` levels in.
    mutating func indented(_ value: JSONValue, depth: Int) {
        switch value {
        case .object(let members) where !members.isEmpty:
            self.beginObject()
            for member in members {
                self.newline(depth: depth + 1)
                self.key(string: member.key)
                self.append(UInt8(ascii: " "))
                self.indented(member.value, depth: depth + 1)
            }
            self.newline(depth: depth, closing: true)
            self.endObject()
        case .array(let elements) where !elements.isEmpty:
            self.beginArray()
            for element in elements {
                self.newline(depth: depth + 1)
                self.indented(element, depth: depth + 1)
            }
            self.newline(depth: depth, closing: true)
            self.endArray()
        default:
            self.value(value)
        }
    }

    /// A comma if one is due (none before a closing bracket), then a new line indented by 2 spaces per level.
    private mutating func newline(depth: Int, closing: Bool = false) {
        if closing {
            self.needsComma = false
        }
        self.separate()
        self.append(UInt8(ascii: "\n"))
        for _ in 0..<(2 * depth) {
            self.append(UInt8(ascii: " "))
        }
    }
}
