import Foundation
import Restaurant
import Simulator
import Testing

struct ScenarioParsingTests {
    private let minimal = """
        name: tiny
        phases:
          - { name: only, duration: 10m, arrivalRate: 2/min }
        """

    @Test func aMinimalScenarioTakesTheDefaults() throws {
        let scenario = try Scenario.parse(self.minimal, path: "tiny.yaml")
        #expect(scenario.name == "tiny")
        #expect(scenario.restaurant == .default)
        #expect(scenario.restaurantSource == "default")
        #expect(scenario.pacing == .timeScale(1))
        #expect(scenario.loop == false)
        #expect(scenario.seed == 1)
        #expect(scenario.traffic == TrafficModel())
        #expect(scenario.phases == [Scenario.Phase(name: "only", duration: 600, arrivalRate: 2.0 / 60)])
    }

    @Test func everyFieldIsRead() throws {
        let text = """
            name: full
            description: Every field.
            seed: 99
            restaurant:
              tables:
                - { numbers: 1..3, seats: 2 }
                - { number: 10, seats: 6 }
              menu:
                - { id: 1, name: Soup, category: Starters, price: 500 }
              staff:
                - { id: 1, username: ana, role: waiter }
            timeScale: 60x
            loop: true
            phases:
              - { name: warm-up, duration: 10m, arrivalRate: 1/min, rampTo: 4/min }
              - { name: lull, pause: 5m }
              - { name: artillery, duration: 90, arrivalRate: 0.5 }
            traffic:
              parties:
                size: { 2: 3, 1: 1 }
                dwell: 20m..40m
                patience: 0s
                turnover: 1m
              orders:
                perParty: 2..5
                items: 1..2
                quantity: { 1: 9, 2: 1 }
                notesShare: 0.25
                firstAfter: 1m..2m
                nextAfter: 3m..4m
                serveAfter: 5m..6m
                completeAfter: 7m..8m
                cancelShare: 0.1
              checkout: { startAfter: 1m..2m, completeAfter: 2m..3m }
              serviceCalls: { rate: 1/20m, types: { help: 1, waiter: 2 }, handleAfter: 30s..1m30s }
              chatter: { rate: 30/h, kinds: { delete: 1, new: 5 }, deleteAllRate: 0 }
              menuChanges: { rate: 2/h, kinds: { update: 1 } }
              userChanges: { rate: 1/h, kinds: { create: 1, delete: 0 } }
              forceResets: { rate: 0.5/h }
            """
        let scenario = try Scenario.parse(text, path: "full.yaml")
        #expect(scenario.summary == "Every field.")
        #expect(scenario.seed == 99)
        #expect(scenario.restaurantSource == "inline")
        #expect(scenario.restaurant.tables.map(\.number) == [1, 2, 3, 10])
        #expect(scenario.restaurant.tables.map(\.seats) == [2, 2, 2, 6])
        #expect(scenario.pacing == .timeScale(60))
        #expect(scenario.loop)
        #expect(scenario.phases == [
            Scenario.Phase(name: "warm-up", duration: 600, arrivalRate: 1.0 / 60, rampTo: 4.0 / 60),
            .pause(name: "lull", duration: 300),
            Scenario.Phase(name: "artillery", duration: 90, arrivalRate: 0.5),
        ])
        let traffic = scenario.traffic
        // Weights are kept in a fixed order (sizes ascending, kinds in declaration order), never the file's.
        #expect(traffic.parties.size == WeightedChoice<Int>([(1, 1), (2, 3)]))
        #expect(traffic.parties.dwell == DurationRange(1200, 2400))
        #expect(traffic.parties.patience == 0)
        #expect(traffic.parties.turnover == .fixed(60))
        #expect(traffic.orders.perParty == 2...5)
        #expect(traffic.orders.items == 1...2)
        #expect(traffic.orders.notesShare == 0.25)
        #expect(traffic.orders.completeAfter == DurationRange(420, 480))
        #expect(traffic.orders.cancelShare == 0.1)
        #expect(traffic.checkout.completeAfter == DurationRange(120, 180))
        #expect(traffic.serviceCalls.rate == 1.0 / 1200)
        #expect(traffic.serviceCalls.types == WeightedChoice<ServiceCallType>([(.waiter, 2), (.help, 1)]))
        #expect(traffic.serviceCalls.handleAfter == DurationRange(30, 90))
        #expect(traffic.chatter.kinds == WeightedChoice<ChatterKind>([(.new, 5), (.delete, 1)]))
        #expect(traffic.chatter.deleteAllRate == 0)
        #expect(traffic.menuChanges.rate == 2.0 / 3600)
        #expect(traffic.userChanges.kinds == WeightedChoice<UserChangeKind>([(.create, 1), (.delete, 0)]))
        #expect(traffic.forceResetRate == 0.5 / 3600)
    }

    @Test func aTargetRateReplacesTheTimeScale() throws {
        let scenario = try Scenario.parse("rate: 5000/s\n" + self.minimal, path: "load.yaml")
        #expect(scenario.pacing == .rate(.constant(5000)))
    }

    @Test(arguments: [
        ("90s", 90.0), ("10m", 600), ("1h30m", 5400), ("1h30m15s", 5415), ("250ms", 0.25), ("45", 45), ("2.5m", 150),
    ] as [(String, Double)])
    func durations(text: String, seconds: Double) throws {
        let scenario = try Scenario.parse(
            "name: d\nphases:\n  - { name: p, pause: \(text) }\n", path: "d.yaml"
        )
        #expect(scenario.phases[0].duration == seconds)
    }

    @Test(arguments: [
        ("2/min", 2.0 / 60), ("30/h", 30.0 / 3600), ("5/s", 5), ("1/20m", 1.0 / 1200), ("3", 3), ("0/h", 0),
        ("1.5/hour", 1.5 / 3600), ("12/minute", 0.2),
    ] as [(String, Double)])
    func rates(text: String, perSecond: Double) throws {
        let scenario = try Scenario.parse(
            "name: r\nphases:\n  - { name: p, duration: 1m, arrivalRate: \(text) }\n", path: "r.yaml"
        )
        #expect(abs(scenario.phases[0].arrivalRate - perSecond) < 1e-12)
    }

    @Test func aRestaurantPathIsRelativeToTheScenario() throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("tablecast-scenario-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "tables:\n  - { number: 4, seats: 2 }\nmenu: []\nstaff: []\n"
            .write(to: folder.appendingPathComponent("small.yaml"), atomically: true, encoding: .utf8)
        let scenarioPath = folder.appendingPathComponent("s.yaml").path
        try ("restaurant: small.yaml\n" + self.minimal).write(toFile: scenarioPath, atomically: true, encoding: .utf8)
        let scenario = try Scenario.load(path: scenarioPath)
        #expect(scenario.restaurant.tables == [.init(number: 4, seats: 2)])
        #expect(scenario.restaurantSource == folder.appendingPathComponent("small.yaml").path)
    }

    /// A scenario file that must be refused, and what its error must say.
    struct BadFile: Sendable, CustomTestStringConvertible {
        var text: String
        var line: Int
        var field: String?
        var fragment: String

        var testDescription: String { "\(self.field ?? "YAML") at line \(self.line): \(self.fragment)" }
    }

    private static let phases = "phases:\n  - { name: p, duration: 10m, arrivalRate: 1/min }\n"

    private static func bad(_ text: String, _ line: Int, _ field: String?, _ fragment: String) -> BadFile {
        BadFile(text: text, line: line, field: field, fragment: fragment)
    }

    /// A valid scenario but for one traffic field, on line 6.
    private static func traffic(_ section: String, _ field: String) -> String {
        "name: x\n" + Self.phases + "traffic:\n  \(section):\n    \(field)\n"
    }

    /// A valid scenario but for one fault, on line 5.
    private static func fault(_ entry: String) -> String {
        "name: x\n" + Self.phases + "faults:\n  \(entry)\n"
    }

    /// A valid scenario but for one phase, on line 3.
    private static func phase(_ fields: String) -> String {
        "name: x\nphases:\n  - { \(fields) }\n"
    }

    static let badFiles: [BadFile] = [
        bad("name: x\nwaiters: 3\n" + phases, 2, "waiters", "unknown field"),
        bad(traffic("orders", "itemz: 2"), 6, "traffic.orders.itemz", "unknown field"),
        bad(phase("name: p, duration: 10 minutes, arrivalRate: 1/min"), 3, "phases[0].duration",
            "expected a duration such as 90s, 10m or 1h30m, found \"10 minutes\""),
        bad(phase("name: p, duration: 10m, arrivalRate: 2 per minute"), 3, "phases[0].arrivalRate",
            "expected a rate such as 2/min"),
        bad(phase("name: p, duration: 10m, arrivalRate: 2/fortnight"), 3, "phases[0].arrivalRate", "expected a rate"),
        bad(traffic("orders", "cancelShare: -0.1"), 6, "traffic.orders.cancelShare",
            "expected a share from 0 to 1, got -0.1"),
        bad(traffic("orders", "notesShare: 1.5"), 6, "traffic.orders.notesShare", "share from 0 to 1"),
        bad("name: x\nseed: 3\n", 1, "phases", "missing field"),
        bad("name: x\nphases: []\n", 2, "phases", "at least one phase"),
        bad(phase("name: p, arrivalRate: 1/min"), 3, "phases[0].duration", "missing field"),
        bad(phase("duration: 1m, arrivalRate: 1/min"), 3, "phases[0].name", "missing field"),
        bad(phase("name: p, duration: 1m"), 3, "phases[0].arrivalRate", "missing field"),
        bad(phase("name: p, pause: 1m, arrivalRate: 1/min"), 3, "phases[0].arrivalRate", "a pause has no arrivals"),
        bad(phase("name: p, duration: 1m, pause: 1m, arrivalRate: 1/min"), 3, "phases[0].pause",
            "either a duration or a pause"),
        bad(phase("name: p, duration: 0s, arrivalRate: 1/min"), 3, "phases[0].duration", "longer than 0s"),
        bad(phase("name: p, duration: 1m, arrivalRate: 1/min, rampTo: -2/min"), 3, "phases[0].rampTo",
            "expected a rate"),
        bad("name: x\ntimeScale: 60x\nrate: 10/s\n" + phases, 3, "rate", "either timeScale or rate"),
        bad("name: x\ntimeScale: fast\n" + phases, 2, "timeScale", "time scale such as 1x or 60x"),
        bad("name: x\nrate: 0/s\n" + phases, 2, "rate", "must be positive"),
        bad("name: x\nseed: -1\n" + phases, 2, "seed", "whole number"),
        bad("name: x\nloop: sometimes\n" + phases, 2, "loop", "true or false"),
        bad(traffic("parties", "dwell: 6m..2m"), 6, "traffic.parties.dwell", "runs backwards"),
        bad(traffic("orders", "items: 0..3"), 6, "traffic.orders.items", "at least 1"),
        bad(traffic("serviceCalls", "types: { waiter: 1, dessert: 2 }"), 6, "traffic.serviceCalls.types.dessert",
            "expected one of waiter, bill, water, help"),
        bad(traffic("chatter", "kinds: { new: -1 }"), 6, "traffic.chatter.kinds.new", "must not be negative"),
        bad(traffic("menuChanges", "kinds: { create: 0 }"), 6, "traffic.menuChanges.kinds",
            "at least one weight must be positive"),
        bad(traffic("parties", "size: { two: 1 }"), 6, "traffic.parties.size.two", "party sizes"),
        bad("name: x\nrestaurant: nowhere.yaml\n" + phases, 2, "restaurant", "no restaurant file"),
        bad("name: x\nrestaurant:\n  tables:\n    - { number: 1, seats: 0 }\n  menu: []\n  staff: []\n" + phases, 4,
            "restaurant.tables[0].seats", "must be positive"),
        bad("name: x\nrestaurant:\n  tables: []\n  menu:\n    - { id: 1, name: A, category: B, price: -5 }\n"
                + "  staff: []\n" + phases, 5, "restaurant.menu[0].price", "price"),
        bad("name: x\nrestaurant:\n  tables: []\n  menu: []\n  staff:\n    - { id: 1, username: a, role: waiter }\n"
                + "    - { id: 1, username: b, role: waiter }\n" + phases, 7, "restaurant.staff[1].id", "duplicate"),
        bad("name: x\nphases: [\n", 3, nil, "invalid YAML"),
        bad(fault("meteor: { rate: 1/h }"), 5, "faults.meteor", "unknown field"),
        bad(fault("duplicate: { every: 5m }"), 5, "faults.duplicate.every", "unknown field"),
        bad(fault("duplicate: {}"), 5, "faults.duplicate.rate", "missing field"),
        bad(fault("replay: { rate: 1/h, count: 0 }"), 5, "faults.replay.count", "must be from 1 to 1000, got 0"),
        bad(fault("extraFields: { rate: 1/h, count: 2..1 }"), 5, "faults.extraFields.count", "runs backwards"),
        bad(fault(#"unknownEvent: { rate: 1/h, names: ["order:created"] }"#), 5, "faults.unknownEvent.names[0]",
            "order:created is an event of the contract"),
        bad(fault("unknownEvent: { rate: 1/h, names: [disconnect] }"), 5, "faults.unknownEvent.names[0]",
            "reserved by Socket.IO"),
        bad(fault("unknownEvent: { rate: 1/h, names: [] }"), 5, "faults.unknownEvent.names", "at least one name"),
        bad(fault("disconnect: { rate: 1/h, clients: lots }"), 5, "faults.disconnect.clients",
            "expected all, a number of clients, or a share such as 25%"),
        bad(fault("disconnect: { rate: 1/h, clients: 150% }"), 5, "faults.disconnect.clients", "share such as 25%"),
        bad(fault("disconnect: { rate: 1/h, mode: politely }"), 5, "faults.disconnect.mode",
            "expected transport or namespace"),
        bad(fault("delay: { rate: 1/h, duration: 0s }"), 5, "faults.delay.duration", "more than 0s"),
        bad(fault("delay: { rate: often }"), 5, "faults.delay.rate", "expected a rate"),
    ]

    @Test(arguments: Self.badFiles)
    func badFilesNameTheFileLineAndField(_ file: BadFile) {
        do {
            _ = try Scenario.parse(file.text, path: "bad.yaml")
            Issue.record("accepted an invalid scenario:\n\(file.text)")
        } catch {
            #expect(error.path == "bad.yaml", "\(error)")
            #expect(error.line == file.line, "\(error)")
            #expect(error.field == file.field, "\(error)")
            #expect(error.description.contains(file.fragment), "\(error)")
            #expect(error.description.hasPrefix("bad.yaml:\(file.line): "), "\(error)")
        }
    }
}
