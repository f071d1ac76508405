import HTTPTypes
import Hummingbird
import NIOCore
import SocketIOProtocol

/// A request context that exposes the connection's channel, which long-polling needs to notice an aborted GET.
public protocol EngineIORequestContext: RequestContext {
    var channel: any Channel { get }
}

/// Serves Engine.IO long-polling on the paths of the given servers; every other request goes on to the router.
public struct EngineIOMiddleware<Context: EngineIORequestContext>: RouterMiddleware {
    let servers: [EngineServer]

    public init(servers: [EngineServer]) {
        self.servers = servers
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let server = self.servers.first(where: { $0.matches(path: request.uri.path) }) else {
            return try await next(request, context)
        }
        if request.method == .options {
            return Response(status: .noContent)
        }
        var request = request
        let result = await server.handlePolling(
            method: request.method,
            query: EngineIOQuery.parameters(of: request.uri.string),
            contentType: request.headers[.contentType],
            channel: context.channel
        ) { limit in
            do {
                return try await request.collectBody(upTo: limit)
            } catch is NIOTooManyBytesError {
                throw PayloadTooLarge()
            }
        }
        return Response(
            status: result.status,
            headers: [.contentType: result.contentType, .contentLength: String(result.body.readableBytes)],
            body: ResponseBody(byteBuffer: result.body)
        )
    }
}
