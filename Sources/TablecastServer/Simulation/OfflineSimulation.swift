import Journal
import Restaurant
import Simulator

/// `tablecast simulate`: runs a scenario on a virtual clock, as fast as the journal takes the events, without a
/// server. This is how a user makes test journals.
///
/// The virtual clock starts at `start`. With a time scale, an intent at model time `t` happens at `start + t`; with a
/// target rate, the `n`-th event happens at `start + n / rate`. Payload times come from that clock, so the same
/// scenario, seed and start give the same journal, byte for byte.
public enum OfflineSimulation {
    public struct Summary: Sendable {
        public var runID: Int64
        public var events: Int
        /// Simulated seconds covered.
        public var simulatedSeconds: Double
        public var eventsByName: [String: Int]
    }

    /// Resolves the scenario by name or path, applies the overrides, and simulates it.
    /// - Parameters:
    ///   - start: where the virtual clock starts; now when `nil`.
    public static func run(
        scenario nameOrPath: String,
        seed: UInt64?,
        rate: Double?,
        duration: Double,
        maxEvents: Int = .max,
        path: String,
        start: Timestamp?,
        progress: (Int, Double) -> Void = { _, _ in }
    ) throws -> Summary {
        var scenario = try ScenarioLibrary.resolve(nameOrPath)
        if let seed {
            scenario.seed = seed
        }
        if let rate {
            scenario.pacing = .rate(rate)
        }
        let origin = start ?? Timestamp(millisecondsSince1970: EventHub.wallClockMillis())
        return try Self.run(scenario: scenario, duration: duration, maxEvents: maxEvents, path: path, start: origin,
                            progress: progress)
    }

    /// Parses `--start`.
    public static func parseStart(_ text: String) -> Timestamp? {
        Timestamp(iso8601: text)
    }

    /// Simulates `duration` seconds of the scenario into a journal (a new run in `path`).
    /// - Parameter progress: called about every 100,000 events with the count so far and the simulated seconds.
    public static func run(
        scenario: Scenario,
        duration: Double,
        maxEvents: Int = .max,
        path: String,
        start: Timestamp,
        progress: (Int, Double) -> Void = { _, _ in }
    ) throws -> Summary {
        let writer = try JournalWriter(
            path: path,
            run: RunDescriptor(
                source: "simulate",
                scenario: scenario.name,
                seed: Int64(bitPattern: scenario.seed),
                tablecastVersion: tablecastVersion,
                metaJSON: RunMetadata(restaurant: scenario.restaurant).json,
                startedAtMillis: start.millisecondsSince1970
            )
        )
        var engine = SimulationEngine(scenario: scenario)
        var sink = LocalSink(definition: scenario.restaurant)
        var seq: Int64 = 0
        var simulated = 0.0
        var counts: [EventName: Int] = [:]
        var batch: [JournalEvent] = []
        batch.reserveCapacity(1024)
        let rate: Double?
        if case .rate(let target) = scenario.pacing {
            rate = target
        } else {
            rate = nil
        }
        do {
            while let modelTime = engine.nextTime {
                // With a target rate the clock follows the event count; otherwise it follows the model.
                let time = rate.map { Double(seq) / $0 } ?? modelTime
                guard time <= duration, seq < maxEvents else { break }
                simulated = time
                let millis = start.millisecondsSince1970 + Int64((time * 1000).rounded(.down))
                let events = engine.step(at: Timestamp(millisecondsSince1970: millis), sink: &sink)
                for event in events {
                    seq += 1
                    counts[event.name, default: 0] += 1
                    batch.append(JournalEvent(seq: seq, monoNanos: Int64(time * 1e9), wallMillis: millis,
                                              namespace: "/events", name: event.name.rawValue,
                                              payload: event.payload, detail: event.detail))
                    if seq % 100_000 == 0 {
                        progress(Int(seq), time)
                    }
                }
                if batch.count >= 1000 {
                    try writer.append(contentsOf: batch)
                    batch.removeAll(keepingCapacity: true)
                }
            }
            try writer.append(contentsOf: batch)
        } catch {
            // Commit what was accepted; a failing close reports the writer's own failure, the root cause.
            try writer.close()
            throw error
        }
        try writer.close()
        return Summary(runID: writer.runID, events: Int(seq), simulatedSeconds: simulated,
                       eventsByName: Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) }))
    }
}
