import HTTPTypes
import Hummingbird

/// A follower of a tablecast cluster takes no writes: the owner alone changes the restaurant, and every node answers
/// reads from what the stream carried. Any request that would change something (a REST write, a manual emit, a
/// fault, simulation control) gets `409` and a JSON error naming the owner, as the owner wrote its URL next to the
/// stream. Reads, health, metrics and Socket.IO are untouched.
struct FollowerWriteGuard<Context: RequestContext>: RouterMiddleware {
    let reader: StreamReader

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        switch request.method {
        case .get, .head, .options:
            return try await next(request, context)
        default:
            let owner = self.reader.status.ownerURL.map { "the owner, \($0)" } ?? "the owner (it has not said where)"
            return .jsonError(.conflict, "this tablecast node follows stream \(self.reader.stream) on "
                                  + "\(self.reader.endpoint): send writes to \(owner)")
        }
    }
}
