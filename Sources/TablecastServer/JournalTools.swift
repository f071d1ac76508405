import Foundation
import Journal
import Restaurant
import Simulator
import SocketIOProtocol
import TablecastJSON

/// `tablecast journal ls|show|stats|export|import|trim`: what people who investigate a journal need.
///
/// Every reading tool opens the journal read-only. `import` writes a new run; `trim` is the one tool that changes an
/// existing run, and only when asked to.
public enum JournalTools {
    /// Where output lines go; buffered, so that a million lines cost little.
    public final class Output {
        private let handle: FileHandle
        private var buffer: [UInt8] = []

        public init(_ handle: FileHandle) {
            self.handle = handle
            self.buffer.reserveCapacity(1 << 16)
        }

        public func line(_ text: String) {
            self.buffer.append(contentsOf: text.utf8)
            self.buffer.append(0x0A)
            self.flushIfFull()
        }

        func line(bytes: [UInt8]) {
            self.buffer.append(contentsOf: bytes)
            self.buffer.append(0x0A)
            self.flushIfFull()
        }

        private func flushIfFull() {
            if self.buffer.count >= 1 << 16 {
                self.flush()
            }
        }

        public func flush() {
            guard !self.buffer.isEmpty else { return }
            self.handle.write(Data(self.buffer))
            self.buffer.removeAll(keepingCapacity: true)
        }

        deinit {
            self.flush()
        }
    }

    /// A problem with the request itself (a run that does not exist, a line that is not an export).
    public struct Problem: Error, CustomStringConvertible {
        public var description: String

        public init(description: String) {
            self.description = description
        }
    }

    /// Progress for long operations, on a terminal only: called with a count now and then.
    public typealias Progress = (Int) -> Void

    // MARK: ls

    /// One line per run: id, source, start, seq range, events, span, scenario, and what it replays.
    public static func list(path: String, output: Output) throws {
        let reader = try JournalReader(path: path)
        let runs = try reader.runs()
        output.line("journal \(path): schema version \(reader.schemaVersion), \(runs.count) runs")
        for run in runs {
            var text = "run \(run.id)  \(run.source)  started \(Self.time(run.startedAtMillis))"
            if let span = try reader.span(runID: run.id) {
                let seconds = Double(span.lastMonoNanos - span.firstMonoNanos) / 1e9
                text += "  seq \(span.firstSeq)..\(span.lastSeq)  \(span.count) events  over \(Self.duration(seconds))"
                text += "  (\(Self.time(span.firstWallMillis)) to \(Self.time(span.lastWallMillis)))"
            } else {
                text += "  no events"
            }
            if let scenario = run.scenario {
                text += "  scenario \(scenario)"
            }
            if let seed = run.seed {
                text += " seed \(seed)"
            }
            let faults = try reader.faults(runID: run.id).count
            if faults > 0 {
                text += "  \(faults) disconnect/delay faults"
            }
            if let replayOf = (try? RunMetadata.decode(run.metaJSON))??.replayOf {
                text += "  replay of run \(replayOf.run) of \(replayOf.path) (seq \(replayOf.fromSeq)..\(replayOf.toSeq), "
                    + "speed \(replayOf.speed))"
            }
            output.line(text)
        }
    }

    // MARK: show

    /// A timeline, one line per event: `seq`, time, offset from the run's first event, name, fault, and the payload
    /// when asked; the faults that are not events in their place.
    public static func show(path: String, runID: Int64?, from: ReplaySource.Position?, to: ReplaySource.Position?,
                            only: [String], except: [String], payloads: Bool, limit: Int?, output: Output) throws {
        let source = try ReplaySource(path: path, runID: runID, from: from, to: to)
        let reader = try JournalReader(path: path)
        let filter = EventFilter(only: only, except: except)
        var faults = source.faults.filter { $0.afterSeq >= source.fromSeq - 1 && $0.afterSeq <= source.toSeq }[...]
        var shown = 0
        let first = source.span.firstMonoNanos
        output.line("run \(source.run.id) of \(path): seq \(source.fromSeq)..\(source.toSeq)")
        func showFaults(upTo seq: Int64) {
            while let fault = faults.first, fault.afterSeq <= seq {
                faults.removeFirst()
                output.line("  -  \(Self.time(fault.wallMillis))  \(Self.offset(fault.monoNanos - first))  "
                    + "[fault \(fault.kind)] \(fault.spec)")
            }
        }
        struct Stop: Error {}
        do {
            try reader.forEachEvent(runID: source.run.id, fromSeq: source.fromSeq) { event in
                guard event.seq <= source.toSeq else { throw Stop() }
                showFaults(upTo: event.seq - 1)
                guard filter.admits(event.name) else { return }
                if let limit, shown >= limit { throw Stop() }
                shown += 1
                var text = "\(event.seq)  \(Self.time(event.wallMillis))  \(Self.offset(event.monoNanos - first))  "
                    + event.name
                if let fault = event.fault {
                    text += "  [\(fault)]"
                }
                if payloads {
                    text += "  " + String(decoding: event.payload, as: UTF8.self)
                }
                output.line(text)
            }
            showFaults(upTo: source.toSeq)
        } catch is Stop {
            // The window or the limit is reached.
        }
        output.line("\(shown) events shown")
    }

