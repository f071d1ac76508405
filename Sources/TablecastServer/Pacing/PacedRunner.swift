import Logging
import ServiceLifecycle
import Synchronization

/// A source of events paced against the wall clock: the simulation or a replay.
///
/// The source itself (a simulation engine, a journal reader) belongs to its runner's task alone and is never shared;
/// what the control API reads and changes while it runs (the pace, the speed, the progress) is its ``Shared`` state,
/// kept under the runner's one lock. The runner calls the synchronous hooks under that lock, the asynchronous ones
/// outside it.
protocol PacedSource: Sendable {
    associatedtype Shared: Sendable
    /// Where a seek can go; `Never` for a source that cannot seek.
    associatedtype Position: Sendable & Equatable
    /// What the source sends next: an intent's time, a journal event.
    associatedtype Item

    /// Takes what the control API changed since the last item (a new scenario's engine), under the lock.
    mutating func adopt(_ shared: inout Shared)

    /// Moves to `position` (the start when `nil`): what the next item is, and the projection before it.
    mutating func seek(to position: Position?) async throws

    /// Reports where a seek led, under the lock.
    func sought(_ shared: inout Shared)

    /// The next item, without taking it; `nil` at the end of the source.
    mutating func next() async throws -> Item?

    /// When `item` is due, from the anchor kept in `shared` (set on the first item after a (re)start); `nil` when
    /// nothing may leave now (a rate that ended at 0). Under the lock.
    func due(of item: Item, _ shared: inout Shared, now: ContinuousClock.Instant) -> Due

    /// Sends `item` and moves past it.
    /// - Returns: whether it counts as a step (a replay's filtered event does not).
    mutating func perform(_ item: Item) async throws -> Bool

    /// Records `item` as done, under the lock.
    func performed(_ item: Item, counted: Bool, _ shared: inout Shared)

    /// The source is past its last item: whether it starts over (a replay with `--loop`), under the lock.
    mutating func ended(_ shared: inout Shared) -> Bool

    /// The pace is interrupted (paused, stepped, sought, its pace or speed changed): drop the anchor, keeping
    /// whatever a schedule must resume from. Under the lock.
    static func interrupt(_ shared: inout Shared, now: ContinuousClock.Instant)
}

enum Due {
    case at(ContinuousClock.Instant)
    /// At once (a step, or a replay at full speed).
    case now
    /// Nothing may leave now: look again shortly.
    case never
}

/// What a paced run is doing.
public enum RunState: String, Sendable {
    /// Holding the start until enough clients are connected.
    case waiting
    case playing
    case paused
    /// Past the last event (the server keeps serving; a seek starts it again).
    case finished
}

/// The one skeleton of the paced sources: start, pause and resume, step, seek, the journal's backpressure and
/// graceful shutdown are this code for the simulation and the replay alike.
///
/// Due times are kept against one anchor, so that sleeping late never accumulates drift; an event that is less than
/// 100 µs early leaves at once rather than paying for a sleep (``Pacing``).
final class PacedRunner<Source: PacedSource>: Sendable {
    struct Control: Sendable {
        var state: RunState
        /// Items to send at once, while paused.
        var steps = 0
        /// A seek asked for and not yet done.
        var seek: Source.Position?
        /// Clients to wait for before playing (`waiting`).
        var waitForClients: Int
        /// An item is being sent: a pause answered now waits for it, so that nothing leaves after the answer.
        var performing = false
        var shared: Source.Shared
    }

    /// How often an idle runner (paused, waiting, finished) looks again.
    static var idlePoll: Duration { .milliseconds(20) }

    let control: Mutex<Control>
    private let pipeline: EmissionPipeline
    private let clients: @Sendable () -> Int
    private let logger: Logger

    init(shared: Source.Shared, waitForClients: Int, pipeline: EmissionPipeline,
         clients: @escaping @Sendable () -> Int, logger: Logger) {
        self.control = Mutex(Control(state: waitForClients > 0 ? .waiting : .playing, waitForClients: waitForClients,
                                     shared: shared))
        self.pipeline = pipeline
        self.clients = clients
        self.logger = logger
    }

    // MARK: Control

    /// Pauses or resumes; resuming re-anchors the pace at the next item.
    func setPaused(_ paused: Bool) {
        self.control.withLock { control in
            switch (control.state, paused) {
            case (.playing, true), (.waiting, true):
                Source.interrupt(&control.shared, now: .now)
                control.state = .paused
            case (.paused, false):
                Source.interrupt(&control.shared, now: .now)
                control.state = .playing
            default:
                break
            }
        }
    }

    /// Pauses and sends the next `count` items at once.
    func step(_ count: Int) {
        self.control.withLock { control in
            if control.state == .playing || control.state == .waiting {
                Source.interrupt(&control.shared, now: .now)
                control.state = .paused
            }
            control.steps += count
        }
    }

