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
            scenario.pacing = .rate(.constant(rate))
        }
        let origin = start ?? Timestamp(millisecondsSince1970: EmissionClock.wallMillis())
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
        var sink = JournalSink(state: RestaurantState(definition: scenario.restaurant), writer: writer)
        var simulated = 0.0
        let rate: RateSchedule?
        if case .rate(let schedule) = scenario.pacing {
            rate = schedule
        } else {
            rate = nil
        }
        var nextProgress: Int64 = 100_000
        do {
            while let modelTime = engine.nextTime {
                // With a target rate the clock follows the event count; otherwise it follows the model.
                let time: Double
                if let rate {
                    guard let due = rate.time(ofEvent: Double(sink.seq)) else { break }  // the rate ended at 0
                    time = due
                } else {
                    time = modelTime
                }
                guard time <= duration, sink.seq < maxEvents else { break }
                simulated = time
                sink.time = time
                sink.millis = start.millisecondsSince1970 + Int64((time * 1000).rounded(.down))
                _ = engine.step(at: Timestamp(millisecondsSince1970: sink.millis), sink: &sink)
                try sink.commitIfFull()
                if sink.seq >= nextProgress {
                    progress(Int(sink.seq), time)
                    nextProgress += 100_000
                }
            }
            try sink.commit()
        } catch {
            // Commit what was accepted; a failing close reports the writer's own failure, the root cause.
            try writer.close()
            throw error
        }
        try writer.close()
        return Summary(runID: writer.runID, events: Int(sink.seq), simulatedSeconds: simulated,
                       eventsByName: sink.counts)
    }
}

/// The sink of `simulate`: applies each command to its own state and journals what it emits, with the scenario's
/// faults journaled as the server would (their events marked, disconnects and delays in the `faults` table, for a
/// replay to perform).
private struct JournalSink: CommandSink {
    var local: LocalSink
    let writer: JournalWriter
    var faults = FaultInjector()
    /// The virtual clock: model seconds since the start, and the wall time it stands for.
    var time = 0.0
    var millis: Int64 = 0
    private(set) var seq: Int64 = 0
    private(set) var counts: [String: Int] = [:]
    private var batch: [JournalEvent] = []
    /// The journal's first failure, thrown at the next commit.
    private var failure: JournalError?

    init(state: RestaurantState, writer: JournalWriter) {
        self.local = LocalSink(state: state)
        self.writer = writer
        self.batch.reserveCapacity(1024)
    }

    mutating func perform(
        _ command: (borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent]
    ) -> Result<[RestaurantEvent], CommandError> {
        let result = self.local.perform(command)
        if case .success(let events) = result {
            for event in events {
                let (payload, fault) = self.faults.payload(for: event.payload)
                let name = event.name.rawValue
                self.append(name: name, payload: payload, detail: event.detail, fault: fault)
                self.faults.transition(seq: self.seq, name: name, payload: payload)
            }
        }
        return result
    }

    mutating func inject(_ fault: Fault) {
        guard let emissions = try? self.faults.emissions(for: fault) else {
            return  // Nothing to duplicate or replay yet.
        }
        for emission in emissions {
            self.append(name: emission.name, payload: emission.payload, detail: nil, fault: emission.fault)
        }
        guard let spec = fault.journalSpec() else { return }
        do throws(JournalError) {
            // After the events before it: they are queued first.
            try self.commit()
            try self.writer.append(fault: JournalFault(afterSeq: self.seq, monoNanos: Int64(self.time * 1e9),
                                                       wallMillis: self.millis, kind: fault.kind.rawValue, spec: spec))
        } catch {
            self.failure = self.failure ?? error
        }
    }

    private mutating func append(name: String, payload: [UInt8], detail: [UInt8]?, fault: String?) {
        self.seq += 1
        self.counts[name, default: 0] += 1
        self.batch.append(JournalEvent(seq: self.seq, monoNanos: Int64(self.time * 1e9), wallMillis: self.millis,
                                       namespace: "/events", name: name, payload: payload, detail: detail,
                                       fault: fault))
    }

    mutating func commitIfFull() throws(JournalError) {
        if self.batch.count >= 1000 || self.failure != nil {
            try self.commit()
        }
    }

    /// Hands the batch to the writer.
    mutating func commit() throws(JournalError) {
        if let failure = self.failure {
            throw failure
        }
        try self.writer.append(contentsOf: self.batch)
        self.batch.removeAll(keepingCapacity: true)
    }
}