    // MARK: stats

    /// Events per name per minute of the run's wall clock, and the totals.
    public static func stats(path: String, runID: Int64?, output: Output) throws {
        let source = try ReplaySource(path: path, runID: runID, from: nil, to: nil)
        let reader = try JournalReader(path: path)
        var minutes: [Int64: [String: Int]] = [:]
        var totals: [String: Int] = [:]
        try reader.forEachEvent(runID: source.run.id) { event in
            minutes[event.wallMillis / 60_000, default: [:]][event.name, default: 0] += 1
            totals[event.name, default: 0] += 1
        }
        let names = totals.sorted { $0.value == $1.value ? $0.key < $1.key : $0.value > $1.value }.map(\.key)
        output.line("run \(source.run.id) of \(path): \(source.span.count) events over \(minutes.count) minutes")
        output.line(["minute (UTC)", "total"].joined(separator: "\t") + "\t" + names.joined(separator: "\t"))
        for minute in minutes.keys.sorted() {
            let counts = minutes[minute] ?? [:]
            let total = counts.values.reduce(0, +)
            let row = names.map { "\(counts[$0] ?? 0)" }.joined(separator: "\t")
            output.line("\(String(Self.time(minute * 60_000).prefix(16)))\t\(total)\t\(row)")
        }
        output.line("total\t\(source.span.count)\t" + names.map { "\(totals[$0] ?? 0)" }.joined(separator: "\t"))
    }

    // MARK: export and import

    /// The first line of an export names the format.
    static let exportFormat = "tablecast-journal-export"

    /// Writes a run as NDJSON: a header line with the run, then one line per event (its payload, detail and fault
    /// embedded as the exact JSON bytes journaled), with each fault that is not an event after the event it followed.
    public static func export(path: String, runID: Int64?, output: Output, progress: Progress = { _ in }) throws {
        let source = try ReplaySource(path: path, runID: runID, from: nil, to: nil)
        let reader = try JournalReader(path: path)
        let run = source.run
        var header = JSONWriter()
        header.beginObject()
        header.key("format"); header.value(Self.exportFormat)
        header.key("version"); header.value(1)
        header.key("run")
        header.beginObject()
        header.key("id"); header.value(Int(run.id))
        header.key("startedAt"); header.value(Int(run.startedAtMillis))
        header.key("source"); header.value(run.source)
        header.key("scenario"); header.value(run.scenario)
        header.key("seed"); header.value(run.seed.map(Int.init))
        header.key("tablecastVersion"); header.value(run.tablecastVersion)
        header.key("meta"); header.value(run.metaJSON)
        header.endObject()
        header.endObject()
        output.line(bytes: header.bytes)
        var faults = source.faults[...]
        var count = 0
        func writeFaults(upTo seq: Int64) {
            while let fault = faults.first, fault.afterSeq <= seq {
                faults.removeFirst()
                output.line(bytes: Self.exportLine(.fault(fault)))
            }
        }
        writeFaults(upTo: source.fromSeq - 1)
        try reader.forEachEvent(runID: run.id) { event in
            output.line(bytes: Self.exportLine(.event(event)))
            writeFaults(upTo: event.seq)
            count += 1
            if count % 100_000 == 0 {
                progress(count)
            }
        }
        writeFaults(upTo: .max)
    }

    /// One line of an export after the header: an event, or a fault that is not an event.
    enum ExportRecord: Equatable {
        case event(JournalEvent)
        case fault(JournalFault)
    }

    /// The export line of `record`, without its newline; ``exportRecord(_:number:input:)`` reads it back.
    static func exportLine(_ record: ExportRecord) -> [UInt8] {
        var line = JSONWriter()
        line.beginObject()
        switch record {
        case .fault(let fault):
            line.key("fault")
            line.beginObject()
            line.key("afterSeq"); line.value(Int(fault.afterSeq))
            line.key("wallMs"); line.value(Int(fault.wallMillis))
            line.key("monoNs"); line.value(Int(fault.monoNanos))
            line.key("kind"); line.value(fault.kind)
            line.key("spec"); line.value(fault.spec)
            line.endObject()
        case .event(let event):
            line.key("seq"); line.value(Int(event.seq))
            line.key("wallMs"); line.value(Int(event.wallMillis))
            line.key("monoNs"); line.value(Int(event.monoNanos))
            line.key("namespace"); line.value(event.namespace)
            line.key("name"); line.value(event.name)
            Self.writeJSONOrBase64(event.payload, key: "payload", into: &line)
            if let detail = event.detail {
                Self.writeJSONOrBase64(detail, key: "detail", into: &line)
            }
            if let fault = event.fault {
                line.key("fault"); line.value(fault)
            }
        }
        line.endObject()
        return line.bytes
    }

