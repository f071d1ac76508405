import Logging
import NIOConcurrencyHelpers
import NIOCore
import SocketIOProtocol

/// One connection attempt and, if it succeeds, the Engine.IO session it opens: the driver of
/// ``SocketIOClientStateMachine``.
///
/// Everything that happens (packets from a transport, a transport ending, a timer, the probe, a stop) is an ``Input``
/// on one stream, consumed in order by ``run(after:)``; transports and timers only produce inputs. So the protocol
/// state needs no lock, and packets are handled in the order the server sent them, across the upgrade too.
final class SocketIOClientSession: Sendable {
    enum Input: Sendable {
        /// The backoff delay elapsed: connect.
        case begin
        case handshakeFailed(SocketIOClientError)
        case pollingOpened(PollingTransport, [EngineIOPacket])
        case webSocketOpened(WebSocketConnection)
        case packets([EngineIOPacket], TransportKind)
        case transportEnded(TransportKind, String)
        case probeSucceeded(WebSocketConnection)
        case probeFailed(String)
        case pollingPaused
        case pingTimeout(generation: Int)
        case connectTimeout
        case stop
    }

    /// How a session ended.
    enum Outcome: Sendable, Equatable {
        /// It never reached the namespace's CONNECT answer.
        case failed(SocketIOClientError)
        /// A connected session ended; `reconnect` is `false` when the server said so (`io server disconnect`).
        case disconnected(reason: String, reconnect: Bool)
        /// ``requestStop()`` ended it; `wasConnected` tells whether a `disconnected` is due.
        case stopped(wasConnected: Bool)
    }

    private let configuration: SocketIOClientConfiguration
    private let endpoint: SocketIOEndpoint
    private let group: any EventLoopGroup
    private let eventLoop: any EventLoop
    private let logger: Logger
    private let emit: @Sendable (SocketIOClientEvent) -> Void
    private let inputs: AsyncStream<Input>
    private let input: AsyncStream<Input>.Continuation
    /// Every channel opened for this session, closed when it ends, so that no child task outlives it.
    private let channels = NIOLockedValueBox<(closed: Bool, list: [any Channel])>((false, []))

    init(
        configuration: SocketIOClientConfiguration,
        endpoint: SocketIOEndpoint,
        group: any EventLoopGroup,
        logger: Logger,
        emit: @escaping @Sendable (SocketIOClientEvent) -> Void
    ) {
        self.configuration = configuration
        self.endpoint = endpoint
        self.group = group
        self.eventLoop = group.next()
        self.logger = logger
        self.emit = emit
        (self.inputs, self.input) = AsyncStream.makeStream(of: Input.self)
    }

    /// Ends the session: leaves the namespace and closes the Engine.IO session if connected.
    func requestStop() {
        self.input.yield(.stop)
    }

    private func track(_ channel: any Channel) {
        let closed = self.channels.withLockedValue { channels in
            if !channels.closed {
                channels.list.append(channel)
            }
            return channels.closed
        }
        if closed {
            channel.close(promise: nil)
        }
    }

    private func closeAllChannels() {
        let list = self.channels.withLockedValue { channels in
            channels.closed = true
            defer { channels.list = [] }
            return channels.list
        }
        for channel in list {
            channel.close(promise: nil)
        }
    }

    /// The transport carrying packets now.
    private enum Active {
        case none
        case polling(PollingTransport)
        case websocket(WebSocketConnection)

        var kind: TransportKind? {
            switch self {
            case .none: nil
            case .polling: .polling
            case .websocket: .websocket
            }
        }
    }

    /// Where the upgrade to WebSocket stands.
    private enum Upgrade {
        case idle
        case probing
        /// `3probe` received: polling is pausing; this WebSocket takes over once it has.
        case pausing(WebSocketConnection)
    }

    /// The driver's mutable state, owned by the task in ``run(after:)``.
    private struct Driver {
        var machine: SocketIOClientStateMachine
        var active = Active.none
        var upgrade = Upgrade.idle
        /// Frames sent while polling pauses for the upgrade; they go on the WebSocket after `5`.
        var held: [EngineIOFrame] = []
        /// WebSocket packets that arrived before the switch (none should: the server waits for `5`).
        var early: [EngineIOPacket] = []
        var pingGeneration = 0
        var pingTimer: Scheduled<Void>?
        var timers: [Scheduled<Void>] = []
    }

