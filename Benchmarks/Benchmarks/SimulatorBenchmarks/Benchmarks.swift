import Benchmark
import Restaurant
import Simulator
import Synchronization

/// The events synthesized per measured iteration (`scalingFactor: .kilo`).
private let eventsPerIteration = 1000

let benchmarks: @Sendable () -> Void = {
    // One operation is one synthesized event: the engine runs the next intents through a `LocalSink` (the command
    // checked, the event applied to the restaurant state) and each event's payload is encoded, as the emission pipeline would
    // receive it; no journal, no clients. The engine and its restaurant persist across the iterations of a run, so
    // the figures include a state that grows as it does in a long simulation.
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 10,
        scalingFactor: .kilo,
        maxDuration: .seconds(5),
        maxIterations: 2000
    )

    for name in ScenarioLibrary.names {
        let fixture = SynthesisFixture(scenario: name)
        Benchmark("synthesize-\(name)") { benchmark in
            blackHole(fixture.synthesize(benchmark.scaledIterations.count))
        } setup: {
            fixture.start()
        } teardown: {
            fixture.stop()
        }
    }
}

/// An engine and its restaurant, shared by the iterations of one benchmark run.
final class SynthesisFixture: Sendable {
    private struct Run {
        var engine: SimulationEngine
        var sink: LocalSink
    }

    /// 2026-11-26T12:00:00.000Z.
    private static let start: Int64 = 1_795_694_400_000

    private let name: String
    private let run = Mutex<Run?>(nil)

    init(scenario name: String) {
        self.name = name
    }

    func start() {
        guard let scenario = ScenarioLibrary.named(self.name) else {
            fatalError("no built-in scenario \(self.name)")
        }
        let run = Run(engine: SimulationEngine(scenario: scenario), sink: LocalSink(definition: scenario.restaurant))
        self.run.withLock { $0 = run }
    }

    func stop() {
        self.run.withLock { $0 = nil }
    }

    /// Synthesizes at least `count` events and returns the bytes of their payloads.
    func synthesize(_ count: Int) -> Int {
        self.run.withLock { run in
            guard var current = run.take() else {
                fatalError("\(self.name): the engine is not started")
            }
            defer { run = current }
            var bytes = 0
            let target = current.engine.eventsEmitted + count
            while current.engine.eventsEmitted < target, let time = current.engine.nextTime {
                let at = Timestamp(millisecondsSince1970: Self.start + Int64(time * 1000))
                for event in current.engine.step(at: at, sink: &current.sink) {
                    bytes &+= event.payload.count
                }
            }
            return bytes
        }
    }
}
