import Foundation
import Journal
import Logging
import NIOCore
import Restaurant
import SocketIOClient
import SocketIOProtocol
import Synchronization
import TablecastJSON
import UnixSignals

/// `tablecast record URL --out FILE`: journals every event a Socket.IO server broadcasts on a namespace.
///
/// Each event is journaled as received: its name, its payload bytes exactly, its receive time (wall and monotonic).
/// When the connection drops the client reconnects with backoff, and the time without a connection is journaled as
/// a `gap` row of the `faults` table (from, to, reason), after the last event before it, so that a replay and
/// `journal show` can see it. The run is opened on the first successful connection: a URL that never answers, a
/// server that is not Socket.IO or a namespace that refuses the connection leaves every journal as it was.
public enum Recorder {
    public struct Options: Sendable {
        public var url: String
        public var journalPath: String
        public var transport: Transport
        /// Stop after this many seconds.
        public var duration: Double?
        /// Stop once no event arrived for this many seconds.
        public var untilIdle: Double?
        /// The CONNECT payload (`auth`), as JSON bytes.
        public var auth: [UInt8]?

        public init(url: String, journalPath: String, transport: Transport = .pollingWithUpgrade,
                    duration: Double? = nil, untilIdle: Double? = nil, auth: [UInt8]? = nil) {
            self.url = url
            self.journalPath = journalPath
            self.transport = transport
            self.duration = duration
            self.untilIdle = untilIdle
            self.auth = auth
        }
    }

    /// How the recorder connects (`--transport`).
    public enum Transport: String, Sendable, CaseIterable {
        /// Long-polling first, then the upgrade to WebSocket, as browsers connect.
        case pollingWithUpgrade = "upgrade"
        case websocket
        case polling
    }

    /// A time the recorder had no connection.
    public struct Gap: Sendable {
        public var fromWallMillis: Int64
        public var toWallMillis: Int64
        public var reason: String
        /// The monotonic clock when the connection was lost.
        var fromMonoNanos: Int64
        /// Reconnection attempts that failed during the gap, and the last one's reason.
        var failedAttempts = 0
        var lastFailure: String?

        /// The reason, with the failed attempts: `transport close; 3 attempts failed, the last: connection refused`.
        public var description: String {
            guard let lastFailure else { return self.reason }
            let attempts = self.failedAttempts == 1 ? "1 attempt failed" : "\(self.failedAttempts) attempts failed"
            return "\(self.reason); \(attempts), the last: \(lastFailure)"
        }
    }

    /// What a recording did.
    public struct Summary: Sendable {
        public var runID: Int64
        public var events: Int
        public var bytes: Int
        public var eventsByName: [String: Int]
        public var gaps: [Gap]
        public var seconds: Double
        /// Why it stopped: the duration, idleness, a signal, or the server (which refused or disconnected it).
        public var stoppedBecause: String
        /// What else the summary should say: messages skipped, attachments kept as placeholders.
        public var notes: [String] = []
    }

    /// Why nothing was recorded: the first connection failed.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Records until the duration, idleness, SIGINT/SIGTERM, or the server ending the connection for good.
    /// - Throws: ``Failure`` when the first connection fails (nothing is written), ``JournalError`` when the journal
    ///   cannot be opened or refuses an event (what it accepted is committed).
    public static func record(options: Options, logger: Logger, trapSignals: Bool = true) async throws -> Summary {
        var clientConfiguration = SocketIOClientConfiguration(url: options.url)
        clientConfiguration.auth = options.auth
        clientConfiguration.transport =
            switch options.transport {
            case .pollingWithUpgrade: .pollingWithUpgrade
            case .websocket: .websocket
            case .polling: .polling
            }
        let client = SocketIOClient(configuration: clientConfiguration, logger: logger)
        let namespace = Self.namespace(of: options.url)
        let clock = ContinuousClock()
        let started = clock.now
        let stopReason = StopReason()

        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            if trapSignals {
                tasks.addTask {
                    for await signal in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
                        stopReason.set("signal \(signal)")
                        await client.stop()
                        return
                    }
                }
            }
            if let duration = options.duration {
                tasks.addTask {
                    try await clock.sleep(until: started + .seconds(duration))
                    stopReason.set("duration \(CommandLineFormat.seconds(duration)) reached")
                    await client.stop()
                }
            }
            let lastEvent = LastEvent(clock.now)
            if let idle = options.untilIdle {
                tasks.addTask {
                    while true {
                        let deadline = lastEvent.instant + .seconds(idle)
                        if clock.now >= deadline {
                            stopReason.set("no event for \(CommandLineFormat.seconds(idle))")
                            await client.stop()
                            return
                        }
                        try await clock.sleep(until: deadline)
                    }
                }
            }

