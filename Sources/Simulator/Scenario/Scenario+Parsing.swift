import Foundation
import Restaurant
import Yams

/// Reading scenarios from YAML (the schema is in `Scenarios/README.md`). Every error names the file, the line and the
/// field; unknown fields are refused, so a typo never silently falls back to a default.
extension Scenario {
    /// Loads a scenario file; a restaurant given as a path is resolved against the file's folder.
    public static func load(path: String) throws(ConfigurationError) -> Scenario {
        try Self.decode(YAMLValue.load(path: path))
    }

    /// Parses a scenario from YAML text. `path` names the text in error messages, and its folder is where a
    /// restaurant given as a relative path is looked for.
    public static func parse(_ text: String, path: String) throws(ConfigurationError) -> Scenario {
        try Self.decode(YAMLValue.parse(text, path: path))
    }

    static func decode(_ root: YAMLValue) throws(ConfigurationError) -> Scenario {
        let fields = try root.mapping(
            allowed: ["name", "description", "seed", "restaurant", "timeScale", "rate", "loop", "phases", "traffic",
                      "faults"]
        )
        let nameValue = try fields.required("name", in: root)
        let name = try nameValue.string()
        guard !name.allSatisfy(\.isWhitespace) else {
            throw nameValue.error("the name must not be empty")
        }
        var scenario = Scenario(name: name, phases: try Self.decodePhases(try fields.required("phases", in: root)))
        scenario.summary = try fields["description"]?.string()
        if let seedValue = fields["seed"] {
            guard case .scalar(let scalar) = seedValue.node, let seed = UInt64(scalar.string) else {
                throw seedValue.error(
                    "expected a whole number from 0 to \(UInt64.max), found \(seedValue.kindDescription)"
                )
            }
            scenario.seed = seed
        }
        if let loop = fields["loop"] {
            scenario.loop = try loop.bool()
        }
        switch (fields["timeScale"], fields["rate"]) {
        case (.some, .some(let rate)):
            throw rate.error("give either timeScale or rate, not both")
        case (let scale?, nil):
            scenario.pacing = .timeScale(try scale.timeScale())
        case (nil, let rateValue?):
            scenario.pacing = .rate(try Self.decodeRate(rateValue))
        case (nil, nil):
            scenario.pacing = .timeScale(1)
        }
        if let restaurant = fields["restaurant"] {
            (scenario.restaurant, scenario.restaurantSource) = try Self.decodeRestaurant(restaurant)
        }
        if let traffic = fields["traffic"] {
            scenario.traffic = try Self.decodeTraffic(traffic)
        }
        if let faults = fields["faults"] {
            scenario.faults = try Self.decodeFaults(faults)
        }
        return scenario
    }

    // MARK: Rate

    /// `rate: 5000/s`, or stages in wall-clock time: `- { name: warm-up, duration: 1m, rate: 100/s, rampTo: 5000/s }`.
    private static func decodeRate(_ value: YAMLValue) throws(ConfigurationError) -> RateSchedule {
        guard case .sequence = value.node else {
            let rate = try value.rate()
            guard rate > 0 else {
                throw value.error("the target event rate must be positive")
            }
            return .constant(rate)
        }
        let entries = try value.sequence()
        guard !entries.isEmpty else {
            throw value.error("give a rate such as 5000/s, or at least one stage")
        }
        var stages: [RateSchedule.Stage] = []
        for entry in entries {
            let fields = try entry.mapping(allowed: ["name", "duration", "rate", "rampTo"])
            let name = try fields.required("name", in: entry).string()
            let durationValue = try fields.required("duration", in: entry)
            let duration = try durationValue.duration()
            guard duration > 0 else {
                throw durationValue.error("a stage must last longer than 0s")
            }
            let rate = try fields.required("rate", in: entry).rate()
            let rampTo = try fields["rampTo"]?.rate()
            stages.append(RateSchedule.Stage(name: name, duration: duration, rate: rate, rampTo: rampTo))
        }
        guard stages.contains(where: { $0.rate > 0 || $0.rampTo > 0 }) else {
            throw value.error("every stage has a rate of 0: no event would ever be emitted")
        }
        return RateSchedule(stages: stages)
    }

