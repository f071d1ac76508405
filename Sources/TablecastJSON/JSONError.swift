/// Why bytes are not valid JSON, and where.
///
/// The scanner and the parser throw the same error, with the same reasons, since they read with the same grammar.
public struct JSONError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The byte offset of the problem.
    public var offset: Int
    /// What is wrong, in a few words.
    public var reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        "invalid JSON at byte \(self.offset): \(self.reason)"
    }
}