    /// Moves to a position: the next item is the first at or after it.
    func seek(to position: Source.Position) {
        self.control.withLock { $0.seek = position }
    }

    /// Changes the shared state (a pace, a speed) and re-anchors.
    func change(_ body: (inout Source.Shared) -> Void) {
        self.control.withLock { control in
            Source.interrupt(&control.shared, now: .now)
            body(&control.shared)
        }
    }

    /// Plays again a run that finished (a new scenario to simulate).
    func resumeIfFinished() {
        self.control.withLock { control in
            if control.state == .finished {
                control.state = .playing
            }
        }
    }

    /// Reads the state under the lock.
    func read<Result>(_ body: (borrowing Control) -> Result) -> Result {
        self.control.withLock { body($0) }
    }

    /// Whether a seek or steps asked for are still to be done, or an item is on its way out.
    var isBusy: Bool {
        self.control.withLock { $0.performing || $0.seek != nil || ($0.steps > 0 && $0.state != .finished) }
    }

    /// Waits (up to `timeout`) until the seeks and steps asked for are done and no item is on its way out, so that
    /// an answer shows their effect (a pause answered means nothing more leaves).
    func settle(timeout: Duration = .seconds(5)) async {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while self.isBusy, clock.now < deadline {
            try? await clock.sleep(for: .milliseconds(2))
        }
    }

    // MARK: Running

    /// Runs `source` until graceful shutdown (which cancels it between two items: a normal end).
    /// - Throws: what the source throws (a journal that fails).
    func run(_ source: Source) async throws {
        do {
            try await cancelWhenGracefulShutdown {
                var source = source
                try await self.loop(&source)
            }
        } catch is CancellationError {
        }
    }

    private func loop(_ source: inout Source) async throws {
        let clock = ContinuousClock()
        try await source.seek(to: nil)
        self.control.withLock { source.sought(&$0.shared) }
        while !Task.isCancelled {
            // A seek first: the source rebuilds what precedes the target.
            if let seek = self.control.withLock({ $0.seek }) {
                try await source.seek(to: seek)
                self.control.withLock { control in
                    source.sought(&control.shared)
                    Source.interrupt(&control.shared, now: clock.now)
                    if control.state == .finished {
                        control.state = .playing
                    }
                    if control.seek == seek {
                        control.seek = nil
                    }
                }
            }

            // Whether to go on: playing, or stepping while paused.
            let stepping = self.control.withLock { control -> Bool? in
                source.adopt(&control.shared)
                if control.state == .waiting, self.clients() >= control.waitForClients {
                    control.state = .playing
                    Source.interrupt(&control.shared, now: clock.now)
                }
                guard control.state == .playing || (control.steps > 0 && control.state != .finished) else {
                    return nil
                }
                return control.steps > 0
            }
            guard let stepping else {
                try await clock.sleep(for: Self.idlePoll)
                continue
            }

            guard let item = try await source.next() else {
                let restarts = self.control.withLock { control -> Bool in
                    control.steps = 0
                    let restarts = source.ended(&control.shared)
                    if !restarts {
                        control.state = .finished
                    }
                    Source.interrupt(&control.shared, now: clock.now)
                    return restarts
                }
                if restarts {
                    try await source.seek(to: nil)
                    self.control.withLock { source.sought(&$0.shared) }
                }
                continue
            }

            // When it is due: at once for a step; otherwise on the source's pace from the anchor.
            if !stepping {
                let due = self.control.withLock { control in source.due(of: item, &control.shared, now: clock.now) }
                switch due {
                case .never:
                    try await clock.sleep(for: Self.idlePoll)
                    continue
                case .at(let instant):
                    guard try await Pacing.wait(until: instant, clock: clock) else { continue }
                case .now:
                    break
                }
            }

            // A journal past its backlog bound holds the source back; it catches up on its schedule after.
            if self.pipeline.journalIsBehind {
                try await Pacing.waitWhileJournalBehind(self.pipeline, clock: clock, logger: self.logger)
                continue
            }
            // A pause that came during the wait holds the item back; otherwise it is marked on its way out.
            let proceed = self.control.withLock { control -> Bool in
                guard control.state == .playing || (stepping && control.steps > 0 && control.state != .finished) else {
                    return false
                }
                control.performing = true
                return true
            }
            guard proceed else { continue }
            let counted: Bool
            do {
                counted = try await source.perform(item)
            } catch {
                self.control.withLock { $0.performing = false }
                throw error
            }
            self.control.withLock { control in
                control.performing = false
                source.performed(item, counted: counted, &control.shared)
                if counted, control.steps > 0 {
                    control.steps -= 1
                    Source.interrupt(&control.shared, now: clock.now)
                }
            }
        }
    }
}