    // MARK: Restaurant

    private static func decodeRestaurant(_ value: YAMLValue) throws(ConfigurationError)
        -> (RestaurantDefinition, String)
    {
        guard case .scalar(let scalar) = value.node else {
            return (try RestaurantDefinitionFile.decode(value), "inline")
        }
        let reference = scalar.string
        if reference == "default" {
            return (.default, "default")
        }
        guard !reference.isEmpty else {
            throw value.error("expected default, a path to a restaurant file, or an inline restaurant")
        }
        let path: String
        if reference.hasPrefix("/") {
            path = reference
        } else {
            let folder = (value.path as NSString).deletingLastPathComponent
            path = folder.isEmpty ? reference : (folder as NSString).appendingPathComponent(reference)
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw value.error("no restaurant file at \(path) (a path is relative to the scenario file)")
        }
        return (try RestaurantDefinitionFile.load(path: path), path)
    }

    // MARK: Phases

    private static func decodePhases(_ list: YAMLValue) throws(ConfigurationError) -> [Phase] {
        let entries = try list.sequence()
        guard !entries.isEmpty else {
            throw list.error("a scenario needs at least one phase")
        }
        var phases: [Phase] = []
        for entry in entries {
            let fields = try entry.mapping(allowed: ["name", "duration", "pause", "arrivalRate", "rampTo"])
            let name = try fields.required("name", in: entry).string()
            switch (fields["duration"], fields["pause"]) {
            case (.some, .some(let pause)):
                throw pause.error("a phase has either a duration or a pause, not both")
            case (nil, nil):
                let field = "\(entry.field).duration"
                throw ConfigurationError(path: entry.path, line: entry.line, field: field,
                                         message: "missing field (a phase has a duration or a pause)")
            case (nil, let pauseValue?):
                for extra in ["arrivalRate", "rampTo"] {
                    if let value = fields[extra] {
                        throw value.error("a pause has no arrivals; remove \(extra) or make it a duration")
                    }
                }
                phases.append(.pause(name: name, duration: try Self.positiveDuration(pauseValue)))
            case (let durationValue?, nil):
                let duration = try Self.positiveDuration(durationValue)
                let arrivalRate = try fields.required("arrivalRate", in: entry).rate()
                let rampTo = try fields["rampTo"]?.rate()
                phases.append(Phase(name: name, duration: duration, arrivalRate: arrivalRate, rampTo: rampTo))
            }
        }
        return phases
    }

    private static func positiveDuration(_ value: YAMLValue) throws(ConfigurationError) -> Double {
        let duration = try value.duration()
        guard duration > 0 else {
            throw value.error("a phase must last longer than 0s")
        }
        return duration
    }

    // MARK: Traffic

