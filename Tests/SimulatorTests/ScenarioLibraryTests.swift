import Foundation
import Restaurant
import Simulator
import Testing

struct ScenarioLibraryTests {
    static let scenariosFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Scenarios")

    @Test func shipsTheScenariosTheIssueAsksFor() {
        #expect(ScenarioLibrary.names == ["default", "dinner-rush", "steady-load", "chaos"])
    }

    /// The built-in texts are the files in `Scenarios/`, byte for byte, and every file there is built in.
    @Test func embeddedTextsEqualTheFiles() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.scenariosFolder.path)
            .filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files == ScenarioLibrary.names.sorted().map { "\($0).yaml" })
        var drifted: [String] = []
        for name in ScenarioLibrary.names {
            let file = try Data(contentsOf: Self.scenariosFolder.appendingPathComponent("\(name).yaml"))
            if Data((ScenarioLibrary.text(named: name) ?? "").utf8) != file {
                drifted.append(name)
            }
        }
        if !drifted.isEmpty {
            let regenerated = FileManager.default.temporaryDirectory
                .appendingPathComponent("ScenarioLibrary+Texts.swift")
            try Self.generatedSource().write(to: regenerated, atomically: true, encoding: .utf8)
            Issue.record(
                """
                The built-in scenarios differ from Scenarios/ (\(drifted.joined(separator: ", "))). Regenerated: \
                cp \(regenerated.path) Sources/Simulator/Scenario/ScenarioLibrary+Texts.swift
                """
            )
        }
    }

    @Test(arguments: ["default", "dinner-rush", "steady-load", "chaos"])
    func eachBuiltInScenarioParses(name: String) throws {
        let scenario = try #require(ScenarioLibrary.named(name))
        #expect(scenario.name == name)
        #expect(scenario.loop, "serve and the million-event checks run every shipped scenario for as long as asked")
        let fromFile = try Scenario.load(path: Self.scenariosFolder.appendingPathComponent("\(name).yaml").path)
        #expect(fromFile == scenario)
    }

    @Test func theDefaultIsAModerateLunchAtTheBuiltInRestaurant() throws {
        let scenario = try #require(ScenarioLibrary.named("default"))
        #expect(scenario.restaurant == .default)
        #expect(scenario.pacing == .timeScale(120))
    }

    @Test func steadyLoadHoldsAHighRateFromALargeRestaurant() throws {
        let scenario = try #require(ScenarioLibrary.named("steady-load"))
        #expect(scenario.pacing == .rate(.constant(5000)))
        #expect(scenario.restaurant.tables.count == 200)
    }

    @Test func resolveTakesANameOrAPath() throws {
        #expect(try ScenarioLibrary.resolve("dinner-rush").name == "dinner-rush")
        let path = Self.scenariosFolder.appendingPathComponent("steady-load.yaml").path
        #expect(try ScenarioLibrary.resolve(path).name == "steady-load")
        do {
            _ = try ScenarioLibrary.resolve("brunch")
            Issue.record("resolved an unknown name")
        } catch {
            #expect(error.description.contains("default, dinner-rush, steady-load, chaos"), "\(error)")
        }
        #expect(throws: ConfigurationError.self) { try ScenarioLibrary.resolve("/nonexistent/brunch.yaml") }
    }

    /// The schema in `Scenarios/README.md` parses, and the defaults it shows are the defaults.
    @Test func theReadmeSchemaShowsTheDefaults() throws {
        let readme = try String(contentsOf: Self.scenariosFolder.appendingPathComponent("README.md"), encoding: .utf8)
        let schema = try #require(readme.components(separatedBy: "### Schema").dropFirst().first)
        let block = try #require(schema.components(separatedBy: "```yaml\n").dropFirst().first?
            .components(separatedBy: "```").first)
        let scenario = try Scenario.parse(block, path: "README.md")
        #expect(scenario.traffic == TrafficModel())
        #expect(scenario.restaurant == .default)
        #expect(scenario.pacing == .timeScale(1))
        #expect(scenario.seed == 1)
        #expect(!scenario.loop)
        #expect(scenario.phases.count == 3)
    }

    /// `ScenarioLibrary+Texts.swift` as it should be: each file as a raw string literal.
    static func generatedSource() throws -> String {
        var lines = [
            "// Generated from Scenarios/*.yaml: the built-in scenarios, byte for byte. Do not edit by hand; when",
            "// ScenarioLibraryTests finds a difference it writes the regenerated file and says where.",
            "",
            "extension ScenarioLibrary {",
            "    static let texts: [(name: String, text: String)] = [",
        ]
        for name in ScenarioLibrary.names {
            let text = try String(contentsOf: Self.scenariosFolder.appendingPathComponent("\(name).yaml"),
                                  encoding: .utf8)
            lines.append("        (\"\(name)\", #\"\"\"")
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                lines.append(line.isEmpty ? "" : "            \(line)")
            }
            lines.append("            \"\"\"#),")
        }
        lines.append("    ]")
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func theGeneratedSourceIsTheCheckedInOne() throws {
        let source = Self.scenariosFolder.deletingLastPathComponent()
            .appendingPathComponent("Sources/Simulator/Scenario/ScenarioLibrary+Texts.swift")
        #expect(try String(contentsOf: source, encoding: .utf8) == Self.generatedSource())
    }
}
