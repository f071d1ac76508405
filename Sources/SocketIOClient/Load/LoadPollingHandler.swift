import NIOCore

/// One load-test client over Engine.IO long-polling, on two raw keep-alive TCP connections: one carries the held
/// GETs, the other the rare POSTs (the namespace CONNECT, pongs), so that a POST never waits behind a held poll.
///
/// Like ``LoadConnectionHandler`` it parses in place and reads only each event's trailing trace. HTTP/1.1 with
/// `Content-Length` bodies, as tablecast answers.
final class LoadPollingClient {
    /// What the client is doing.
    enum Phase {
        case handshake
        case joining
        case connected
        case closed
    }

    let tally: LoadTally
    private let hostHeader: String
    private let path: String
    private let namespace: String
    private var sid: String?
    private(set) var phase = Phase.handshake
    private var pollChannel: (any Channel)?
    private var postChannel: (any Channel)?
    /// POST bodies waiting for the POST connection's previous answer.
    private var postQueue: [String] = []
    private var postInFlight = false
    private let onConnected: () -> Void
    private let onClosed: (String) -> Void

    init(host: String, port: Int, path: String, namespace: String, tally: LoadTally,
         onConnected: @escaping () -> Void, onClosed: @escaping (String) -> Void) {
        self.hostHeader = "\(host):\(port)"
        self.path = path
        self.namespace = namespace
        self.tally = tally
        self.onConnected = onConnected
        self.onClosed = onClosed
    }

    /// Both connections are up: start the handshake.
    func start(poll: any Channel, post: any Channel) {
        self.pollChannel = poll
        self.postChannel = post
        self.sendPoll()
    }

    func close(reason: String) {
        guard self.phase != .closed else { return }
        self.phase = .closed
        self.pollChannel?.close(promise: nil)
        self.postChannel?.close(promise: nil)
        self.onClosed(reason)
    }

    private var query: String {
        "\(self.path)?EIO=4&transport=polling" + (self.sid.map { "&sid=\($0)" } ?? "")
    }

    private func sendPoll() {
        guard let channel = self.pollChannel, self.phase != .closed else { return }
        var request = channel.allocator.buffer(capacity: 160)
        request.writeString("GET \(self.query) HTTP/1.1\r\nHost: \(self.hostHeader)\r\n\r\n")
        channel.writeAndFlush(request, promise: nil)
    }

    private func post(_ body: String) {
        self.postQueue.append(body)
        self.sendNextPost()
    }

    private func sendNextPost() {
        guard !self.postInFlight, !self.postQueue.isEmpty, let channel = self.postChannel, self.phase != .closed else {
            return
        }
        let body = self.postQueue.removeFirst()
        self.postInFlight = true
        var request = channel.allocator.buffer(capacity: 200 + body.utf8.count)
        request.writeString("POST \(self.query) HTTP/1.1\r\nHost: \(self.hostHeader)\r\n"
            + "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        channel.writeAndFlush(request, promise: nil)
    }

    /// A response on the POST connection.
    func postAnswered(status: Int) {
        self.postInFlight = false
        guard status == 200 else {
            self.close(reason: "a POST was answered with HTTP \(status)")
            return
        }
        self.sendNextPost()
    }

    /// A response on the poll connection: its packets, then the next poll.
    func pollAnswered(status: Int, body: ByteBuffer, receivedAt: Int64) {
        guard status == 200 else {
            self.close(reason: "a poll was answered with HTTP \(status): \(String(buffer: body).prefix(200))")
            return
        }
        let view = body.readableBytesView
        var start = view.startIndex
        while start < view.endIndex {
            let end = view[start...].firstIndex(of: 0x1E) ?? view.endIndex
            if let packet = body.getSlice(at: body.readerIndex + (start - view.startIndex), length: end - start) {
                self.handle(packet: packet, receivedAt: receivedAt)
            }
            if self.phase == .closed { return }
            start = end + 1
        }
        self.sendPoll()
    }

    private func handle(packet: ByteBuffer, receivedAt: Int64) {
        switch LoadPacket(packet) {
        case .open:
            let view = packet.readableBytesView
            guard let key = view.firstRange(of: "\"sid\":\"".utf8),
                let close = view[key.upperBound...].firstIndex(of: UInt8(ascii: "\""))
            else {
                self.close(reason: "no sid in the open packet")
                return
            }
            self.sid = String(decoding: view[key.upperBound..<close], as: UTF8.self)
            self.phase = .joining
            self.post(LoadPacket.connect(namespace: self.namespace))
        case .ping:
            self.post("3")
        case .event(let trace):
            self.tally.received(trace, receivedAt: receivedAt, bytes: packet.readableBytes)
        case .connected:
            if self.phase == .joining {
                self.phase = .connected
                self.onConnected()
            }
        case .ended(let reason):
            self.close(reason: reason)
        case .other:
            break
        }
    }
}

/// Reads HTTP/1.1 responses with `Content-Length` bodies off one of a ``LoadPollingClient``'s connections.
final class LoadPollingResponseHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let client: LoadPollingClient
    private let isPoll: Bool
    private var cumulation = ByteCumulation()

    init(client: LoadPollingClient, isPoll: Bool) {
        self.client = client
        self.isPoll = isPoll
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = self.cumulation.take(self.unwrapInboundIn(data))
        let receivedAt = Int64(NIODeadline.now().uptimeNanoseconds)
        while let response = Self.nextResponse(&buffer) {
            if self.isPoll {
                self.client.pollAnswered(status: response.status, body: response.body, receivedAt: receivedAt)
            } else {
                self.client.postAnswered(status: response.status)
            }
        }
        self.cumulation.keep(buffer)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.client.close(reason: "connection closed")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.client.close(reason: "\(error)")
        context.close(promise: nil)
    }

    /// One whole response (status and body), or `nil` until it has arrived.
    static func nextResponse(_ buffer: inout ByteBuffer) -> (status: Int, body: ByteBuffer)? {
        let view = buffer.readableBytesView
        guard let headEnd = view.firstRange(of: "\r\n\r\n".utf8) else { return nil }
        let headLength = headEnd.upperBound - view.startIndex
        guard let head = buffer.getString(at: buffer.readerIndex, length: headLength) else { return nil }
        var status = 0
        var length = 0
        for (index, line) in head.split(separator: "\r\n").enumerated() {
            if index == 0 {
                let parts = line.split(separator: " ")
                status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            } else if line.lowercased().hasPrefix("content-length:") {
                length = Int(line.dropFirst("content-length:".count).drop { $0 == " " }) ?? 0
            }
        }
        guard buffer.readableBytes >= headLength + length,
            let body = buffer.getSlice(at: buffer.readerIndex + headLength, length: length)
        else { return nil }
        buffer.moveReaderIndex(forwardBy: headLength + length)
        return (status, body)
    }
}