            tasks.addTask { await client.run() }
            var writer: JournalWriter?
            var seq: Int64 = 0
            var summary = Summary(runID: 0, events: 0, bytes: 0, eventsByName: [:], gaps: [], seconds: 0,
                                  stoppedBecause: "")
            var gap: Gap?
            var failure: (any Error)?
            do {
                for await event in client.events {
                    switch event {
                    case .connected(let sid, let transport):
                        if writer == nil {
                            writer = try JournalWriter(
                                path: options.journalPath,
                                run: RunDescriptor(source: "record", tablecastVersion: tablecastVersion,
                                                   metaJSON: Self.metadata(options), startedAtMillis: EmissionClock.wallMillis())
                            )
                            summary.runID = writer!.runID
                            logger.info("recording", metadata: ["url": "\(options.url)", "sid": "\(sid)",
                                                                 "transport": "\(transport.rawValue)",
                                                                 "run": "\(summary.runID)"])
                        } else if var ended = gap {
                            ended.toWallMillis = EmissionClock.wallMillis()
                            try Self.journal(ended, afterSeq: seq, into: writer!)
                            summary.gaps.append(ended)
                            gap = nil
                            logger.notice("reconnected", metadata: ["sid": "\(sid)"])
                        }
                    case .upgraded:
                        break
                    case .event(let name, let payload, let wallMillis, let monoNanos):
                        guard let journal = writer else { continue }
                        seq += 1
                        try journal.append(JournalEvent(seq: seq, monoNanos: monoNanos, wallMillis: wallMillis,
                                                        namespace: namespace, name: name, payload: payload))
                        summary.events += 1
                        summary.bytes += payload.count
                        summary.eventsByName[name, default: 0] += 1
                        lastEvent.instant = clock.now
                    case .disconnected(let reason, let willReconnect, let atWallMillis):
                        if willReconnect {
                            gap = gap ?? Self.gap(at: atWallMillis, reason: reason)
                            logger.warning("connection lost; reconnecting", metadata: ["reason": "\(reason)"])
                        } else if stopReason.value == nil {
                            stopReason.set("the server ended the connection (\(reason))")
                            if writer != nil {
                                // A disconnect the client does not come back from is a gap until the end.
                                gap = Self.gap(at: atWallMillis, reason: reason)
                            }
                        }
                    case .connectFailed(let reason, let willRetry):
                        guard writer != nil else {
                            // Before the first connection, a failure is the answer: nothing was recorded.
                            failure = Failure(description: "cannot record \(options.url): \(Self.oneLine(reason))")
                            await client.stop()
                            continue
                        }
                        if !willRetry, stopReason.value == nil {
                            stopReason.set("gave up reconnecting: \(reason)")
                        }
                        if gap != nil {
                            gap!.failedAttempts += 1
                            gap!.lastFailure = Self.oneLine(reason)
                        }
                    }
                }
                if var open = gap, let journal = writer {
                    open.toWallMillis = EmissionClock.wallMillis()
                    open.reason += " (not reconnected before the recording stopped)"
                    try Self.journal(open, afterSeq: seq, into: journal)
                    summary.gaps.append(open)
                }
            } catch {
                failure = error
                await client.stop()
            }
            tasks.cancelAll()
            if let writer {
                // Everything accepted is committed; a failing close reports the writer's own failure.
                try writer.close()
            }
            if let failure {
                throw failure
            }
            guard writer != nil else {
                throw Failure(description: "cannot record \(options.url): the recording stopped before connecting")
            }
            summary.seconds = Self.seconds(clock.now - started)
            summary.stoppedBecause = stopReason.value ?? "stopped"
            return summary
        }
    }

    private static func gap(at wallMillis: Int64, reason: String) -> Gap {
        Gap(fromWallMillis: wallMillis, toWallMillis: wallMillis, reason: Self.oneLine(reason),
            fromMonoNanos: Int64(NIODeadline.now().uptimeNanoseconds))
    }

    /// A `gap` row of the `faults` table, placed after the last event before it.
    static func journal(_ gap: Gap, afterSeq: Int64, into writer: JournalWriter) throws(JournalError) {
        var spec = JSONWriter()
        spec.beginObject()
        spec.key("from"); spec.value(Self.time(gap.fromWallMillis))
        spec.key("to"); spec.value(Self.time(gap.toWallMillis))
        spec.key("reason"); spec.value(gap.description)
        spec.endObject()
        try writer.append(fault: JournalFault(afterSeq: afterSeq, monoNanos: gap.fromMonoNanos,
                                              wallMillis: gap.fromWallMillis, kind: "gap", spec: spec.text))
    }

    /// The run's `meta_json`: where it was recorded from.
    private static func metadata(_ options: Options) -> String {
        var meta = JSONWriter()
        meta.beginObject()
        meta.key("recordedFrom"); meta.value(options.url)
        meta.key("transport"); meta.value(options.transport.rawValue)
        meta.endObject()
        return meta.text
    }

    /// A reason on one line, at most 300 characters (a server's error page can be long).
    static func oneLine(_ text: String) -> String {
        let flat = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .joined(separator: " ")
        return flat.count > 300 ? String(flat.prefix(300)) + "…" : flat
    }

    /// `2026-11-26T12:00:00.000Z`.
    public static func time(_ millis: Int64) -> String {
        Timestamp(millisecondsSince1970: millis).iso8601
    }

    /// The namespace of a URL (`/` when its path is empty).
    static func namespace(of url: String) -> String {
        guard let components = URLComponents(string: url), !components.path.isEmpty else { return "/" }
        return components.path
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}

/// Why the recording stopped, set once by whoever stops it first.
private final class StopReason: Sendable {
    private let box = Mutex<String?>(nil)
    var value: String? { self.box.withLock { $0 } }
    func set(_ reason: String) {
        self.box.withLock { current in
            if current == nil {
                current = reason
            }
        }
    }
}

/// When the last event arrived, shared with the idle watch.
private final class LastEvent: Sendable {
    private let box: Mutex<ContinuousClock.Instant>
    init(_ instant: ContinuousClock.Instant) {
        self.box = Mutex(instant)
    }
    var instant: ContinuousClock.Instant {
        get { self.box.withLock { $0 } }
        set { self.box.withLock { $0 = newValue } }
    }
}

enum CommandLineFormat {
    static func seconds(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? "\(Int(seconds))s" : String(format: "%.1fs", seconds)
    }
}