    /// Connects after `delay`, runs the session until it ends, and tears everything down.
    func run(after delay: TimeAmount) async -> Outcome {
        var driver = Driver(machine: SocketIOClientStateMachine(namespace: self.endpoint.namespace,
                                                               auth: self.configuration.auth))
        let input = self.input
        if delay > .zero {
            driver.timers.append(self.eventLoop.scheduleTask(in: delay) { input.yield(.begin) })
        } else {
            input.yield(.begin)
        }
        let outcome = await withTaskGroup(of: Void.self) { tasks in
            let outcome = await self.loop(&driver, tasks: &tasks)
            driver.pingTimer?.cancel()
            for timer in driver.timers {
                timer.cancel()
            }
            if case .polling(let polling) = driver.active {
                polling.close()
            }
            if case .pausing(let webSocket) = driver.upgrade {
                webSocket.close()
            }
            self.closeAllChannels()
            self.input.finish()
            tasks.cancelAll()
            return outcome
        }
        return outcome
    }

    private func loop(_ driver: inout Driver, tasks: inout TaskGroup<Void>) async -> Outcome {
        let input = self.input
        for await event in self.inputs {
            switch event {
            case .begin:
                driver.timers.append(
                    self.eventLoop.scheduleTask(in: self.configuration.connectTimeout) { input.yield(.connectTimeout) }
                )
                self.startHandshake(tasks: &tasks)

            case .handshakeFailed(let error):
                return .failed(error)

            case .pollingOpened(let polling, let packets):
                driver.active = .polling(polling)
                tasks.addTask { await polling.runPostLoop(deliver: { input.yield($0) }) }
                tasks.addTask { await polling.runPollLoop(deliver: { input.yield($0) }) }
                if let outcome = await self.handle(packets, &driver, tasks: &tasks) {
                    return outcome
                }

            case .webSocketOpened(let webSocket):
                driver.active = .websocket(webSocket)

            case .packets(let packets, let kind):
                if kind == .websocket, case .polling = driver.active {
                    driver.early.append(contentsOf: packets)
                    continue
                }
                guard kind == driver.active.kind else { continue }
                if let outcome = await self.handle(packets, &driver, tasks: &tasks) {
                    return outcome
                }

            case .transportEnded(let kind, let reason):
                if kind == driver.active.kind {
                    return self.ended(reason, driver)
                }
                if kind == .websocket {
                    // The probing WebSocket failed before the switch: keep polling, as engine.io-client does.
                    if case .pausing = driver.upgrade {
                        return self.ended("transport error: the upgrading WebSocket closed: \(reason)", driver)
                    }
                    driver.upgrade = .idle
                }

            case .probeSucceeded(let webSocket):
                guard case .polling(let polling) = driver.active, case .probing = driver.upgrade else {
                    webSocket.close()
                    continue
                }
                driver.upgrade = .pausing(webSocket)
                polling.pause()

            case .probeFailed(let reason):
                self.logger.debug("WebSocket probe failed, staying on polling", metadata: ["reason": "\(reason)"])
                driver.upgrade = .idle

            case .pollingPaused:
                guard case .polling(let polling) = driver.active, case .pausing(let webSocket) = driver.upgrade else {
                    continue
                }
                // Whatever was POSTed must reach the server before `5`: it refuses POSTs once upgraded.
                await polling.waitUntilSent()
                do {
                    try await webSocket.send([EngineIOFrame.text(.upgrade)] + driver.held)
                } catch {
                    return self.ended("transport error: \(error)", driver)
                }
                driver.held = []
                driver.active = .websocket(webSocket)
                driver.upgrade = .idle
                polling.close()
                self.emit(.upgraded(to: .websocket))
                let early = driver.early
                driver.early = []
                if let outcome = await self.handle(early, &driver, tasks: &tasks) {
                    return outcome
                }

            case .pingTimeout(let generation):
                if generation == driver.pingGeneration {
                    return self.ended("ping timeout", driver)
                }

            case .connectTimeout:
                if !driver.machine.isConnected {
                    return .failed(.timeout("connecting to \(self.endpoint.description) (namespace \(self.endpoint.namespace))"))
                }

            case .stop:
                let wasConnected = driver.machine.isConnected
                if driver.active.kind != nil {
                    await self.leave(&driver)
                }
                return .stopped(wasConnected: wasConnected)
            }
        }
        return .stopped(wasConnected: driver.machine.isConnected)
    }

