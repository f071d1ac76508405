import HTTPTypes
import Hummingbird
import Journal
import NIOCore
import Redis
import SocketIOProtocol
import SocketIOServer
import TablecastJSON

/// The control endpoints under `/_tablecast/`: manual emission and health.
struct ControlAPI {
    let pipeline: EmissionPipeline
    let engine: EngineServer
    var redisEmitter: RedisPublisher? = nil
    var streamPublisher: RedisPublisher? = nil
    var streamReader: StreamReader? = nil

    /// The largest payload an event may carry: the `maxPayload` Engine.IO advertises to clients.
    var maxPayload: Int { self.engine.configuration.maxPayload }
    /// The largest emit or fault request body read: the payload and room for the envelope around it.
    var maxBody: Int { Self.maxBody(maxPayload: self.maxPayload) }

    static func maxBody(maxPayload: Int) -> Int { maxPayload + (64 << 10) }

    func register(on router: Router<TablecastRequestContext>) {
        router.post("/_tablecast/emit") { request, _ in
            try await self.emit(request)
        }
        router.get("/_tablecast/health") { _, _ in
            self.health()
        }
    }

    /// `POST /_tablecast/emit` with `{"event":"name","payload":<any JSON>}`: answers `202 {"seq":N}`.
    func emit(_ request: Request) async throws -> Response {
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: self.maxBody)
        } catch is NIOTooManyBytesError {
            return .jsonError(.contentTooLarge, "request body larger than \(self.maxBody) bytes (the payload may "
                                + "be \(self.maxPayload) bytes, the server's maxPayload)")
        }
        let parsed: Result<EmitRequest, EmitRequest.Problem> = body.withUnsafeReadableBytes { EmitRequest.parse($0) }
        let emitRequest: EmitRequest
        switch parsed {
        case .failure(let problem):
            return .jsonError(.badRequest, problem.message)
        case .success(let value):
            emitRequest = value
        }
        guard emitRequest.payload.count <= self.maxPayload else {
            return .jsonError(.contentTooLarge, "payload of \(emitRequest.payload.count) bytes is larger than the "
                                + "server's maxPayload of \(self.maxPayload) bytes", field: "payload")
        }
        do throws(EmissionPipeline.Failure) {
            let seq = try self.pipeline.emit(name: emitRequest.event, payload: emitRequest.payload).seq
            return .json(.accepted, "{\"seq\":\(seq)}")
        } catch {
            switch error {
            case .backpressure(let backpressure):
                return .backpressure(backpressure)
            case .journal, .command:
                return .jsonError(.serviceUnavailable, error.description)
            }
        }
    }

    /// `GET /_tablecast/health`: `{"status":"ok","clients":N,"lastSeq":N}` (with `"redisEmit":{…}` when publishing
    /// into Redis), or 503 with the journal's failure.
    func health() -> Response {
        let (ok, body) = self.healthJSON()
        return Response(status: ok ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The health answer's body, and whether it is healthy (the dashboard's feed carries it too).
    func healthJSON() -> (ok: Bool, body: [UInt8]) {
        let clients = self.engine.broadcaster?.subscribers ?? 0
        let lastSeq = self.pipeline.lastSeq
        var body = JSONWriter()
        body.beginObject()
        let failure = self.pipeline.journal.statistics.failure
        body.key("status"); body.value(failure == nil ? "ok" : "error")
        body.key("clients"); body.value(clients)
        body.key("lastSeq"); body.value(Int(lastSeq))
        if let failure {
            body.key("error"); body.value(failure.description)
        }
        if let emitter = self.redisEmitter {
            let statistics = emitter.statistics
            body.key("redisEmit")
            body.beginObject()
            body.key("redis"); body.value(emitter.endpoint.description)
            body.key("channel"); body.value(emitter.destination)
            body.key("connected"); body.value(statistics.link.connected)
            body.key("published"); body.value(statistics.published)
            body.key("backlog"); body.value(statistics.backlog)
            body.key("dropped"); body.value(statistics.dropped)
            body.key("reconnects"); body.value(statistics.link.reconnects)
            body.key("lastError"); body.value(statistics.link.lastError)
            body.endObject()
        }
        if let reader = self.streamReader {
            let status = reader.status
            body.key("redis")
            body.beginObject()
            body.key("role"); body.value(reader.ownUID == nil ? "follower" : "owner")
            body.key("redis"); body.value(reader.endpoint.description)
            body.key("stream"); body.value(reader.stream)
            body.key("connected"); body.value(status.link.connected && (self.streamPublisher?.statistics.link.connected ?? true))
            body.key("lastID"); body.value(status.lastID)
            body.key("read"); body.value(status.read)
            body.key("lagSeconds"); body.rawValue(JSNumber.json(status.lagSeconds).utf8)
            body.key("trimmed"); body.value(status.trimmed)
            if let publisher = self.streamPublisher {
                let statistics = publisher.statistics
                body.key("published"); body.value(statistics.published)
                body.key("backlog"); body.value(statistics.backlog)
            }
            body.key("owner"); body.value(status.ownerURL)
            body.key("reconnects"); body.value(status.link.reconnects + (self.streamPublisher?.statistics.link.reconnects ?? 0))
            body.key("lastError"); body.value(status.link.lastError ?? self.streamPublisher?.statistics.link.lastError)
            body.endObject()
        }
        body.endObject()
        return (failure == nil, body.bytes)
    }
}

