import Foundation
import Hummingbird
import NIOCore
import SocketIOProtocol

/// A JSON request body the REST API accepts: decoded strictly, every problem named by its field.
protocol RequestInput: Decodable {
    /// The fields the body may have; any other is refused, so that a typo never passes silently.
    static var fieldNames: Set<String> { get }
}

/// An HTTP error answer: a status and a message for `{"error":"…"}`. Thrown from a route, Hummingbird answers with
/// it as it is.
struct HTTPFailure: HTTPResponseError {
    var status: HTTPResponse.Status
    var message: String

    func response(from request: Request, context: some RequestContext) throws -> Response {
        .jsonError(self.status, self.message)
    }
}

enum RequestBody {
    /// The largest REST request body accepted.
    static let limit = 1 << 20

    /// Decodes a request's JSON body, refusing unknown fields and naming the field of any problem.
    static func decode<Input: RequestInput>(_ type: Input.Type, from request: Request) async throws -> Input {
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: Self.limit)
        } catch is NIOTooManyBytesError {
            throw HTTPFailure(status: .contentTooLarge, message: "request body larger than \(Self.limit) bytes")
        }
        let bytes = Array(body.readableBytesView)
        let members: [(key: String, kind: JSONValueKind, span: Range<Int>)]
        do {
            members = try bytes.withUnsafeBytes { try JSONScanner.objectMembers($0) }
        } catch {
            throw HTTPFailure(status: .badRequest, message: "the body must be a JSON object: \(error)")
        }
        for member in members where !Input.fieldNames.contains(member.key) {
            let expected = Input.fieldNames.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
            throw HTTPFailure(status: .badRequest,
                              message: "unknown field \(JSONString.encode(member.key)); expected \(expected)")
        }
        do {
            return try JSONDecoder().decode(Input.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw HTTPFailure(status: .badRequest, message: Self.describe(error))
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }
                .joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
                .replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field \"\(path(context.codingPath + [key]))\""
        case .typeMismatch(let type, let context):
            return "field \"\(path(context.codingPath))\" must be \(Self.describe(type))"
        case .valueNotFound(let type, let context):
            return "field \"\(path(context.codingPath))\" must be \(Self.describe(type)), not null"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return "the body is not valid JSON"
            }
            return "field \"\(path(context.codingPath))\": \(context.debugDescription)"
        @unknown default:
            return "invalid body: \(error)"
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "an integer"
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is [Any].Type: "a list"
        default: "\(type)"
        }
    }
}
