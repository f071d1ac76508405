import Hummingbird
import NIOCore
import Restaurant
import Simulator
import SocketIOProtocol
import TablecastJSON

/// `POST /_tablecast/faults` injects a fault now; `GET /_tablecast/faults` says what was injected so far.
///
/// ```sh
/// curl -s -X POST localhost:4000/_tablecast/faults -d '{"fault":"replay","count":5}'
/// # {"fault":"replay","seqs":[120,121,122,123,124]}
/// ```
struct FaultAPI {
    let pipeline: EmissionPipeline
    /// The largest request body read (an unknown-event fault carries a payload).
    let maxBody: Int

    func register(on router: Router<TablecastRequestContext>) {
        router.post("/_tablecast/faults") { request, _ in
            var request = request
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: self.maxBody)
            } catch is NIOTooManyBytesError {
                return Response.jsonError(.contentTooLarge, "request body larger than \(self.maxBody) bytes")
            }
            let fault = try body.withUnsafeReadableBytes { bytes throws(HTTPFailure) in try FaultRequest.parse(bytes) }
            return self.inject(fault)
        }
        router.get("/_tablecast/faults") { _, _ in
            self.status()
        }
    }

    private func inject(_ fault: Fault) -> Response {
        let report: EmissionPipeline.FaultReport
        do throws(EmissionPipeline.FaultFailure) {
            report = try self.pipeline.inject(fault, admitted: false)
        } catch {
            switch error {
            case .refused(let reason):
                return .jsonError(.conflict, reason)
            case .backpressure(let backpressure):
                return .backpressure(backpressure)
            case .journal:
                return .jsonError(.serviceUnavailable, error.description)
            }
        }
        var body = "{\"fault\":\"\(fault.kind.rawValue)\",\"seqs\":[\(report.seqs.map(String.init).joined(separator: ","))]"
        if let disconnected = report.disconnected {
            body += ",\"disconnected\":\(disconnected)"
        }
        if case .extraFields = fault {
            body += ",\"extraFieldsPending\":\(report.extraFieldsPending)"
        }
        return .json(.accepted, body + "}")
    }

    private func status() -> Response {
        .json(.ok, Self.statusJSON(self.pipeline.snapshot))
    }

    /// What `GET /_tablecast/faults` answers (the dashboard's feed carries it too).
    static func statusJSON(_ status: EmissionSnapshot) -> String {
        let injected = Fault.Kind.allCases.map { "\"\($0.rawValue)\":\(status.faultsInjected[$0] ?? 0)" }
        return "{\"injected\":{\(injected.joined(separator: ","))},\"extraFieldsPending\":\(status.extraFieldsPending)"
            + ",\"holding\":\(status.holding)}"
    }
}

/// Reads a fault request: `{"fault":"<kind>", …parameters of that kind}`. Every problem names its field.
enum FaultRequest {
    /// The fields each kind takes besides `fault`.
    static let parameters: [Fault.Kind: Set<String>] = [
        .duplicate: ["seq"],
        .replay: ["count"],
        .unknownEvent: ["event", "payload"],
        .extraFields: ["count", "fields"],
        .disconnect: ["clients", "mode"],
        .delay: ["ms"],
    ]
    /// The longest delivery hold, in milliseconds.
    static let maxDelay = 600_000

