/// Which events a replay sends: names matching any `only` glob (all when there is none), except those matching an
/// `except` glob. A glob is a name where `*` stands for any run of characters and `?` for one: `order:*`,
/// `table:checkout*`, `*Message*`.
public struct EventFilter: Sendable, Hashable {
    public var only: [String]
    public var except: [String]

    public init(only: [String] = [], except: [String] = []) {
        self.only = only
        self.except = except
    }

    /// Whether the filter lets everything through.
    public var isEmpty: Bool { self.only.isEmpty && self.except.isEmpty }

    /// Whether an event with this name is sent.
    public func admits(_ name: String) -> Bool {
        if !self.only.isEmpty, !self.only.contains(where: { Self.glob($0, matches: name) }) {
            return false
        }
        return !self.except.contains { Self.glob($0, matches: name) }
    }

    /// Whether `name` matches `pattern`, over Unicode scalars; linear time (backtracks to the last `*` only).
    public static func glob(_ pattern: String, matches name: String) -> Bool {
        let pattern = Array(pattern.unicodeScalars)
        let name = Array(name.unicodeScalars)
        var p = 0
        var n = 0
        var star: Int?
        var resume = 0
        while n < name.count {
            if p < pattern.count, pattern[p] == "*" {
                star = p
                p += 1
                resume = n
            } else if p < pattern.count, pattern[p] == "?" || pattern[p] == name[n] {
                p += 1
                n += 1
            } else if let star {
                p = star + 1
                resume += 1
                n = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" {
            p += 1
        }
        return p == pattern.count
    }
}