    /// `"key":<bytes>` when they are one JSON value, `"keyBase64":"…"` otherwise (a recorded payload that was not
    /// JSON), so that an import gets the bytes back exactly. JSON with whitespace around it, which an import would
    /// trim, or with a newline in it, which would split the line, goes as base64 too.
    private static func writeJSONOrBase64(_ value: [UInt8], key: String, into line: inout JSONWriter) {
        let isJSON = value.withUnsafeBytes { bytes in
            (try? JSONScanner.validate(bytes)).map { $0.1 == 0..<bytes.count } ?? false
        } && !value.contains(0x0A)
        if isJSON {
            line.key(string: key)
            line.rawValue(value)
        } else {
            line.key(string: key + "Base64")
            line.value(Data(value).base64EncodedString())
        }
    }

    /// Reads the header line of an export: the object of its run, once the line names the format.
    static func exportHeader(_ line: [UInt8], input: String) throws -> ExportLine {
        let header = try ExportLine(line, number: 1, input: input)
        guard header.string("format") == Self.exportFormat, let run = header.object("run") else {
            throw Problem(description: "'\(input)' line 1: not a tablecast journal export (no \"format\":\"\(Self.exportFormat)\" header)")
        }
        return run
    }

    /// The run that the `run` object of an export's header describes.
    static func runDescriptor(_ run: ExportLine) throws -> RunDescriptor {
        RunDescriptor(source: try run.requiredString("source"), scenario: run.string("scenario"),
                      seed: run.int("seed"), tablecastVersion: try run.requiredString("tablecastVersion"),
                      metaJSON: run.string("meta"), startedAtMillis: try run.requiredInt("startedAt"))
    }

    /// Reads one line of an export after the header (line `number` of `input`, for messages).
    static func exportRecord(_ bytes: [UInt8], number: Int, input: String) throws -> ExportRecord {
        let line = try ExportLine(bytes, number: number, input: input)
        if let fault = line.object("fault") {
            return .fault(JournalFault(
                afterSeq: try fault.requiredInt("afterSeq"), monoNanos: try fault.requiredInt("monoNs"),
                wallMillis: try fault.requiredInt("wallMs"), kind: try fault.requiredString("kind"),
                spec: try fault.requiredString("spec")))
        }
        return .event(JournalEvent(
            seq: try line.requiredInt("seq"), monoNanos: try line.requiredInt("monoNs"),
            wallMillis: try line.requiredInt("wallMs"), namespace: try line.requiredString("namespace"),
            name: try line.requiredString("name"), payload: try line.requiredBytes("payload"),
            detail: try line.bytes("detail"), fault: line.string("fault")))
    }

