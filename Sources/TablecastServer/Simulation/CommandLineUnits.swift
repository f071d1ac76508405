import Simulator

/// The spellings scenario files use (`30m`, `5000/s`, `60x`), for command-line options.
public enum CommandLineUnits {
    public static func duration(_ text: String) -> Double? { SimulationUnits.duration(text) }
    public static func rate(_ text: String) -> Double? { SimulationUnits.rate(text) }
    public static func timeScale(_ text: String) -> Double? { SimulationUnits.timeScale(text) }
    /// `64MiB`, `512KiB`, `1GiB`, `64MB` (taken as MiB), or a plain number of bytes; `nil` unless positive.
    public static func byteSize(_ text: String) -> Int? {
        let units: [(suffix: String, factor: Int)] = [
            ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1 << 10), ("MB", 1 << 20), ("GB", 1 << 30),
            ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("B", 1),
        ]
        for unit in units where text.hasSuffix(unit.suffix) {
            guard let number = Int(text.dropLast(unit.suffix.count)), number > 0 else { return nil }
            let (bytes, overflow) = number.multipliedReportingOverflow(by: unit.factor)
            return overflow ? nil : bytes
        }
        return Int(text).flatMap { $0 > 0 ? $0 : nil }
    }

    /// The names of the scenarios shipped inside tablecast.
    public static var scenarioNames: [String] { ScenarioLibrary.names }
}
