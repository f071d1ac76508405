/// The scenarios shipped in `Scenarios/`, built into the binary so that `serve` and `simulate` find them from any
/// directory.
///
/// The texts live in `ScenarioLibrary+Texts.swift`; a test checks that they equal the files byte for byte, so the two
/// never drift (when it fails, it writes the file to copy over).
public enum ScenarioLibrary {
    /// The names of the built-in scenarios, `default` first.
    public static var names: [String] { Self.texts.map(\.name) }

    /// The YAML text of a built-in scenario, as in `Scenarios/NAME.yaml`.
    public static func text(named name: String) -> String? {
        Self.texts.first { $0.name == name }?.text
    }

    /// A built-in scenario, or `nil` for a name that is not one.
    public static func named(_ name: String) -> Scenario? {
        guard let text = Self.text(named: name) else { return nil }
        do throws(ConfigurationError) {
            return try Scenario.parse(text, path: "\(name).yaml")
        } catch {
            // The built-in texts are parsed by the tests; a failure here is a bug in this build.
            preconditionFailure("the built-in scenario \(name) does not parse: \(error)")
        }
    }

    /// A built-in scenario by name, or else a scenario file by path.
    ///
    /// - Throws: ``ConfigurationError`` when the file does not parse, or when `nameOrPath` is neither a built-in name
    ///   nor a file (the message lists the built-in names).
    public static func resolve(_ nameOrPath: String) throws(ConfigurationError) -> Scenario {
        if let scenario = Self.named(nameOrPath) {
            return scenario
        }
        let isPath = nameOrPath.contains("/") || nameOrPath.hasSuffix(".yaml") || nameOrPath.hasSuffix(".yml")
        guard isPath else {
            throw ConfigurationError(
                path: nameOrPath, line: nil, field: nil,
                message: "no built-in scenario has this name (built in: \(Self.names.joined(separator: ", "))), "
                    + "and it is not a path to a scenario file"
            )
        }
        return try Scenario.load(path: nameOrPath)
    }
}