    private static func decodeTraffic(_ value: YAMLValue) throws(ConfigurationError) -> TrafficModel {
        var traffic = TrafficModel()
        let sections = try value.mapping(
            allowed: ["parties", "orders", "checkout", "serviceCalls", "chatter", "menuChanges", "userChanges",
                      "forceResets"]
        )
        if let section = sections["parties"] {
            let fields = try section.mapping(allowed: ["size", "dwell", "patience", "turnover"])
            if let size = fields["size"] {
                traffic.parties.size = try size.weights(
                    expected: "party sizes (1, 2, …)", key: { Int($0).flatMap { $0 > 0 ? $0 : nil } }, order: (<)
                )
            }
            if let dwell = fields["dwell"] { traffic.parties.dwell = try dwell.durationRange() }
            if let patience = fields["patience"] { traffic.parties.patience = try patience.duration() }
            if let turnover = fields["turnover"] { traffic.parties.turnover = try turnover.durationRange() }
        }
        if let section = sections["orders"] {
            let fields = try section.mapping(
                allowed: ["perParty", "items", "quantity", "notesShare", "firstAfter", "nextAfter", "serveAfter",
                          "completeAfter", "cancelShare"]
            )
            if let perParty = fields["perParty"] {
                traffic.orders.perParty = try Self.countRange(perParty, minimum: 0)
            }
            if let items = fields["items"] { traffic.orders.items = try Self.countRange(items, minimum: 1) }
            if let quantity = fields["quantity"] {
                traffic.orders.quantity = try quantity.weights(
                    expected: "quantities (1, 2, …)", key: { Int($0).flatMap { $0 > 0 ? $0 : nil } }, order: (<)
                )
            }
            if let share = fields["notesShare"] { traffic.orders.notesShare = try share.share() }
            if let value = fields["firstAfter"] { traffic.orders.firstAfter = try value.durationRange() }
            if let value = fields["nextAfter"] { traffic.orders.nextAfter = try value.durationRange() }
            if let value = fields["serveAfter"] { traffic.orders.serveAfter = try value.durationRange() }
            if let value = fields["completeAfter"] { traffic.orders.completeAfter = try value.durationRange() }
            if let share = fields["cancelShare"] { traffic.orders.cancelShare = try share.share() }
        }
        if let section = sections["checkout"] {
            let fields = try section.mapping(allowed: ["startAfter", "completeAfter"])
            if let value = fields["startAfter"] { traffic.checkout.startAfter = try value.durationRange() }
            if let value = fields["completeAfter"] { traffic.checkout.completeAfter = try value.durationRange() }
        }
        if let section = sections["serviceCalls"] {
            let fields = try section.mapping(allowed: ["rate", "types", "handleAfter"])
            if let rate = fields["rate"] { traffic.serviceCalls.rate = try rate.rate() }
            if let types = fields["types"] {
                traffic.serviceCalls.types = try Self.enumWeights(types, ServiceCallType.self)
            }
            if let value = fields["handleAfter"] { traffic.serviceCalls.handleAfter = try value.durationRange() }
        }
        if let section = sections["chatter"] {
            let fields = try section.mapping(allowed: ["rate", "kinds", "deleteAllRate"])
            if let rate = fields["rate"] { traffic.chatter.rate = try rate.rate() }
            if let kinds = fields["kinds"] { traffic.chatter.kinds = try Self.enumWeights(kinds, ChatterKind.self) }
            if let rate = fields["deleteAllRate"] { traffic.chatter.deleteAllRate = try rate.rate() }
        }
        if let section = sections["menuChanges"] {
            let fields = try section.mapping(allowed: ["rate", "kinds"])
            if let rate = fields["rate"] { traffic.menuChanges.rate = try rate.rate() }
            if let kinds = fields["kinds"] {
                traffic.menuChanges.kinds = try Self.enumWeights(kinds, MenuChangeKind.self)
            }
        }
        if let section = sections["userChanges"] {
            let fields = try section.mapping(allowed: ["rate", "kinds"])
            if let rate = fields["rate"] { traffic.userChanges.rate = try rate.rate() }
            if let kinds = fields["kinds"] {
                traffic.userChanges.kinds = try Self.enumWeights(kinds, UserChangeKind.self)
            }
        }
        if let section = sections["forceResets"] {
            let fields = try section.mapping(allowed: ["rate"])
            if let rate = fields["rate"] { traffic.forceResetRate = try rate.rate() }
        }
        return traffic
    }

    // MARK: Faults