    /// A transport-level end: a drop once connected, a failed attempt before.
    private func ended(_ reason: String, _ driver: Driver) -> Outcome {
        if driver.machine.isConnected {
            return .disconnected(reason: reason, reconnect: true)
        }
        return .failed(.transport("\(reason) before the namespace answered"))
    }

    private func startHandshake(tasks: inout TaskGroup<Void>) {
        let input = self.input
        let endpoint = self.endpoint
        let group = self.group
        let timeout = self.configuration.connectTimeout
        switch self.configuration.transport {
        case .polling, .pollingWithUpgrade:
            tasks.addTask {
                do throws(SocketIOClientError) {
                    let packets = try await PollingTransport.handshake(
                        endpoint: endpoint, group: group, timeout: timeout, onChannel: { self.track($0) }
                    )
                    let open = try? EngineIOOpenPacket(json: packets[0].data)
                    let polling = PollingTransport(sid: open?.sid ?? "", endpoint: endpoint, group: group,
                                                   timeout: timeout)
                    input.yield(.pollingOpened(polling, packets))
                } catch {
                    input.yield(.handshakeFailed(error))
                }
            }
        case .websocket:
            let maxFrameSize = self.configuration.maxFrameSize
            tasks.addTask {
                do throws(SocketIOClientError) {
                    try await WebSocketConnection.run(
                        to: endpoint, uri: endpoint.uri(transport: .websocket, sid: nil), group: group,
                        timeout: timeout, maxFrameSize: maxFrameSize, onChannel: { self.track($0) }
                    ) { webSocket, inbound in
                        input.yield(.webSocketOpened(webSocket))
                        let reason = await inbound.readPackets { packet in
                            input.yield(.packets([packet], .websocket))
                            return true
                        }
                        input.yield(.transportEnded(.websocket, reason ?? "transport close"))
                    }
                } catch {
                    input.yield(.handshakeFailed(error))
                }
            }
        }
    }

    /// Opens a WebSocket for the session and probes it (`2probe` → `3probe`); then it reads for the session.
    private func startProbe(sid: String, tasks: inout TaskGroup<Void>) {
        let input = self.input
        let endpoint = self.endpoint
        let group = self.group
        let timeout = self.configuration.connectTimeout
        let maxFrameSize = self.configuration.maxFrameSize
        tasks.addTask {
            do {
                try await WebSocketConnection.run(
                    to: endpoint, uri: endpoint.uri(transport: .websocket, sid: sid), group: group,
                    timeout: timeout, maxFrameSize: maxFrameSize, onChannel: { self.track($0) }
                ) { webSocket, inbound in
                    do {
                        try await webSocket.send([.text(.ping, "probe")])
                    } catch {
                        input.yield(.probeFailed("\(error)"))
                        return
                    }
                    var probed = false
                    let reason = await inbound.readPackets { packet in
                        if !probed {
                            guard packet.type == .pong, String(buffer: packet.data) == "probe" else {
                                input.yield(.probeFailed("the WebSocket answered the probe with \(packet.type)"))
                                return false
                            }
                            probed = true
                            input.yield(.probeSucceeded(webSocket))
                            return true
                        }
                        input.yield(.packets([packet], .websocket))
                        return true
                    }
                    if probed {
                        input.yield(.transportEnded(.websocket, reason ?? "transport close"))
                    } else if let reason {
                        input.yield(.probeFailed(reason))
                    }
                }
            } catch {
                input.yield(.probeFailed("\(error)"))
            }
        }
    }

