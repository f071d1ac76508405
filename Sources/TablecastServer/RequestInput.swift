import Foundation
import Hummingbird
import NIOCore
import SocketIOProtocol
import TablecastJSON

/// A JSON request body the REST API accepts: decoded strictly, every problem named by its field.
protocol RequestInput: Decodable {
    /// The fields the body may have; any other is refused, so that a typo never passes silently.
    static var fieldNames: Set<String> { get }
    /// For fields holding a list of objects, the fields those objects may have.
    static var nestedFieldNames: [String: Set<String>] { get }
    /// The top-level fields that take any number; every other number must be an integer.
    static var numberFieldNames: Set<String> { get }
}

extension RequestInput {
    static var nestedFieldNames: [String: Set<String>] { [:] }
    static var numberFieldNames: Set<String> { [] }
}

/// An HTTP error answer: a status and a message for `{"error":"…"}`. Thrown from a route, Hummingbird answers with
/// it as it is.
struct HTTPFailure: HTTPResponseError {
    var status: HTTPResponse.Status
    var message: String
    /// The field at fault, as a path such as `items[0].quantity`.
    var field: String?

    init(status: HTTPResponse.Status, message: String, field: String? = nil) {
        self.status = status
        self.message = message
        self.field = field
    }

    static func badField(_ field: String, _ message: String) -> HTTPFailure {
        HTTPFailure(status: .badRequest, message: message, field: field)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        .jsonError(self.status, self.message, field: self.field)
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
        return try Self.decode(type, bytes: Array(body.readableBytesView))
    }

    /// Decodes a JSON body, refusing unknown fields and naming the field of any problem.
    /// - Throws: ``HTTPFailure``, `400` with the message and the field.
    static func decode<Input: RequestInput>(_ type: Input.Type, bytes: [UInt8]) throws(HTTPFailure) -> Input {
        let members: [(key: String, kind: JSONValueKind, span: Range<Int>)]
        do {
            members = try bytes.withUnsafeBytes { try JSONScanner.objectMembers($0) }
        } catch {
            throw HTTPFailure(status: .badRequest, message: "the body must be a JSON object: \(error)")
        }
        let failure: HTTPFailure? = bytes.withUnsafeBytes { buffer in
            do throws(HTTPFailure) {
                try Self.checkFields(members, allowed: Input.fieldNames, nested: Input.nestedFieldNames,
                                     prefix: "", in: buffer)
            } catch {
                return error
            }
            let nonInteger = Self.firstNonInteger(buffer, span: 0..<buffer.count, path: "",
                                                  except: Input.numberFieldNames)
            return nonInteger.map { path in HTTPFailure.badField(path, "field \"\(path)\" must be an integer") }
        }
        if let failure {
            throw failure
        }
        do {
            return try JSONDecoder().decode(Input.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw HTTPFailure(status: .badRequest, message: Self.describe(error), field: Self.field(of: error))
        } catch {
            throw HTTPFailure(status: .badRequest, message: "invalid body: \(error)")
        }
    }

    /// Refuses unknown and repeated fields, at the top level and in lists of objects.
    private static func checkFields(
        _ members: [(key: String, kind: JSONValueKind, span: Range<Int>)],
        allowed: Set<String>,
        nested: [String: Set<String>],
        prefix: String,
        in bytes: UnsafeRawBufferPointer
    ) throws(HTTPFailure) {
        var seen = Set<String>()
        for member in members {
            let path = prefix + member.key
            guard allowed.contains(member.key) else {
                let expected = allowed.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
                let name = JSONWriter.stringLiteral(path)
                throw HTTPFailure.badField(path, "unknown field \(name); expected \(expected)")
            }
            guard seen.insert(member.key).inserted else {
                throw HTTPFailure.badField(path, "field \(JSONWriter.stringLiteral(path)) appears twice")
            }
            guard let itemFields = nested[member.key], member.kind == .array else { continue }
            let elements = (try? JSONScanner.arrayElements(UnsafeRawBufferPointer(rebasing: bytes[member.span]))) ?? []
            for (index, element) in elements.enumerated() where element.kind == .object {
                let start = member.span.lowerBound + element.span.lowerBound
                let span = start..<(start + element.span.count)
                let itemMembers = (try? JSONScanner.objectMembers(UnsafeRawBufferPointer(rebasing: bytes[span]))) ?? []
                try Self.checkFields(itemMembers, allowed: itemFields, nested: [:], prefix: "\(path)[\(index)].",
                                     in: UnsafeRawBufferPointer(rebasing: bytes[span]))
            }
        }
    }

    /// The path of the first number that is not an integer in range, but at the paths `except`: most numbers the API
    /// takes are integers, and Foundation's decoder reports such a number without saying where it is.
    private static func firstNonInteger(_ bytes: UnsafeRawBufferPointer, span: Range<Int>, path: String,
                                        except: Set<String>) -> String? {
        let value = UnsafeRawBufferPointer(rebasing: bytes[span])
        if let members = try? JSONScanner.objectMembers(value) {
            for member in members {
                let start = span.lowerBound + member.span.lowerBound
                let childPath = path.isEmpty ? member.key : "\(path).\(member.key)"
                if let found = Self.firstNonInteger(bytes, span: start..<(start + member.span.count), path: childPath,
                                                    except: except) {
                    return found
                }
            }
        } else if let elements = try? JSONScanner.arrayElements(value) {
            for (index, element) in elements.enumerated() {
                let start = span.lowerBound + element.span.lowerBound
                if let found = Self.firstNonInteger(bytes, span: start..<(start + element.span.count),
                                                    path: "\(path)[\(index)]", except: except) {
                    return found
                }
            }
        } else if let (kind, _) = try? JSONScanner.validate(value), kind == .number {
            return Int(String(decoding: value, as: UTF8.self)) == nil && !except.contains(path) ? path : nil
        }
        return nil
    }

    private static func field(of error: DecodingError) -> String? {
        switch error {
        case .keyNotFound(let key, let context): Self.path(context.codingPath + [key])
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            context.codingPath.isEmpty ? nil : Self.path(context.codingPath)
        @unknown default: nil
        }
    }

    private static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }
            .joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
            .replacingOccurrences(of: ".[", with: "[")
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String { Self.path(codingPath) }
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