    /// Reads an export into a new run of `journal` (created if missing), with the same payload bytes, times and
    /// faults. Returns the new run's id and its event count.
    public static func importExport(from input: String, into journal: String, progress: Progress = { _ in }) throws
        -> (runID: Int64, events: Int)
    {
        guard let data = FileManager.default.contents(atPath: input) else {
            throw Problem(description: "cannot read '\(input)'")
        }
        let bytes = [UInt8](data)
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: true)[...]
        guard let headerLine = lines.popFirst() else {
            throw Problem(description: "'\(input)' is empty, not a tablecast journal export")
        }
        let run = try Self.exportHeader(Array(headerLine), input: input)
        func forEachRecord(_ body: (ExportRecord) throws -> Void) throws {
            for (index, raw) in lines.enumerated() {
                try body(try Self.exportRecord(Array(raw), number: index + 2, input: input))
            }
        }
        // Every line is read once before anything is written, so a bad line leaves no half-imported run.
        var lastSeq = Int64.min
        try forEachRecord { record in
            if case .event(let event) = record {
                guard event.seq > lastSeq else {
                    throw Problem(description: "'\(input)': seq \(event.seq) follows seq \(lastSeq); seqs must increase")
                }
                lastSeq = event.seq
            }
        }
        let writer = try JournalWriter(path: journal, run: try Self.runDescriptor(run))
        var count = 0
        var batch: [JournalEvent] = []
        do {
            try forEachRecord { record in
                switch record {
                case .fault(let fault):
                    try writer.append(contentsOf: batch)
                    batch.removeAll(keepingCapacity: true)
                    try writer.append(fault: fault)
                case .event(let event):
                    batch.append(event)
                    count += 1
                    if batch.count >= 1000 {
                        try writer.append(contentsOf: batch)
                        batch.removeAll(keepingCapacity: true)
                    }
                    if count % 100_000 == 0 {
                        progress(count)
                    }
                }
            }
            try writer.append(contentsOf: batch)
        } catch {
            // Commit what was accepted; a failing close reports the writer's own failure, the root cause.
            try writer.close()
            throw error
        }
        try writer.close()
        return (writer.runID, count)
    }

    // MARK: trim

    /// Keeps only the window `from`…`to` of a run: its other events and faults are deleted, in one transaction.
    public static func trim(path: String, runID: Int64?, from: ReplaySource.Position?, to: ReplaySource.Position?)
        throws -> (runID: Int64, kept: Int, removed: Int)
    {
        let source = try ReplaySource(path: path, runID: runID, from: from, to: to)
        let removed = try JournalMaintenance.trim(path: path, runID: source.run.id, keepingSeq: source.fromSeq...source.toSeq)
        return (source.run.id, Int(source.toSeq - source.fromSeq + 1), removed)
    }

    // MARK: Formatting

    static func time(_ millis: Int64) -> String {
        Timestamp(millisecondsSince1970: millis).iso8601
    }

    /// `+1:02:03.456` from the run's first event.
    static func offset(_ nanos: Int64) -> String {
        let millis = max(0, nanos) / 1_000_000
        let hours = millis / 3_600_000
        let minutes = millis / 60_000 % 60
        let seconds = millis / 1000 % 60
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let fraction = String(millis % 1000 + 1000).dropFirst()
        return "+\(hours):\(two(minutes)):\(two(seconds)).\(fraction)"
    }

    static func duration(_ seconds: Double) -> String {
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        if seconds < 3600 { return "\(Int(seconds) / 60)m\(Int(seconds) % 60)s" }
        return "\(Int(seconds) / 3600)h\(Int(seconds) % 3600 / 60)m"
    }
}

/// One line of an export: its members, with their exact bytes.
struct ExportLine {
    let bytes: [UInt8]
    let members: [String: (kind: JSONValueKind, span: Range<Int>)]
    let number: Int
    let input: String

    init(_ bytes: [UInt8], number: Int, input: String) throws {
        self.bytes = bytes
        self.number = number
        self.input = input
        let parsed = try? bytes.withUnsafeBytes { try JSONScanner.objectMembers($0) }
        guard let parsed else {
            throw JournalTools.Problem(description: "'\(input)' line \(number): not a JSON object")
        }
        var members: [String: (kind: JSONValueKind, span: Range<Int>)] = [:]
        for member in parsed {
            members[member.key] = (member.kind, member.span)
        }
        self.members = members
    }

    private init(bytes: [UInt8], members: [String: (kind: JSONValueKind, span: Range<Int>)], number: Int,
                 input: String) {
        self.bytes = bytes
        self.members = members
        self.number = number
        self.input = input
    }

    private func problem(_ field: String, _ expected: String) -> JournalTools.Problem {
        JournalTools.Problem(description: "'\(self.input)' line \(self.number): field \"\(field)\" must be \(expected)")
    }

    func object(_ name: String) -> ExportLine? {
        guard let member = self.members[name], member.kind == .object else { return nil }
        let bytes = Array(self.bytes[member.span])
        guard let nested = try? ExportLine(bytes, number: self.number, input: self.input) else { return nil }
        return nested
    }

    func string(_ name: String) -> String? {
        guard let member = self.members[name], member.kind == .string else { return nil }
        return self.bytes[member.span].withUnsafeBytes { try? JSONScanner.decodeString($0) }
    }

    func int(_ name: String) -> Int64? {
        guard let member = self.members[name], member.kind == .number else { return nil }
        return Int64(String(decoding: self.bytes[member.span], as: UTF8.self))
    }

    func requiredString(_ name: String) throws -> String {
        guard let value = self.string(name) else { throw self.problem(name, "a string") }
        return value
    }

    func requiredInt(_ name: String) throws -> Int64 {
        guard let value = self.int(name) else { throw self.problem(name, "an integer") }
        return value
    }

    /// The exact bytes of a JSON member, or of its `…Base64` twin; `nil` when neither is there (or it is null).
    func bytes(_ name: String) throws -> [UInt8]? {
        if let member = self.members[name], member.kind != .null {
            return Array(self.bytes[member.span])
        }
        if let encoded = self.string(name + "Base64") {
            guard let data = Data(base64Encoded: encoded) else { throw self.problem(name + "Base64", "base64") }
            return [UInt8](data)
        }
        return nil
    }

    func requiredBytes(_ name: String) throws -> [UInt8] {
        guard let value = try self.bytes(name) else { throw self.problem(name, "present") }
        return value
    }
}
