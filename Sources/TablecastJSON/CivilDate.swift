/// Dates of the proleptic Gregorian calendar from times in milliseconds since 1970, as JavaScript's `Date` and
/// ISO 8601 write them: what the payload encoders' timestamps and `JSON.stringify`'s dates share.
public enum CivilDate {
    /// `millis` as whole days since the epoch (rounded down) and milliseconds into that day; no overflow for any
    /// `millis`, `Int64.min` included.
    @inlinable
    public static func daysAndMilliseconds(_ millis: Int64) -> (days: Int64, msOfDay: Int64) {
        let (days, remainder) = millis.quotientAndRemainder(dividingBy: 86_400_000)
        return remainder < 0 ? (days - 1, remainder + 86_400_000) : (days, remainder)
    }

    /// Howard Hinnant's `civil_from_days`: (year, month, day).
    @inlinable
    public static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Howard Hinnant's `days_from_civil`.
    public static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
