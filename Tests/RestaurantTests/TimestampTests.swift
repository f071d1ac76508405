import Foundation
import Restaurant
import Testing

/// A time in the contract's form and its milliseconds since 1970.
struct TimeVector: Sendable, CustomTestStringConvertible {
    var text: String
    var milliseconds: Int64
    var testDescription: String { self.text }
}

struct TimestampTests {
    static let vectors: [TimeVector] = [
        TimeVector(text: "1970-01-01T00:00:00.000Z", milliseconds: 0),
        TimeVector(text: "1970-01-01T00:00:00.001Z", milliseconds: 1),
        TimeVector(text: "1969-12-31T23:59:59.999Z", milliseconds: -1),
        TimeVector(text: "1969-12-31T00:00:00.000Z", milliseconds: -86_400_000),
        TimeVector(text: "1969-07-20T20:17:40.000Z", milliseconds: -14_182_940_000),
        TimeVector(text: "1900-01-01T00:00:00.000Z", milliseconds: -2_208_988_800_000),
        TimeVector(text: "1600-02-29T12:00:00.000Z", milliseconds: -11_670_955_200_000),
        TimeVector(text: "0001-01-01T00:00:00.000Z", milliseconds: -62_135_596_800_000),
        TimeVector(text: "2000-02-29T23:59:59.999Z", milliseconds: 951_868_799_999),
        TimeVector(text: "2000-03-01T00:00:00.000Z", milliseconds: 951_868_800_000),
        TimeVector(text: "2024-02-29T12:34:56.789Z", milliseconds: 1_709_210_096_789),
        TimeVector(text: "2024-12-31T23:59:59.999Z", milliseconds: 1_735_689_599_999),
        TimeVector(text: "2026-11-26T12:00:00.000Z", milliseconds: 1_795_694_400_000),
        TimeVector(text: "2038-01-19T03:14:08.000Z", milliseconds: 2_147_483_648_000),
        TimeVector(text: "9999-12-31T23:59:59.999Z", milliseconds: 253_402_300_799_999),
    ]

    @Test(arguments: Self.vectors)
    func formatsAndParses(_ vector: TimeVector) {
        #expect(Timestamp(millisecondsSince1970: vector.milliseconds).iso8601 == vector.text)
        #expect(Timestamp(iso8601: vector.text)?.millisecondsSince1970 == vector.milliseconds)
    }

    @Test(arguments: [
        "2023-02-29T00:00:00.000Z", "1900-02-29T00:00:00.000Z", "2100-02-29T00:00:00.000Z",
        "2026-11-31T00:00:00.000Z", "2026-04-31T00:00:00.000Z", "2026-13-01T00:00:00.000Z",
        "2026-00-10T00:00:00.000Z", "2026-11-00T00:00:00.000Z", "2026-11-26T24:00:00.000Z",
        "2026-11-26T12:60:00.000Z", "2026-11-26T12:00:60.000Z", "2026-11-26T12:00:00Z", "2026-11-26T12:00:00.000",
        "2026-11-26T12:00:00.000+00:00", "2026-11-26 12:00:00.000Z", "2026-11-26t12:00:00.000z",
        "2026-11-26T12:00:00.0000Z", "2026-1-26T12:00:00.000Z", "+026-11-26T12:00:00.000Z", "",
    ])
    func refusesAnythingButTheContractsForm(_ text: String) {
        #expect(Timestamp(iso8601: text) == nil)
    }

    @Test func leapYearsFollowTheGregorianRule() {
        for year in 1583...2500 {
            let isLeap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            let text = String(format: "%04d-02-29T00:00:00.000Z", year)
            #expect((Timestamp(iso8601: text) != nil) == isLeap, "\(text)")
        }
    }

    @Test func randomTimesRoundTrip() {
        var generator = SplitMix64(seed: 0x7AB1_EC45)
        let range: ClosedRange<Int64> = -62_135_596_800_000...253_402_300_799_999
        for _ in 0..<20_000 {
            let milliseconds = Int64.random(in: range, using: &generator)
            let time = Timestamp(millisecondsSince1970: milliseconds)
            #expect(Timestamp(iso8601: time.iso8601) == time)
        }
    }

    @Test func everyDayOfFourCenturiesRoundTrips() {
        // 146,097 days is one full Gregorian cycle; start before 1970 to cross the epoch.
        let start: Int64 = -73_000
        var failures = 0
        for day in start..<(start + 146_097) {
            let time = Timestamp(millisecondsSince1970: day * 86_400_000 + 43_200_123)
            if Timestamp(iso8601: time.iso8601) != time { failures += 1 }
        }
        #expect(failures == 0)
    }

    @Test func agreesWithFoundation() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        var generator = SplitMix64(seed: 42)
        for _ in 0..<500 {
            let milliseconds = Int64.random(in: -2_208_988_800_000...4_102_444_800_000, using: &generator)
            let time = Timestamp(millisecondsSince1970: milliseconds)
            #expect(formatter.date(from: time.iso8601).map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) }
                == milliseconds)
        }
    }

    @Test func codableUsesTheContractsForm() throws {
        let time = Timestamp(millisecondsSince1970: -1)
        let data = try JSONEncoder().encode([time])
        #expect(String(decoding: data, as: UTF8.self) == #"["1969-12-31T23:59:59.999Z"]"#)
        #expect(try JSONDecoder().decode([Timestamp].self, from: data) == [time])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([Timestamp].self, from: Data(#"["2026-11-26"]"#.utf8))
        }
    }

    @Test func ordersByTime() {
        #expect(Timestamp(millisecondsSince1970: -5) < Timestamp(millisecondsSince1970: 3))
    }
}
