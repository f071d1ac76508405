import NIOCore
import TablecastJSON

extension ByteBuffer {
    /// Writes `string` as a JSON string literal, escaped by ``JSONWriter``'s one rule (as JavaScript's
    /// `JSON.stringify` escapes; never `/`), straight into the buffer.
    @discardableResult
    public mutating func writeJSONString(_ string: String) -> Int {
        let start = self.writerIndex
        JSONWriter.writeString(string) { piece in self.writeBytes(piece) }
        return self.writerIndex - start
    }
}
