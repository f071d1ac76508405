import HTTPTypes
import Journal
import Restaurant
import Simulator
@_spi(Fuzzing) import SocketIOProtocol
import SocketIOServer
import TablecastJSON

/// The checks the fuzz targets of `FuzzTesting/` that need this module run on one input, and the regression tests
/// replay on every input that once failed (see ``SocketIOProtocolFuzzing`` for the conventions): Engine.IO request
/// queries, the REST and control API request bodies, and journal export lines. The JSON scanner and parser are checked
/// in their own module (`JSONFuzzing`).
@_spi(Fuzzing)
public enum TablecastFuzzing {
    // MARK: Engine.IO query

    /// `FuzzEngineIOQuery`: the input as the target of an Engine.IO request (`/engine.io/?EIO=4&…`).
    ///
    /// The path is the part before `?`; parameters written percent-encoded (any bytes in names and values) are read
    /// back, the first occurrence of a name winning. The same input, split at 0x02, checks the dashboard feed's globs
    /// (``glob(_:)``).
    public static func engineIOQuery(_ input: UnsafeRawBufferPointer) -> String? {
        let target = String(decoding: input, as: UTF8.self)
        let path = EngineIOQuery.path(of: target)
        guard target.hasPrefix(path), path.firstIndex(of: "?") == nil else {
            return "EngineIOQuery.path(of:) gives \(path) for \(target)"
        }
        _ = EngineIOQuery.parameters(of: target)

        // Pairs made from the input (split at 0x00 and 0x01), written as a client writes them.
        var pairs: [(String, String)] = []
        for chunk in input.split(separator: 0x00, omittingEmptySubsequences: false) {
            let parts = chunk.split(separator: 0x01, maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(decoding: parts[0], as: UTF8.self)
            let value = parts.count > 1 ? String(decoding: parts[1], as: UTF8.self) : ""
            guard !name.isEmpty else { continue }
            pairs.append((name, value))
        }
        let query = pairs.map { "\(Self.percentEncode($0.0))=\(Self.percentEncode($0.1))" }.joined(separator: "&")
        let request = "/socket.io/?" + query
        let parameters = EngineIOQuery.parameters(of: request)
        var expected: [String: String] = [:]
        for (name, value) in pairs where expected[name] == nil {
            expected[name] = value
        }
        guard parameters == expected else {
            return "the query \(request) reads as \(parameters), not \(expected)"
        }
        guard EngineIOQuery.path(of: request) == "/socket.io/" else {
            return "the path of \(request) is \(EngineIOQuery.path(of: request))"
        }
        return Self.glob(input)
    }

    /// The dashboard feed's `only`/`except` globs, matched on the emission path: the input split at its first 0x02
    /// into a glob and a name, and `EventFilter.glob` checked against a plain definition of `*` and `?` (any run of
    /// scalars, one scalar), computed by dynamic programming.
    static func glob(_ input: UnsafeRawBufferPointer) -> String? {
        guard let split = input.firstIndex(of: 0x02) else { return nil }
        let pattern = String(decoding: input[..<split], as: UTF8.self)
        let name = String(decoding: input[(split + 1)...], as: UTF8.self)
        let p = Array(pattern.unicodeScalars)
        let n = Array(name.unicodeScalars)
        guard p.count <= 256, n.count <= 256 else { return nil }
        // matches[i][j]: p[i...] matches n[j...].
        var matches = Array(repeating: Array(repeating: false, count: n.count + 1), count: p.count + 1)
        matches[p.count][n.count] = true
        for i in stride(from: p.count - 1, through: 0, by: -1) {
            for j in stride(from: n.count, through: 0, by: -1) {
                switch p[i] {
                case "*": matches[i][j] = matches[i + 1][j] || (j < n.count && matches[i][j + 1])
                case "?": matches[i][j] = j < n.count && matches[i + 1][j + 1]
                default: matches[i][j] = j < n.count && p[i] == n[j] && matches[i + 1][j + 1]
                }
            }
        }
        let found = EventFilter.glob(pattern, matches: name)
        guard found == matches[0][0] else {
            return "the glob \(pattern.debugDescription) \(found ? "matches" : "does not match") \(name.debugDescription)"
        }
        return nil
    }

    /// Percent-encodes everything but unreserved characters (RFC 3986), as `encodeURIComponent` does.
    private static func percentEncode(_ text: String) -> String {
        var encoded = ""
        let hex = Array("0123456789ABCDEF".unicodeScalars)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                encoded.unicodeScalars.append("%")
                encoded.unicodeScalars.append(hex[Int(byte >> 4)])
                encoded.unicodeScalars.append(hex[Int(byte & 0x0F)])
            }
        }
        return encoded
    }

    // MARK: Request bodies

    /// The body decoders of the REST and control APIs, in the order the first byte of a `FuzzRequestBody` input
    /// selects them (modulo their count).
    public static let requestBodyDecoders: [String] = [
        "POST /orders", "POST /menu", "PATCH /menu/:id", "POST /users", "POST /messages", "PATCH /messages/:id",
        "POST /service-calls", "POST /service-calls/:id/handle", "POST /_tablecast/simulation",
        "POST /_tablecast/emit", "POST /_tablecast/faults", "POST /_tablecast/replay",
    ]

    /// `FuzzRequestBody`: the first byte picks a route of ``requestBodyDecoders``, the rest is its request body.
    ///
    /// A body decodes to its typed request or is refused with `400` and a message (never another status, never a
    /// crash; the field it names may be `""`, an empty key). An emit request written back decodes to itself, and the
    /// event frame it makes reads back into its name and payload (the dashboard's feed reads frames); a replay
    /// change's speed and seek position are usable (the speed prints and reads back, the position resolves to a time
    /// and to a spacing of events).
    public static func requestBody(_ input: UnsafeRawBufferPointer) -> String? {
        guard let selector = input.first else { return nil }
        let body = Array(input.dropFirst())
        let route = Self.requestBodyDecoders[Int(selector) % Self.requestBodyDecoders.count]
        let outcome: Result<Void, HTTPFailure>
        switch Int(selector) % Self.requestBodyDecoders.count {
        case 0: outcome = Self.decode(RestaurantAPI.CreateOrder.self, body)
        case 1: outcome = Self.decode(RestaurantAPI.CreateMenuItem.self, body)
        case 2: outcome = Self.decode(RestaurantAPI.UpdateMenuItem.self, body)
        case 3: outcome = Self.decode(RestaurantAPI.CreateUser.self, body)
        case 4: outcome = Self.decode(RestaurantAPI.PostMessage.self, body)
        case 5: outcome = Self.decode(RestaurantAPI.EditMessage.self, body)
        case 6: outcome = Self.decode(RestaurantAPI.CallService.self, body)
        case 7: outcome = Self.decode(RestaurantAPI.HandleServiceCall.self, body)
        case 8: outcome = Self.decode(SimulationAPI.Change.self, body)
        case 9:
            return Self.checkEmit(body)
        case 10:
            outcome = body.withUnsafeBytes { bytes in
                Result { () throws(HTTPFailure) in _ = try FaultRequest.parse(bytes) }
            }
        default:
            let parsed = body.withUnsafeBytes { bytes in
                Result { () throws(HTTPFailure) in try ReplayAPI.Change.parse(bytes) }
            }
            switch parsed {
            case .success(let change):
                return Self.checkReplayChange(change)
            case .failure(let error):
                outcome = .failure(error)
            }
        }
        if case .failure(let failure) = outcome {
            guard failure.status == .badRequest, !failure.message.isEmpty else {
                return "\(route) answers \(failure.status.code) \(failure.message) (field \(failure.field ?? "-"))"
            }
        }
        return nil
    }

    private static func decode<Input: RequestInput>(_ type: Input.Type, _ body: [UInt8]) -> Result<Void, HTTPFailure> {
        Result { () throws(HTTPFailure) in _ = try RequestBody.decode(type, bytes: body) }
    }

    private static func checkEmit(_ body: [UInt8]) -> String? {
        let parsed = body.withUnsafeBytes { EmitRequest.parse($0) }
        guard case .success(let request) = parsed else { return nil }
        guard !request.event.isEmpty, !SocketIOPacket.reservedEventNames.contains(request.event) else {
            return "POST /_tablecast/emit takes the event name \(request.event)"
        }
        guard request.payload.withUnsafeBytes({ (try? JSONScanner.validate($0)) != nil }) else {
            return "POST /_tablecast/emit takes a payload that is not JSON: "
                + SocketIOProtocolFuzzing.show(request.payload)
        }
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("event"); writer.value(request.event)
        writer.key("payload"); writer.rawValue(request.payload)
        writer.endObject()
        let written = writer.bytes
        guard written.withUnsafeBytes({ EmitRequest.parse($0) }) == .success(request) else {
            return "the emit request written back, \(SocketIOProtocolFuzzing.show(written)), decodes otherwise"
        }
        // The dashboard reads the event the clients got back into its name and payload.
        let frame = SocketIOPacket.eventFrame(namespace: "/events", name: request.event, payload: request.payload)
        guard let parts = EventFrame.parts(of: frame), parts.name == request.event, parts.payload == request.payload,
            EventFrame.name(of: frame) == request.event
        else {
            return "the dashboard reads the frame of \(SocketIOProtocolFuzzing.show(written)) otherwise"
        }
        return nil
    }

    private static func checkReplayChange(_ change: ReplayAPI.Change) -> String? {
        if let speed = change.speed {
            guard let again = ReplayRunner.Speed(speed.description) else {
                return "the replay speed \(speed) does not read back"
            }
            if case .factor(let factor) = speed {
                guard case .factor(let back) = again, abs(back - factor) <= factor * 1e-9 else {
                    return "the replay speed \(speed) reads back as \(again)"
                }
                for spacing: Int64 in [1, 1_000_000_000, 86_400_000_000_000, .max] {
                    _ = ReplayRunner.Speed.spacing(from: 0, to: spacing, factor: factor)
                }
            }
        }
        switch change.seek {
        case .offset(let seconds)?:
            guard seconds > 0 else { return "the replay seek offset \(seconds) is not positive" }
            for first: Int64 in [0, 1_800_000_000_000, .max, .min] {
                _ = ReplaySource.Position.wallMillis(offset: seconds, after: first)
            }
        case .wallMillis(let millis)?:
            let text = Timestamp(millisecondsSince1970: millis).iso8601
            guard Timestamp(iso8601: text)?.millisecondsSince1970 == millis else {
                return "the replay seek time \(millis) prints as \(text), which does not read back"
            }
        case .seq(let seq)?:
            guard seq >= 0 else { return "the replay seek seq \(seq) is negative" }
        case nil:
            break
        }
        return nil
    }

    // MARK: Journal export lines

    /// `FuzzJournalLine`: the input as a line of a journal export (`tablecast journal export`/`import`).
    ///
    /// As a header it gives a run or an error; as a record, an event or a fault that the exporter writes back as one
    /// line which reads back to the same record; an event made of the input's bytes (any payload, JSON or not) is
    /// exported on one line and imported back exactly. The times of a record print, and an event that decodes as a
    /// restaurant event encodes back to a payload that decodes to the same event.
    public static func journalLine(_ input: UnsafeRawBufferPointer) -> String? {
        let line = Array(input)
        if let run = try? JournalTools.exportHeader(line, input: "fuzz") {
            _ = try? JournalTools.runDescriptor(run)
        }
        if let record = try? JournalTools.exportRecord(line, number: 2, input: "fuzz") {
            if let failure = Self.checkExport(record) {
                return failure
            }
            if case .event(let event) = record, let failure = Self.checkRestaurantEvent(event) {
                return failure
            }
        }

        // An event made of the input: three integers, then namespace, name, payload, detail and fault split at 0xFF.
        var integers: [Int64] = []
        for start in stride(from: 0, to: 24, by: 8) {
            var value: UInt64 = 0
            for index in start..<(start + 8) where index < line.count {
                value = value << 8 | UInt64(line[index])
            }
            integers.append(Int64(bitPattern: value))
        }
        let parts = line.dropFirst(24).split(separator: 0xFF, maxSplits: 4, omittingEmptySubsequences: false)
        func part(_ index: Int) -> [UInt8]? { index < parts.count ? Array(parts[index]) : nil }
        let event = JournalEvent(
            seq: integers[0], monoNanos: integers[1], wallMillis: integers[2],
            namespace: String(decoding: part(0) ?? [], as: UTF8.self),
            name: String(decoding: part(1) ?? [], as: UTF8.self),
            payload: part(2) ?? [], detail: part(3), fault: part(4).map { String(decoding: $0, as: UTF8.self) }
        )
        return Self.checkExport(.event(event))
            ?? Self.checkExport(.fault(JournalFault(afterSeq: event.seq, monoNanos: event.monoNanos,
                                                    wallMillis: event.wallMillis, kind: event.name,
                                                    spec: event.fault ?? event.namespace)))
    }

    /// The record's export line is one line, and imports back to the record.
    private static func checkExport(_ record: JournalTools.ExportRecord) -> String? {
        let written = JournalTools.exportLine(record)
        guard !written.contains(0x0A) else {
            return "the export line \(SocketIOProtocolFuzzing.show(written)) holds a newline"
        }
        do {
            let again = try JournalTools.exportRecord(written, number: 2, input: "fuzz")
            guard again == record else {
                return "the export line \(SocketIOProtocolFuzzing.show(written)) imports as another record"
            }
        } catch {
            return "the export line \(SocketIOProtocolFuzzing.show(written)) does not import: \(error)"
        }
        switch record {
        case .event(let event):
            _ = JournalTools.time(event.wallMillis)
            _ = JournalTools.offset(event.monoNanos)
        case .fault(let fault):
            _ = JournalTools.time(fault.wallMillis)
            _ = JournalTools.offset(fault.monoNanos)
        }
        return nil
    }

    /// A journaled event that decodes as a restaurant event: its payload and detail, encoded again, decode to it.
    private static func checkRestaurantEvent(_ event: JournalEvent) -> String? {
        guard case .decoded(let decoded, _) = RestaurantEvent.decode(name: event.name, payload: event.payload,
                                                                     detail: event.detail)
        else { return nil }
        let payload = decoded.payload
        let again = RestaurantEvent.decode(name: decoded.name.rawValue, payload: payload, detail: decoded.detail)
        guard case .decoded(let back, let warnings) = again, back == decoded, warnings.isEmpty else {
            return "the \(event.name) event decoded from \(SocketIOProtocolFuzzing.show(event.payload)) encodes as "
                + "\(SocketIOProtocolFuzzing.show(payload)), which decodes as \(again)"
        }
        return nil
    }
}
