import NIOCore
import NIOHTTP1
import NIOPosix

/// One keep-alive HTTP/1.1 connection, for long-polling: one request at a time, by one task.
///
/// Not `Sendable`: its inbound iterator belongs to the task that makes the requests. Another task may close it
/// through ``channel`` (which is how a held GET is cut short).
final class HTTPConnection {
    struct Response {
        var head: HTTPResponseHead
        var body: ByteBuffer
    }

    let channel: any Channel
    private let asyncChannel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
    private var inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    private let hostHeader: String

    private init(asyncChannel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>, hostHeader: String) {
        self.asyncChannel = asyncChannel
        self.channel = asyncChannel.channel
        self.inbound = asyncChannel.inbound.makeAsyncIterator()
        self.hostHeader = hostHeader
    }

    /// Opens a connection to `endpoint`.
    /// - Throws: ``SocketIOClientError`` when TCP cannot connect.
    static func connect(
        to endpoint: SocketIOEndpoint,
        group: any EventLoopGroup,
        timeout: TimeAmount
    ) async throws(SocketIOClientError) -> HTTPConnection {
        do {
            let asyncChannel = try await ClientBootstrap(group: group)
                .connectTimeout(timeout)
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .connect(host: endpoint.host, port: endpoint.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                            wrappingChannelSynchronously: channel
                        )
                    }
                }
            return HTTPConnection(asyncChannel: asyncChannel, hostHeader: endpoint.hostHeader)
        } catch {
            throw .connectionFailed("\(endpoint.host):\(endpoint.port)", error)
        }
    }

    /// Whether the connection can carry another request.
    var isActive: Bool { self.channel.isActive }

    /// Sends a request and reads the whole response.
    /// - Throws: ``SocketIOClientError`` when the connection fails or closes before the response is complete.
    func request(method: HTTPMethod, uri: String, body: ByteBuffer? = nil) async throws(SocketIOClientError)
        -> Response
    {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: self.hostHeader)
        headers.add(name: "Accept", value: "*/*")
        if let body {
            headers.add(name: "Content-Type", value: "text/plain;charset=UTF-8")
            headers.add(name: "Content-Length", value: String(body.readableBytes))
        }
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers)
        do {
            try await self.asyncChannel.outbound.write(contentsOf: [
                .head(head), .body(.byteBuffer(body ?? ByteBuffer())), .end(nil),
            ])
            var responseHead: HTTPResponseHead?
            var responseBody = ByteBuffer()
            while let part = try await self.inbound.next() {
                switch part {
                case .head(let received):
                    responseHead = received
                case .body(var chunk):
                    responseBody.writeBuffer(&chunk)
                case .end:
                    guard let responseHead else { throw SocketIOClientError.transport("HTTP response without head") }
                    if !responseHead.isKeepAlive {
                        self.close()
                    }
                    return Response(head: responseHead, body: responseBody)
                }
            }
            throw SocketIOClientError.transport("the HTTP connection closed before the response ended")
        } catch let error as SocketIOClientError {
            throw error
        } catch {
            throw .transport("HTTP \(method) failed: \(error)")
        }
    }

    func close() {
        self.channel.close(promise: nil)
    }
}
