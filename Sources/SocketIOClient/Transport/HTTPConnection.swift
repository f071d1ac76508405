import NIOCore
import NIOHTTP1
import NIOPosix

/// Keep-alive HTTP/1.1 connections for long-polling, one request at a time, on NIO's HTTP client codec.
enum HTTPConnection {
    struct Response {
        var head: HTTPResponseHead
        var body: ByteBuffer
    }

    /// Requests on one open connection. Not `Sendable`: it belongs to the task inside ``withConnection(to:group:timeout:onChannel:_:)``.
    struct Exchange {
        private var inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
        private let outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>
        private let hostHeader: String
        /// Whether the connection can carry another request (the server did not answer `Connection: close`).
        private(set) var isReusable = true

        fileprivate init(
            inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>,
            outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>,
            hostHeader: String
        ) {
            self.inbound = inbound.makeAsyncIterator()
            self.outbound = outbound
            self.hostHeader = hostHeader
        }

        /// Sends a request and reads the whole response.
        /// - Throws: ``SocketIOClientError`` when the connection fails or closes before the response is complete.
        mutating func request(method: HTTPMethod, uri: String, body: ByteBuffer? = nil)
            async throws(SocketIOClientError) -> Response
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
                var parts: [HTTPClientRequestPart] = [.head(head)]
                if let body {
                    parts.append(.body(.byteBuffer(body)))
                }
                parts.append(.end(nil))
                try await self.outbound.write(contentsOf: parts)
                var responseHead: HTTPResponseHead?
                var responseBody = ByteBuffer()
                while let part = try await self.inbound.next() {
                    switch part {
                    case .head(let received):
                        responseHead = received
                    case .body(var chunk):
                        responseBody.writeBuffer(&chunk)
                    case .end:
                        guard let responseHead else {
                            throw SocketIOClientError.transport("HTTP response without head")
                        }
                        self.isReusable = responseHead.isKeepAlive
                        return Response(head: responseHead, body: responseBody)
                    }
                }
                throw SocketIOClientError.transport("the HTTP connection closed before the response ended")
            } catch let error as SocketIOClientError {
                self.isReusable = false
                throw error
            } catch {
                self.isReusable = false
                throw .transport("HTTP \(method) failed: \(error)")
            }
        }
    }

    /// Opens a connection to `endpoint`, runs `body` with it, and closes it.
    /// - Parameter onChannel: called with the channel once connected, so that another task can close it (which is
    ///   how a held GET is cut short).
    /// - Throws: ``SocketIOClientError`` when TCP cannot connect, or what `body` throws.
    static func withConnection<Result>(
        to endpoint: SocketIOEndpoint,
        group: any EventLoopGroup,
        timeout: TimeAmount,
        onChannel: (any Channel) -> Void,
        _ body: (inout Exchange) async throws(SocketIOClientError) -> Result
    ) async throws(SocketIOClientError) -> Result {
        let asyncChannel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
        do {
            asyncChannel = try await ClientBootstrap(group: group)
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
        } catch {
            throw .connectionFailed("\(endpoint.host):\(endpoint.port)", error)
        }
        onChannel(asyncChannel.channel)
        do {
            return try await asyncChannel.executeThenClose { inbound, outbound in
                var exchange = Exchange(inbound: inbound, outbound: outbound, hostHeader: endpoint.hostHeader)
                return try await body(&exchange)
            }
        } catch let error as SocketIOClientError {
            throw error
        } catch {
            throw .transport("HTTP connection failed: \(error)")
        }
    }
}
