import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import SocketIOProtocol

/// Engine.IO long-polling for one session: a GET loop that receives, and a POST loop that sends whatever queued
/// meanwhile as one payload, one request at a time as the protocol demands. Each loop keeps its own keep-alive
/// connection, so that a held GET never delays a POST.
final class PollingTransport: Sendable {
    private struct State {
        var outbox: [EngineIOFrame] = []
        var postInFlight = false
        var paused = false
        var closed = false
        var channels: [any Channel] = []
        var drainWaiters: [CheckedContinuation<Void, Never>] = []
    }

    let sid: String
    private let endpoint: SocketIOEndpoint
    private let group: any EventLoopGroup
    private let timeout: TimeAmount
    private let state = NIOLockedValueBox(State())
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    init(sid: String, endpoint: SocketIOEndpoint, group: any EventLoopGroup, timeout: TimeAmount) {
        self.sid = sid
        self.endpoint = endpoint
        self.group = group
        self.timeout = timeout
        (self.wakeups, self.wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// The handshake: `GET <path>?EIO=4&transport=polling`, answered by a payload that starts with the `open` packet.
    /// - Returns: the packets of the answer.
    /// - Throws: ``SocketIOClientError``: connection failed, HTTP error, or an answer that is not Engine.IO.
    static func handshake(
        endpoint: SocketIOEndpoint,
        group: any EventLoopGroup,
        timeout: TimeAmount,
        onChannel: (any Channel) -> Void
    ) async throws(SocketIOClientError) -> [EngineIOPacket] {
        let response = try await HTTPConnection.withConnection(
            to: endpoint, group: group, timeout: timeout, onChannel: onChannel
        ) { (exchange) throws(SocketIOClientError) in
            do {
                return try await exchange.request(method: .GET, uri: endpoint.uri(transport: .polling, sid: nil))
            } catch {
                throw .notSocketIO(endpoint.description, "\(error)")
            }
        }
        let status = "HTTP \(response.head.status.code) \(response.head.status.reasonPhrase)"
        let body = String(buffer: response.body)
        guard response.head.status == .ok else {
            if response.head.status == .badRequest, body.contains("\"code\"") {
                throw .handshakeFailed(endpoint.description, "\(status): \(body.prefix(200))")
            }
            throw .notSocketIO(endpoint.description, body.isEmpty ? status : "\(status): \(body.prefix(200))")
        }
        guard let packets = try? EngineIOPacket.decodePayload(response.body), packets.first?.type == .open,
            (try? EngineIOOpenPacket(json: packets[0].data)) != nil
        else {
            throw .notSocketIO(
                endpoint.description,
                "\(status) with a body that is not an Engine.IO open packet: \(body.prefix(80).debugDescription)"
            )
        }
        return packets
    }

    /// Remembers a connection so that ``close()`` closes it.
    private func adopt(_ channel: any Channel) {
        let closed = self.state.withLockedValue { state in
            if !state.closed {
                state.channels.append(channel)
            }
            return state.closed
        }
        if closed {
            channel.close(promise: nil)
        }
    }

    private var isClosed: Bool { self.state.withLockedValue { $0.closed } }

    /// The GET loop: polls until paused (for the upgrade), closed, or failed, handing each response's packets to
    /// `deliver`. Ends by delivering ``SocketIOClientSession/Input/pollingPaused`` or
    /// ``SocketIOClientSession/Input/transportEnded(_:_:)``, unless closed.
    func runPollLoop(deliver: @Sendable (SocketIOClientSession.Input) -> Void) async {
        enum Next {
            case reconnect
            case paused
            case done
        }
        while true {
            do throws(SocketIOClientError) {
                let next = try await HTTPConnection.withConnection(
                    to: self.endpoint, group: self.group, timeout: self.timeout, onChannel: self.adopt
                ) { (exchange) throws(SocketIOClientError) -> Next in
                    while exchange.isReusable {
                        let (paused, closed) = self.state.withLockedValue { ($0.paused, $0.closed) }
                        if closed {
                            return .done
                        }
                        if paused {
                            return .paused
                        }
                        let response = try await exchange.request(
                            method: .GET, uri: self.endpoint.uri(transport: .polling, sid: self.sid)
                        )
                        guard response.head.status == .ok else {
                            throw .transport("polling GET answered HTTP \(response.head.status.code)")
                        }
                        let packets: [EngineIOPacket]
                        do {
                            packets = try EngineIOPacket.decodePayload(response.body)
                        } catch {
                            throw .transport("parse error: \(error)")
                        }
                        deliver(.packets(packets, .polling))
                        if packets.contains(where: { $0.type == .close }) {
                            return .done
                        }
                    }
                    return .reconnect
                }
                switch next {
                case .reconnect:
                    continue
                case .paused:
                    deliver(.pollingPaused)
                    return
                case .done:
                    return
                }
            } catch {
                if !self.isClosed {
                    deliver(.transportEnded(.polling, "transport error: \(error)"))
                }
                return
            }
        }
    }

    /// The POST loop: sends what ``send(_:)`` queued, batched, until ``close()``.
    func runPostLoop(deliver: @Sendable (SocketIOClientSession.Input) -> Void) async {
        var wakeups = self.wakeups.makeAsyncIterator()
        while true {
            // Connect only with something to send: an idle connection is one the server may drop.
            guard await wakeups.next() != nil else { return }
            do throws(SocketIOClientError) {
                let ended = try await HTTPConnection.withConnection(
                    to: self.endpoint, group: self.group, timeout: self.timeout, onChannel: self.adopt
                ) { (exchange) throws(SocketIOClientError) -> Bool in
                    while exchange.isReusable {
                        guard let batch = self.takeBatch() else {
                            guard await wakeups.next() != nil else { return true }
                            continue
                        }
                        var body = ByteBuffer()
                        EngineIOFrame.encodePayload(batch, into: &body)
                        let response = try await exchange.request(
                            method: .POST, uri: self.endpoint.uri(transport: .polling, sid: self.sid), body: body
                        )
                        guard response.head.status == .ok else {
                            throw .transport("polling POST answered HTTP \(response.head.status.code)")
                        }
                    }
                    return false
                }
                if ended {
                    return
                }
            } catch {
                if !self.isClosed {
                    deliver(.transportEnded(.polling, "transport error: \(error)"))
                }
                self.close()
                return
            }
        }
    }

    /// Takes everything queued, or marks the POST lane idle (waking ``waitUntilSent()``) when nothing is.
    private func takeBatch() -> [EngineIOFrame]? {
        let (batch, waiters) = self.state.withLockedValue { state -> ([EngineIOFrame]?, [CheckedContinuation<Void, Never>]) in
            guard !state.outbox.isEmpty, !state.closed else {
                state.postInFlight = false
                defer { state.drainWaiters = [] }
                return (nil, state.drainWaiters)
            }
            state.postInFlight = true
            defer { state.outbox = [] }
            return (state.outbox, [])
        }
        for waiter in waiters {
            waiter.resume()
        }
        return batch
    }

    /// Queues frames for the next POST.
    func send(_ frames: [EngineIOFrame]) {
        let queued = self.state.withLockedValue { state in
            guard !state.closed else { return false }
            state.outbox.append(contentsOf: frames)
            return true
        }
        if queued {
            self.wake.yield()
        }
    }

    /// Returns once every queued frame has been POSTed (or the transport closed).
    func waitUntilSent() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = self.state.withLockedValue { state in
                if state.closed || (state.outbox.isEmpty && !state.postInFlight) {
                    return true
                }
                state.drainWaiters.append(continuation)
                return false
            }
            if done {
                continuation.resume()
            }
        }
    }

    /// Stops issuing GETs once the one in flight returns: the first step of the upgrade.
    func pause() {
        self.state.withLockedValue { $0.paused = true }
    }

    /// Closes both connections (cutting a held GET short) and ends both loops.
    func close() {
        let (channels, waiters) = self.state.withLockedValue { state in
            state.closed = true
            defer {
                state.channels = []
                state.drainWaiters = []
            }
            return (state.channels, state.drainWaiters)
        }
        self.wake.finish()
        for channel in channels {
            channel.close(promise: nil)
        }
        for waiter in waiters {
            waiter.resume()
        }
    }
}
