import HTTPTypes
import NIOCore
import NIOHTTPTypes

extension ChannelHandlerContext {
    /// Answers a request on a connection that is done, and closes it once the answer is written: what a handler in
    /// front of the router does to refuse one (a timeout, the connection cap, a request that does not parse, a
    /// refused upgrade). On the event loop; the handler sits after the HTTP codec.
    /// - Parameter jsonBody: the JSON error body; none for an empty answer.
    func respondAndClose(status: HTTPResponse.Status, jsonBody: ByteBuffer?) {
        var fields: HTTPFields = [.contentLength: String(jsonBody?.readableBytes ?? 0), .connection: "close"]
        if jsonBody != nil {
            fields[.contentType] = "application/json"
        }
        self.write(NIOAny(HTTPResponsePart.head(HTTPResponse(status: status, headerFields: fields))), promise: nil)
        if let jsonBody {
            self.write(NIOAny(HTTPResponsePart.body(jsonBody)), promise: nil)
        }
        self.writeAndFlush(NIOAny(HTTPResponsePart.end(nil))).assumeIsolated().whenComplete { _ in
            self.close(promise: nil)
        }
    }
}
