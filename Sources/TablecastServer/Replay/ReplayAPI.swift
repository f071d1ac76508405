import Hummingbird
import Journal
import NIOCore
import Restaurant
import SocketIOProtocol
import TablecastJSON

/// `GET /_tablecast/replay` (where the replay stands) and `POST /_tablecast/replay` (pause, resume, step, seek,
/// speed).
struct ReplayAPI {
    let runner: ReplayRunner?

    /// `{"paused":true}`, `{"step":5}`, `{"seek":1200}` or `{"seek":"2026-11-26T12:05:00.000Z"}` or
    /// `{"seek":"+5m"}`, `{"speed":4}` or `{"speed":"max"}`; several at once apply in that order.
    struct Change {
        var paused: Bool?
        var step: Int?
        var seek: ReplaySource.Position?
        var speed: ReplayRunner.Speed?

        static let fieldNames = ["paused", "step", "seek", "speed"]

        static func parse(_ bytes: UnsafeRawBufferPointer) throws(HTTPFailure) -> Change {
            let members: [(key: String, kind: JSONValueKind, span: Range<Int>)]
            do {
                members = try JSONScanner.objectMembers(bytes)
            } catch {
                throw HTTPFailure(status: .badRequest, message: "the body must be a JSON object: \(error)")
            }
            var change = Change()
            var seen = Set<String>()
            for member in members {
                let value = UnsafeRawBufferPointer(rebasing: bytes[member.span])
                let text = member.kind == .string
                    ? (try? JSONScanner.decodeString(value)) : String(decoding: value, as: UTF8.self)
                guard seen.insert(member.key).inserted else {
                    throw .badField(member.key, "field \(JSONWriter.stringLiteral(member.key)) appears twice")
                }
                switch member.key {
                case "paused":
                    guard member.kind == .bool else { throw .badField("paused", "field \"paused\" must be true or false") }
                    change.paused = text == "true"
                case "step":
                    guard member.kind == .number, let count = text.flatMap({ Int($0) }), count > 0 else {
                        throw .badField("step", "field \"step\" must be a positive number of events")
                    }
                    change.step = count
                case "seek":
                    guard member.kind == .number || member.kind == .string, let text,
                        let position = ReplaySource.Position(text)
                    else {
                        throw .badField("seek", "field \"seek\" must be a seq, a time such as "
                            + "\"2026-11-26T12:05:00.000Z\", or an offset such as \"+5m\"")
                    }
                    change.seek = position
                case "speed":
                    guard member.kind == .number || member.kind == .string, let text,
                        let speed = ReplayRunner.Speed(text)
                    else {
                        throw .badField("speed", "field \"speed\" must be a positive factor such as 0.5 or 4, or \"max\"")
                    }
                    change.speed = speed
                default:
                    let expected = Self.fieldNames.map { "\"\($0)\"" }.joined(separator: ", ")
                    let name = JSONWriter.stringLiteral(member.key)
                    throw .badField(member.key, "unknown field \(name); expected \(expected)")
                }
            }
            return change
        }
    }

    func register(on router: Router<TablecastRequestContext>) {
        router.get("/_tablecast/replay") { _, _ in
            self.status()
        }
        router.post("/_tablecast/replay") { request, _ in
            guard let runner = self.runner else {
                return Response.jsonError(.conflict, "no replay runs: start the server with `tablecast replay FILE`")
            }
            var request = request
            let body = try await request.collectBody(upTo: RequestBody.limit)
            let change = try body.withUnsafeReadableBytes { bytes throws(HTTPFailure) in try Change.parse(bytes) }
            if let speed = change.speed {
                runner.setSpeed(speed)
            }
            if let seek = change.seek {
                runner.seek(to: seek)
            }
            if let paused = change.paused {
                runner.setPaused(paused)
            }
            if let step = change.step {
                runner.step(step)
            }
            // Answer once the seek and the steps are done, so that the answer shows where they led.
            await runner.settle()
            return self.status()
        }
    }

    private func status() -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: Self.statusJSON(self.runner)))
    }

    /// What `GET /_tablecast/replay` answers (the dashboard's feed carries it too).
    static func statusJSON(_ runner: ReplayRunner?) -> ByteBuffer {
        guard let runner else {
            return ByteBuffer(string: #"{"running":false}"#)
        }
        let status = runner.status
        let source = runner.source
        var body = ByteBuffer()
        body.writeString("{\"running\":true,\"state\":\"\(status.state.rawValue)\",\"source\":{\"path\":")
        body.writeJSONString(source.path)
        body.writeString(",\"run\":\(source.run.id),\"fromSeq\":\(source.fromSeq),\"toSeq\":\(source.toSeq)}")
        body.writeString(",\"position\":{\"seq\":\(status.seq.map(String.init) ?? "null"),\"time\":")
        if let millis = status.wallMillis {
            body.writeJSONString(Timestamp(millisecondsSince1970: millis).iso8601)
        } else {
            body.writeString("null")
        }
        let speed: String =
            switch status.speed {
            case .max: "\"max\""
            case .factor(let factor): "\(factor)"
            }
        body.writeString("},\"speed\":\(speed),\"eventsLeft\":\(status.eventsLeft),\"sent\":\(status.sent)")
        body.writeString(",\"loops\":\(status.loops)}")
        return body
    }
}
