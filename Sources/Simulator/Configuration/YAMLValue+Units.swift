import Yams

/// The value syntaxes of scenario files: durations, rates, time scales, ranges, shares and weights.
extension YAMLValue {
    /// `90s`, `10m`, `1h30m`, `250ms`, or a plain number of seconds (as Artillery writes durations): seconds.
    func duration() throws(ConfigurationError) -> Double {
        let text = try self.scalarText("a duration such as 90s, 10m or 1h30m")
        guard let seconds = Self.parseDuration(text) else {
            throw self.error("expected a duration such as 90s, 10m or 1h30m, found \"\(text)\"")
        }
        return seconds
    }

    /// `2/min`, `30/h`, `5/s`, `1/20m`, or a plain number per second (as Artillery writes `arrivalRate`): per second.
    func rate() throws(ConfigurationError) -> Double {
        let text = try self.scalarText("a rate such as 2/min, 30/h or 5/s")
        guard let perSecond = Self.parseRate(text) else {
            throw self.error("expected a rate such as 2/min, 30/h, 5/s or 1/20m, found \"\(text)\"")
        }
        return perSecond
    }

    /// `60x` or a plain positive number: model seconds per wall-clock second.
    func timeScale() throws(ConfigurationError) -> Double {
        let text = try self.scalarText("a time scale such as 60x")
        let number = text.hasSuffix("x") ? String(text.dropLast()) : text
        guard let scale = Self.plainNumber(number), scale > 0 else {
            throw self.error("expected a positive time scale such as 1x or 60x, found \"\(text)\"")
        }
        return scale
    }

    /// `2m..6m` (uniform between the two) or one duration (always that long).
    func durationRange() throws(ConfigurationError) -> DurationRange {
        let text = try self.scalarText("a duration or a range such as 2m..6m")
        let parts = Self.splitRange(text)
        guard let lower = Self.parseDuration(parts.0), let upper = parts.1.map(Self.parseDuration) ?? lower else {
            throw self.error("expected a duration such as 5m or a range such as 2m..6m, found \"\(text)\"")
        }
        guard lower <= upper else {
            throw self.error("the range \(text) runs backwards; write the shorter duration first")
        }
        return DurationRange(lower, upper)
    }

    /// `1..3` (uniform, both ends included) or one integer.
    func intRange() throws(ConfigurationError) -> ClosedRange<Int> {
        let text = try self.scalarText("an integer or a range such as 1..3")
        let parts = Self.splitRange(text)
        guard let lower = Int(parts.0), let upper = parts.1.map({ Int($0) }) ?? lower else {
            throw self.error("expected an integer or a range such as 1..3, found \"\(text)\"")
        }
        guard lower <= upper else {
            throw self.error("the range \(text) runs backwards; write the smaller number first")
        }
        return lower...upper
    }

    /// A number from 0 to 1.
    func share() throws(ConfigurationError) -> Double {
        let value = try self.double()
        guard (0...1).contains(value) else {
            throw self.error("expected a share from 0 to 1, got \(self.scalarTextOrEmpty)")
        }
        return value
    }

    /// A mapping of names to relative weights (numbers, not negative, not all zero), keyed by `key`, which turns a
    /// name into a value or `nil` for an unknown one; `order` sorts the values so that a draw never depends on a
    /// dictionary's order.
    func weights<Value: Sendable & Hashable>(
        expected: String,
        key: (String) -> Value?,
        order: (Value, Value) -> Bool
    ) throws(ConfigurationError) -> WeightedChoice<Value> {
        guard case .mapping(let mapping) = self.node else {
            throw self.error("expected a mapping of \(expected) to weights, found \(self.kindDescription)")
        }
        var entries: [(value: Value, weight: Double)] = []
        for (keyNode, valueNode) in mapping {
            let name = keyNode.scalar?.string ?? ""
            let field = "\(self.field).\(name)"
            let entry = YAMLValue(node: valueNode, path: self.path, field: field)
            guard let value = key(name) else {
                throw YAMLValue(node: keyNode, path: self.path, field: field).error("expected one of \(expected)")
            }
            let weight = try entry.double()
            guard weight >= 0 else {
                throw entry.error("a weight must not be negative, got \(entry.scalarTextOrEmpty)")
            }
            entries.append((value, weight))
        }
        guard entries.contains(where: { $0.weight > 0 }) else {
            throw self.error("at least one weight must be positive")
        }
        entries.sort { order($0.value, $1.value) }
        return WeightedChoice(entries)
    }

    // MARK: Syntax

    private func scalarText(_ expected: String) throws(ConfigurationError) -> String {
        guard case .scalar(let scalar) = self.node else {
            throw self.error("expected \(expected), found \(self.kindDescription)")
        }
        return scalar.string
    }

    private var scalarTextOrEmpty: String {
        if case .scalar(let scalar) = self.node { return scalar.string }
        return ""
    }

    /// `("2m", "6m")` for `2m..6m`, `("5m", nil)` for `5m`.
    private static func splitRange(_ text: String) -> (String, String?) {
        guard let range = text.firstRange(of: "..") else { return (text, nil) }
        return (String(text[..<range.lowerBound]), String(text[range.upperBound...]))
    }

    /// A plain decimal number, not negative: digits with an optional fraction (no sign, exponent, `inf` or `nan`).
    static func plainNumber(_ text: String) -> Double? {
        var sawDigit = false
        var sawPoint = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): sawDigit = true
            case UInt8(ascii: ".") where !sawPoint: sawPoint = true
            default: return nil
            }
        }
        return sawDigit ? Double(text) : nil
    }

    /// Seconds for `1h30m`, `90s`, `250ms` or a plain number of seconds; `nil` for anything else.
    static func parseDuration(_ text: String) -> Double? {
        if let seconds = Self.plainNumber(text) {
            return seconds
        }
        let bytes = Array(text.utf8)
        var index = 0
        var total = 0.0
        var parts = 0
        while index < bytes.count {
            let numberStart = index
            while index < bytes.count, bytes[index] == UInt8(ascii: ".") || (48...57).contains(bytes[index]) {
                index += 1
            }
            let unitStart = index
            while index < bytes.count, (97...122).contains(bytes[index]) {
                index += 1
            }
            guard numberStart < unitStart,
                let number = Self.plainNumber(String(decoding: bytes[numberStart..<unitStart], as: UTF8.self))
            else { return nil }
            let unit: Double
            switch String(decoding: bytes[unitStart..<index], as: UTF8.self) {
            case "h": unit = 3600
            case "m": unit = 60
            case "s": unit = 1
            case "ms": unit = 0.001
            default: return nil
            }
            total += number * unit
            parts += 1
        }
        return parts > 0 && total.isFinite ? total : nil
    }

    /// Events per second for `2/min`, `30/h`, `5/s`, `1/20m`, or a plain number per second; `nil` otherwise.
    static func parseRate(_ text: String) -> Double? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 1 {
            return Self.plainNumber(text)
        }
        guard parts.count == 2, let count = Self.plainNumber(String(parts[0])) else { return nil }
        let per: Double
        switch parts[1] {
        case "s", "sec", "second": per = 1
        case "min", "minute": per = 60
        case "h", "hour": per = 3600
        case let other:
            guard let duration = Self.parseDuration(String(other)), duration > 0 else { return nil }
            per = duration
        }
        let rate = count / per
        return rate.isFinite ? rate : nil
    }
}
