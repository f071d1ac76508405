import HTTPTypes
import Hummingbird

/// Who may use which routes: the control API (`/_tablecast/*`) only from the server's own origin and, with a token,
/// only with it; everything else (the restaurant REST API, Engine.IO long-polling) with NestJS's
/// `cors: { origin: true }`, as the backend tablecast stands in for.
///
/// The control API emits events, injects faults and drives replays: a web page the developer happens to visit must
/// not be able to. So for `/_tablecast/*`:
/// - no CORS headers are sent, so a browser lets no other origin read an answer or send a preflighted request;
/// - a request that carries an `Origin` other than the server's own (what a browser sends with a cross-origin form
///   post or `fetch(…, {mode: "no-cors"})`, which need no preflight) is refused with `403` before it does anything;
/// - with a token, every route but `GET /_tablecast/health` needs `Authorization: Bearer TOKEN`, or gets `401`.
///
/// `/metrics` is read-only: it needs no token, and it is not open to other origins either.
struct ControlAccessMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String?
    let cors: CORSMiddleware<Context>

    init(token: String?) {
        self.token = token
        // The request's origin is reflected, for every method the API uses.
        self.cors = CORSMiddleware(
            allowOrigin: .originBased,
            allowHeaders: [.accept, .authorization, .contentType, .origin],
            allowMethods: [.get, .post, .patch, .delete, .head, .options],
            allowCredentials: true
        )
    }

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let path = request.uri.path
        let isControl = path == "/_tablecast" || path.hasPrefix("/_tablecast/")
        guard isControl || path == "/metrics" else {
            return try await self.cors.handle(request, context: context, next: next)
        }
        if let origin = request.headers[.origin], !Self.isSameOrigin(origin, as: request) {
            return .jsonError(.forbidden, "the control API answers its own origin only, not \(origin)")
        }
        if isControl, let token = self.token, !(request.method == .get && path == "/_tablecast/health") {
            guard let authorization = request.headers[.authorization],
                Self.bearerMatches(authorization, token: token)
            else {
                var response = Response.jsonError(
                    .unauthorized,
                    "the control API needs Authorization: Bearer TOKEN (the server's --control-token)"
                )
                response.headers[.wwwAuthenticate] = #"Bearer realm="tablecast""#
                return response
            }
        }
        return try await next(request, context)
    }

    /// Whether `origin` (`scheme://host[:port]`) names the host the request was sent to (its `Host` header).
    static func isSameOrigin(_ origin: String, as request: Request) -> Bool {
        let separator = "://"
        guard let host = request.head.authority,
            let schemeEnd = origin.utf8.firstRange(of: separator.utf8)
        else { return false }
        let originHost = origin[schemeEnd.upperBound...]
        guard !originHost.isEmpty, !originHost.contains("/") else { return false }
        return originHost.lowercased() == host.lowercased()
    }

    /// Compares `Bearer <token>` with the token in time that does not depend on where they differ.
    static func bearerMatches(_ authorization: String, token: String) -> Bool {
        let prefix = "bearer "
        guard authorization.count > prefix.count, authorization.prefix(prefix.count).lowercased() == prefix else {
            return false
        }
        let given = Array(authorization.utf8.dropFirst(prefix.utf8.count))
        let expected = Array(token.utf8)
        var difference = UInt8(given.count == expected.count ? 0 : 1)
        for index in 0..<expected.count {
            difference |= expected[index] ^ (index < given.count ? given[index] : 0)
        }
        return difference == 0
    }
}
