/// The units scenario files use, for command-line options that take the same spellings.
public enum SimulationUnits {
    /// `90s`, `10m`, `1h30m`, or plain seconds; `nil` when not a positive duration.
    public static func duration(_ text: String) -> Double? {
        YAMLValue.parseDuration(text).flatMap { $0 > 0 ? $0 : nil }
    }

    /// `5/s`, `300/min`, `30/h`, or plain per second; `nil` when not a positive rate.
    public static func rate(_ text: String) -> Double? {
        YAMLValue.parseRate(text).flatMap { $0 > 0 ? $0 : nil }
    }

    /// `60x` or `60`; `nil` when not a positive factor.
    public static func timeScale(_ text: String) -> Double? {
        let trimmed = text.hasSuffix("x") ? String(text.dropLast()) : text
        return Double(trimmed).flatMap { $0 > 0 && $0.isFinite ? $0 : nil }
    }
}