/// A validated emit request: the event name, and the payload's exact bytes.
struct EmitRequest: Equatable {
    var event: String
    var payload: [UInt8]

    struct Problem: Error, Equatable {
        var message: String
    }

    /// The longest event name accepted: far beyond any real one, and a bound on what each name costs the metrics.
    static let maxEventNameBytes = 256

    /// Parses `{"event":"name","payload":<any JSON>}`, keeping the payload's bytes as they were sent.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<EmitRequest, Problem> {
        let members: [(key: String, kind: JSONValueKind, span: Range<Int>)]
        do {
            members = try JSONScanner.objectMembers(bytes)
        } catch {
            if (try? JSONScanner.validate(bytes)) != nil {
                return .failure(Problem(message: "the body must be a JSON object with fields \"event\" and \"payload\""))
            }
            return .failure(Problem(message: "the body is not valid JSON: \(error)"))
        }
        var event: String?
        var payload: [UInt8]?
        for member in members {
            switch member.key {
            case "event":
                guard event == nil else { return .failure(Problem(message: "field \"event\" appears twice")) }
                guard member.kind == .string,
                    let name = try? JSONScanner.decodeString(UnsafeRawBufferPointer(rebasing: bytes[member.span]))
                else {
                    return .failure(Problem(message: "field \"event\" must be a string"))
                }
                event = name
            case "payload":
                guard payload == nil else { return .failure(Problem(message: "field \"payload\" appears twice")) }
                payload = Array(bytes[member.span])
            default:
                let name = JSONWriter.stringLiteral(member.key)
                return .failure(Problem(message: "unknown field \(name); expected \"event\" and \"payload\""))
            }
        }
        guard let event else { return .failure(Problem(message: "missing field \"event\"")) }
        guard !event.isEmpty else { return .failure(Problem(message: "field \"event\" must not be empty")) }
        guard event.utf8.count <= Self.maxEventNameBytes else {
            return .failure(Problem(message: "field \"event\" is longer than \(Self.maxEventNameBytes) bytes"))
        }
        guard !SocketIOPacket.reservedEventNames.contains(event) else {
            return .failure(Problem(message: "event name \(JSONWriter.stringLiteral(event)) is reserved by Socket.IO"))
        }
        guard let payload else { return .failure(Problem(message: "missing field \"payload\"")) }
        return .success(EmitRequest(event: event, payload: payload))
    }
}

extension Response {
    /// `503` with `Retry-After`: the journal is behind; nothing was done.
    static func backpressure(_ error: EmissionPipeline.Backpressure) -> Response {
        var response = Response.jsonError(.serviceUnavailable, "\(error); retry shortly")
        response.headers[.retryAfter] = "1"
        return response
    }

    static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// A JSON error body: `{"error":"…"}`, with `"field"` when one field is at fault.
    static func jsonError(_ status: HTTPResponse.Status, _ message: String, field: String? = nil) -> Response {
        var body = ByteBuffer()
        body.writeStaticString("{\"error\":")
        body.writeJSONString(message)
        if let field {
            body.writeStaticString(",\"field\":")
            body.writeJSONString(field)
        }
        body.writeStaticString("}")
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: body))
    }
}
