import TablecastJSON

/// A point in time with millisecond precision, written as ISO 8601 UTC (`2026-11-26T12:00:00.000Z`) in payloads.
///
/// Formatting and parsing are done by hand (civil-from-days arithmetic): they sit on the simulator's hot path, where
/// Foundation's formatters would cost more than the rest of an event.
public struct Timestamp: Sendable, Hashable, Comparable, Codable {
    /// Milliseconds since the Unix epoch.
    public var millisecondsSince1970: Int64

    public init(millisecondsSince1970: Int64) {
        self.millisecondsSince1970 = millisecondsSince1970
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.millisecondsSince1970 < rhs.millisecondsSince1970
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    public var iso8601: String {
        let (days, msOfDay) = CivilDate.daysAndMilliseconds(self.millisecondsSince1970)
        let (year, month, day) = CivilDate.civil(fromDays: days)
        let hour = msOfDay / 3_600_000
        let minute = msOfDay / 60_000 % 60
        let second = msOfDay / 1000 % 60
        let ms = msOfDay % 1000
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))."
            + "\(pad(ms, 3))Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS.mmmZ` exactly (the contract's form); `nil` otherwise.
    public init?(iso8601 text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 24, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            bytes[19] == UInt8(ascii: "."), bytes[23] == UInt8(ascii: "Z")
        else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            let ms = number(20..<23), (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60,
            second < 60
        else { return nil }
        let days = CivilDate.days(fromCivil: year, month, day)
        guard CivilDate.civil(fromDays: days) == (year, month, day) else { return nil }
        self.millisecondsSince1970 = days * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms
    }

    /// Codable as the contract writes it: an ISO 8601 string.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let parsed = Timestamp(iso8601: text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "expected an ISO 8601 UTC time with milliseconds such as 2026-11-26T12:00:00.000Z, got \(text)"
            )
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.iso8601)
    }
}

extension JSONWriter {
    /// Writes `value` as the string ``Timestamp/iso8601`` spells, without building a `String`.
    @inlinable
    public mutating func value(_ value: Timestamp) {
        let (days, msOfDay) = CivilDate.daysAndMilliseconds(value.millisecondsSince1970)
        if self.cachedDate.days != days {
            let (year, month, day) = CivilDate.civil(fromDays: days)
            self.cachedDate = (days, year, month, day)
        }
        let date = self.cachedDate
        guard (0...9999).contains(date.year) else {
            // Outside four-digit years: the general path.
            self.value(value.iso8601)
            return
        }
        self.dateTime(year: date.year, month: date.month, day: date.day, millisecondOfDay: msOfDay)
    }

    @inlinable
    public mutating func value(_ value: Timestamp?) {
        if let value { self.value(value) } else { self.null() }
    }
}
