import Simulator

/// The spellings scenario files use (`30m`, `5000/s`, `60x`), for command-line options.
public enum CommandLineUnits {
    public static func duration(_ text: String) -> Double? { SimulationUnits.duration(text) }
    public static func rate(_ text: String) -> Double? { SimulationUnits.rate(text) }
    public static func timeScale(_ text: String) -> Double? { SimulationUnits.timeScale(text) }
    /// The names of the scenarios shipped inside tablecast.
    public static var scenarioNames: [String] { ScenarioLibrary.names }
}