    static func parse(_ bytes: UnsafeRawBufferPointer) throws(HTTPFailure) -> Fault {
        let members: [(key: String, kind: JSONValueKind, span: Range<Int>)]
        do {
            members = try JSONScanner.objectMembers(bytes)
        } catch {
            throw HTTPFailure(status: .badRequest, message: "the body must be a JSON object: \(error)")
        }
        var fields: [String: (kind: JSONValueKind, bytes: UnsafeRawBufferPointer)] = [:]
        for member in members {
            guard fields[member.key] == nil else {
                throw .badField(member.key, "field \(JSONWriter.stringLiteral(member.key)) appears twice")
            }
            fields[member.key] = (member.kind, UnsafeRawBufferPointer(rebasing: bytes[member.span]))
        }
        let kinds = Fault.Kind.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
        guard let kindField = fields["fault"] else {
            throw .badField("fault", "missing field \"fault\"; one of \(kinds)")
        }
        guard kindField.kind == .string, let kindName = try? JSONScanner.decodeString(kindField.bytes),
            let kind = Fault.Kind(rawValue: kindName)
        else {
            throw .badField("fault", "field \"fault\" must be one of \(kinds)")
        }
        let allowed = Self.parameters[kind, default: []]
        for member in members where member.key != "fault" && !allowed.contains(member.key) {
            let expected = allowed.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
            throw .badField(
                member.key,
                "field \(JSONWriter.stringLiteral(member.key)) does not apply to a \(kind.rawValue) fault"
                    + (expected.isEmpty ? "" : "; it takes \(expected)")
            )
        }

        func integer(_ name: String, in range: ClosedRange<Int>) throws(HTTPFailure) -> Int? {
            guard let field = fields[name] else { return nil }
            guard field.kind == .number, let value = Int(String(decoding: field.bytes, as: UTF8.self)),
                range.contains(value)
            else {
                throw .badField(name, "field \"\(name)\" must be an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            return value
        }
        func string(_ name: String) throws(HTTPFailure) -> String? {
            guard let field = fields[name] else { return nil }
            guard field.kind == .string, let value = try? JSONScanner.decodeString(field.bytes) else {
                throw .badField(name, "field \"\(name)\" must be a string")
            }
            return value
        }

        switch kind {
        case .duplicate:
            return .duplicate(seq: try integer("seq", in: 1...Int.max).map(Int64.init))
        case .replay:
            return .replay(count: try integer("count", in: 1...Fault.recentCapacity) ?? 5)
        case .unknownEvent:
            let name = try string("event") ?? Fault.defaultUnknownEventName
            guard !name.isEmpty, !SocketIOPacket.reservedEventNames.contains(name) else {
                throw .badField("event", "field \"event\" must be a non-empty name that Socket.IO does not reserve")
            }
            guard EventName(rawValue: name) == nil else {
                throw .badField("event", "\(name) is an event of the contract; an unknown event needs another name")
            }
            let payload = fields["payload"].map { Array($0.bytes) } ?? Fault.defaultUnknownEventPayload
            return .unknownEvent(name: name, payload: payload)
        case .extraFields:
            let count = try integer("count", in: 1...1000) ?? 1
            var members = Fault.defaultExtraMembers
            if let field = fields["fields"] {
                let inner = Self.objectInterior(field.bytes)
                guard field.kind == .object, let inner, !inner.isEmpty else {
                    throw .badField("fields", "field \"fields\" must be a JSON object with at least one member")
                }
                members = inner
            }
            return .extraFields(count: count, members: members)
        case .disconnect:
            var clients = Fault.ClientCount.all
            if let field = fields["clients"] {
                let text = field.kind == .string
                    ? (try? JSONScanner.decodeString(field.bytes)) : String(decoding: field.bytes, as: UTF8.self)
                guard field.kind == .string || field.kind == .number, let text, let parsed = Fault.ClientCount(text)
                else {
                    throw .badField("clients", "field \"clients\" must be \"all\", a number of clients, or a share such as \"25%\"")
                }
                clients = parsed
            }
            var mode = Fault.DisconnectMode.transport
            if let name = try string("mode") {
                guard let parsed = Fault.DisconnectMode(rawValue: name) else {
                    throw .badField("mode", "field \"mode\" must be \"transport\" or \"namespace\"")
                }
                mode = parsed
            }
            return .disconnect(clients: clients, mode: mode)
        case .delay:
            guard let milliseconds = try integer("ms", in: 1...Self.maxDelay) else {
                throw .badField("ms", "missing field \"ms\": how long delivery is held, in milliseconds")
            }
            return .delay(milliseconds: milliseconds)
        }
    }

    /// The bytes between an object's braces, trimmed; `nil` if `bytes` is not an object.
    private static func objectInterior(_ bytes: UnsafeRawBufferPointer) -> [UInt8]? {
        guard let open = bytes.firstIndex(of: UInt8(ascii: "{")), let close = bytes.lastIndex(of: UInt8(ascii: "}")),
            open < close
        else { return nil }
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        let interior = bytes[(open + 1)..<close]
        guard let first = interior.firstIndex(where: { !isSpace($0) }),
            let last = interior.lastIndex(where: { !isSpace($0) })
        else { return [] }
        return Array(bytes[first...last])
    }
}