    /// Feeds packets to the state machine and performs its actions.
    /// - Returns: the outcome when the session ends.
    private func handle(
        _ packets: [EngineIOPacket],
        _ driver: inout Driver,
        tasks: inout TaskGroup<Void>
    ) async -> Outcome? {
        for packet in packets {
            let wallMillis = SocketIOClient.wallClockMillis()
            let monoNanos = Int64(NIODeadline.now().uptimeNanoseconds)
            switch driver.machine.receive(packet) {
            case .none:
                break
            case .opened(let open, let connect):
                self.armPingTimer(open, &driver)
                await self.send([connect], &driver)
            case .pong(let pong):
                if case .awaitingConnect(let open) = driver.machine.state {
                    self.armPingTimer(open, &driver)
                } else if case .connected(let open, _) = driver.machine.state {
                    self.armPingTimer(open, &driver)
                }
                await self.send([pong], &driver)
            case .connected(let socketID):
                self.emit(.connected(sid: socketID, transport: driver.active.kind ?? .polling))
                // The probe starts once the namespace answered (engine.io-client starts it on `open`): the
                // connection is then reported on polling, and the upgrade always follows it.
                if self.configuration.transport == .pollingWithUpgrade, case .polling = driver.active,
                    case .connected(let open, _) = driver.machine.state, open.upgrades.contains("websocket")
                {
                    driver.upgrade = .probing
                    self.startProbe(sid: open.sid, tasks: &tasks)
                }
            case .refused(let message):
                driver.machine.close()
                await self.sendLast([.close], &driver)
                return .failed(.namespaceRefused(self.endpoint.namespace, message))
            case .event(let name, let payload):
                self.emit(.event(name: name, payload: payload, receivedAtWallMillis: wallMillis,
                                 receivedAtMonoNanos: monoNanos))
            case .serverDisconnect:
                // As socket.io-client: the socket is done, and so is the Engine.IO session it was alone on.
                await self.sendLast([.close], &driver)
                return .disconnected(reason: "io server disconnect", reconnect: false)
            case .serverClose:
                return self.ended("transport close", driver)
            case .protocolError(let detail):
                self.logger.warning("closing the session on a protocol error", metadata: ["error": "\(detail)"])
                return self.ended("parse error", driver)
            }
        }
        return nil
    }

    /// Sends on the active transport; frames sent while polling pauses for the upgrade wait for the WebSocket.
    private func send(_ frames: [EngineIOFrame], _ driver: inout Driver) async {
        switch driver.active {
        case .none:
            break
        case .polling(let polling):
            if case .pausing = driver.upgrade {
                driver.held.append(contentsOf: frames)
            } else {
                polling.send(frames)
            }
        case .websocket(let webSocket):
            // A failed write shows up as the reader's end.
            try? await webSocket.send(frames)
        }
    }

    /// The client is stopping: DISCONNECT and `close`.
    private func leave(_ driver: inout Driver) async {
        let frames = driver.machine.leaveFrames
        driver.machine.close()
        await self.sendLast(frames, &driver)
    }

    /// Sends the session's last frames and waits until they are written (a POST answered, at most 2 s), since the
    /// transport closes right after.
    private func sendLast(_ frames: [EngineIOFrame], _ driver: inout Driver) async {
        switch driver.active {
        case .none:
            break
        case .polling(let polling):
            if case .pausing(let webSocket) = driver.upgrade {
                // Mid-upgrade: the server still takes POSTs; the WebSocket has not been switched to.
                webSocket.close()
                driver.upgrade = .idle
            }
            polling.send(frames)
            let timer = self.eventLoop.scheduleTask(in: .seconds(2)) { polling.close() }
            await polling.waitUntilSent()
            timer.cancel()
        case .websocket(let webSocket):
            try? await webSocket.send(frames)
            webSocket.close()
        }
    }

    /// No ping within `pingInterval + pingTimeout` means the server is gone.
    private func armPingTimer(_ open: EngineIOOpenPacket, _ driver: inout Driver) {
        driver.pingTimer?.cancel()
        driver.pingGeneration += 1
        let generation = driver.pingGeneration
        let input = self.input
        driver.pingTimer = self.eventLoop.scheduleTask(in: .milliseconds(open.pingInterval + open.pingTimeout)) {
            input.yield(.pingTimeout(generation: generation))
        }
    }
}