    private static func decodeFaults(_ value: YAMLValue) throws(ConfigurationError) -> FaultSchedule {
        let sections = try value.mapping(
            allowed: ["duplicate", "replay", "unknownEvent", "extraFields", "disconnect", "delay"]
        )
        var schedule = FaultSchedule()
        // The schema's order, whatever the file's, so that the same faults always draw in the same order.
        for kind in ["duplicate", "replay", "unknownEvent", "extraFields", "disconnect", "delay"] {
            guard let section = sections[kind] else { continue }
            let template: FaultSchedule.Template
            let rate: Double
            switch kind {
            case "duplicate":
                let fields = try section.mapping(allowed: ["rate"])
                rate = try fields.required("rate", in: section).rate()
                template = .duplicate
            case "replay":
                let fields = try section.mapping(allowed: ["rate", "count"])
                rate = try fields.required("rate", in: section).rate()
                let count = try fields["count"].map { (value) throws(ConfigurationError) in
                    try Self.faultCount(value, maximum: Fault.recentCapacity)
                } ?? 3...8
                template = .replay(count: count)
            case "unknownEvent":
                let fields = try section.mapping(allowed: ["rate", "names"])
                rate = try fields.required("rate", in: section).rate()
                var names = [Fault.defaultUnknownEventName]
                if let list = fields["names"] {
                    names = []
                    for entry in try list.sequence() {
                        names.append(try Self.unknownEventName(entry))
                    }
                    guard !names.isEmpty else {
                        throw list.error("give at least one name, or leave names out for \(Fault.defaultUnknownEventName)")
                    }
                }
                template = .unknownEvent(names: names)
            case "extraFields":
                let fields = try section.mapping(allowed: ["rate", "count"])
                rate = try fields.required("rate", in: section).rate()
                let count = try fields["count"].map { (value) throws(ConfigurationError) in
                    try Self.faultCount(value, maximum: 1000)
                } ?? 1...3
                template = .extraFields(count: count)
            case "disconnect":
                let fields = try section.mapping(allowed: ["rate", "clients", "mode"])
                rate = try fields.required("rate", in: section).rate()
                var clients = Fault.ClientCount.all
                if let value = fields["clients"] {
                    guard let parsed = Fault.ClientCount(try value.string()) else {
                        throw value.error("expected all, a number of clients, or a share such as 25%, found \(value.kindDescription)")
                    }
                    clients = parsed
                }
                var mode = Fault.DisconnectMode.transport
                if let value = fields["mode"] {
                    guard let parsed = Fault.DisconnectMode(rawValue: try value.string()) else {
                        throw value.error("expected transport or namespace, found \(value.kindDescription)")
                    }
                    mode = parsed
                }
                template = .disconnect(clients: clients, mode: mode)
            default:
                let fields = try section.mapping(allowed: ["rate", "duration"])
                rate = try fields.required("rate", in: section).rate()
                var duration = DurationRange(1, 3)
                if let value = fields["duration"] {
                    duration = try value.durationRange()
                    guard duration.lower > 0, duration.upper <= 600 else {
                        throw value.error("a delay lasts more than 0s and at most 10m")
                    }
                }
                template = .delay(duration: duration)
            }
            schedule.entries.append(FaultSchedule.Entry(rate: rate, template: template))
        }
        return schedule
    }

    private static func faultCount(_ value: YAMLValue, maximum: Int) throws(ConfigurationError) -> ClosedRange<Int> {
        let range = try value.intRange()
        guard range.lowerBound >= 1, range.upperBound <= maximum else {
            throw value.error("must be from 1 to \(maximum), got \(range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound)..\(range.upperBound)")")
        }
        return range
    }

    /// An event name for an unknown-event fault: not one of the contract's, nor one Socket.IO reserves.
    private static func unknownEventName(_ value: YAMLValue) throws(ConfigurationError) -> String {
        let name = try value.string()
        guard !name.isEmpty else {
            throw value.error("an event name must not be empty")
        }
        guard EventName(rawValue: name) == nil else {
            throw value.error("\(name) is an event of the contract; an unknown event needs a name outside the catalog")
        }
        guard !Fault.reservedEventNames.contains(name) else {
            throw value.error("\(name) is reserved by Socket.IO")
        }
        return name
    }

    private static func countRange(_ value: YAMLValue, minimum: Int) throws(ConfigurationError) -> ClosedRange<Int> {
        let range = try value.intRange()
        guard range.lowerBound >= minimum else {
            throw value.error("must be at least \(minimum), got \(range.lowerBound)")
        }
        guard range.upperBound <= 1000 else {
            throw value.error("must be at most 1000, got \(range.upperBound)")
        }
        return range
    }

    /// Weights keyed by an enumeration's raw values, drawn in the enumeration's declaration order.
    private static func enumWeights<Kind: RawRepresentable & CaseIterable & Sendable & Hashable>(
        _ value: YAMLValue, _ kind: Kind.Type
    ) throws(ConfigurationError) -> WeightedChoice<Kind> where Kind.RawValue == String {
        let cases = Array(Kind.allCases)
        let names = cases.map(\.rawValue).joined(separator: ", ")
        return try value.weights(
            expected: names,
            key: { Kind(rawValue: $0) },
            order: { lhs, rhs in
                (cases.firstIndex(of: lhs) ?? 0) < (cases.firstIndex(of: rhs) ?? 0)
            }
        )
    }
}
