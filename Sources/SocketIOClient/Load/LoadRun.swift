import Histogram
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// `tablecast load`: many WebSocket clients on one namespace, each counting what it receives against the server's
/// sequence numbers (loss, duplicates, reordering) and measuring emit-to-receive latency.
///
/// Every client joins with `{"tablecastTrace":true}`: a tablecast server then appends `{"seq":N,"emittedAt":T}` to
/// each event it sends that client (the contract's payload unchanged), `T` in the monotonic nanoseconds the client
/// reads too (same machine). Another server's events are counted as untraced.
public enum LoadRun {
    public struct Options: Sendable {
        /// `http://host:port/namespace`.
        public var url: String
        public var clients: Int
        /// Seconds over which the clients are opened, evenly.
        public var ramp: Double
        /// Seconds measured once every client is connected.
        public var duration: Double
        public var path: String
        public var transport: Transport

        public init(url: String, clients: Int, ramp: Double = 0, duration: Double, path: String = "/socket.io/",
                    transport: Transport = .websocket) {
            self.url = url
            self.clients = clients
            self.ramp = ramp
            self.duration = duration
            self.path = path
            self.transport = transport
        }
    }

    /// How the load clients connect.
    public enum Transport: String, Sendable, CaseIterable {
        case websocket
        /// Engine.IO long-polling, never upgraded.
        case polling
    }

    /// A second's view, for a progress line.
    public struct Progress: Sendable {
        public var elapsed: Double
        public var connected: Int
        public var closed: Int
        public var events: Int
        /// Deliveries per second over the last second.
        public var rate: Double
    }

    /// The figures of a run.
    public struct Report: Sendable, Codable {
        public var url: String
        public var clients: Int
        public var connected: Int
        /// Clients that never joined, or were disconnected.
        public var failed: Int
        public var disconnected: Int
        /// The measured window, from the moment every client was connected.
        public var seconds: Double
        /// Seconds from the run's start (its first client opening) to the window's.
        public var windowOffset: Double
        /// Events received during the window, and per second.
        public var deliveries: Int
        public var deliveriesPerSecond: Double
        public var bytesPerSecond: Double
        /// The whole run, every client from its first traced event to the server's last (or its own last):
        /// expected, received (unique), lost, duplicated, out of order.
        public var expected: Int
        public var delivered: Int
        public var lost: Int
        public var duplicates: Int
        public var reordered: Int
        /// Events without a trace (a server that is not tablecast).
        public var untraced: Int
        /// Every event received, from the first client's connection to the end.
        public var received: Int
        /// The server's last seq when the measure ended, when it answered.
        public var serverLastSeq: Int64?
        /// Emit-to-receive latency, microseconds.
        public var latency: Latency
        /// The first reasons clients failed or were disconnected.
        public var failures: [String]
        /// The measured window second by second.
        public var timeline: [Second]

        public struct Latency: Sendable, Codable {
            public var count: Int
            public var p50: Int
            public var p90: Int
            public var p99: Int
            public var p999: Int
            public var max: Int
            public var mean: Double
        }

        /// One second of the measured window (the last one may be shorter): its deliveries and the latency of the
        /// traced events received in it.
        public struct Second: Sendable, Codable, Equatable {
            /// Seconds from the window's start to the end of this second.
            public var elapsed: Double
            /// Events received in this second, and per second (the same unless the second was cut short).
            public var deliveries: Int
            public var deliveriesPerSecond: Double
            /// Clients connected at its end.
            public var connected: Int
            /// Traced events received in this second: what the percentiles are of (all 0 when none were).
            public var traced: Int
            /// Emit-to-receive latency, microseconds.
            public var p50: Int
            public var p90: Int
            public var p99: Int
            public var max: Int

            public init(elapsed: Double, deliveries: Int, deliveriesPerSecond: Double, connected: Int, traced: Int,
                        p50: Int, p90: Int, p99: Int, max: Int) {
                self.elapsed = elapsed
                self.deliveries = deliveries
                self.deliveriesPerSecond = deliveriesPerSecond
                self.connected = connected
                self.traced = traced
                self.p50 = p50
                self.p90 = p90
                self.p99 = p99
                self.max = max
            }
        }
    }

    /// Why the run could not start.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Runs the load.
    /// - Parameters:
    ///   - lastSeq: asks the server for its last seq (its health endpoint), or `nil` when it cannot tell.
    ///   - progress: called about once a second.
    public static func run(
        options: Options,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        lastSeq: @Sendable () async -> Int64?,
        progress: @Sendable (Progress) -> Void = { _ in }
    ) async throws -> Report {
        let endpoint: SocketIOEndpoint
        do {
            endpoint = try SocketIOEndpoint(url: options.url, path: options.path)
        } catch {
            throw Failure(description: "\(error)")
        }
        let clock = ContinuousClock()
        let started = clock.now
        let loops = Array(group.makeIterator())
        var loopTallies: [NIOLoopBound<LoadTally.Loop>] = []
        for loop in loops {
            loopTallies.append(try await loop.submit { NIOLoopBound(LoadTally.Loop(), eventLoop: loop) }.get())
        }
        let status = NIOLockedValueBox(Status())
        var clients: [Client] = []
        clients.reserveCapacity(options.clients)

        // Open the clients, spread over the ramp.
        for index in 0..<options.clients {
            let loopIndex = index % loops.count
            let loop = loops[loopIndex]
            let shared = loopTallies[loopIndex]
            let due = started + .seconds(options.ramp * Double(index) / Double(max(1, options.clients)))
            if due > clock.now {
                try await clock.sleep(until: due)
            }
            let client = try await loop.submit { () -> Client in
                let tally = LoadTally(loop: shared.value)
                return Client(loop: loop, tally: NIOLoopBound(tally, eventLoop: loop))
            }.get()
            let tally = client.tally
            // Whether this client joined, so that its close takes it off the clients connected now.
            let joined = NIOLockedValueBox(false)
            let onConnected: @Sendable () -> Void = {
                joined.withLockedValue { $0 = true }
                status.withLockedValue {
                    $0.connected += 1
                    $0.open += 1
                }
            }
            let onClosed: @Sendable (String) -> Void = { reason in
                let wasJoined = joined.withLockedValue { $0 }
                status.withLockedValue { status in
                    if wasJoined {
                        status.open -= 1
                    }
                    guard !status.stopping else { return }
                    status.closed += 1
                    if status.failures.count < 10 {
                        status.failures.append(reason)
                    }
                }
            }
            if options.transport == .polling {
                client.channel = try await Self.openPolling(endpoint: endpoint, loop: loop, tally: tally,
                                                            onConnected: onConnected, onClosed: onClosed)
                clients.append(client)
                continue
            }
            let connect = ClientBootstrap(group: loop)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connectTimeout(.seconds(10))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            LoadConnectionHandler(
                                host: endpoint.host, port: endpoint.port, path: endpoint.path,
                                namespace: endpoint.namespace, tally: tally.value,
                                onConnected: onConnected, onClosed: onClosed
                            )
                        )
                    }
                }
                .connect(host: endpoint.host, port: endpoint.port)
            connect.whenFailure { error in
                status.withLockedValue { status in
                    status.closed += 1
                    if status.failures.count < 10 {
                        status.failures.append("\(error)")
                    }
                }
            }
            client.channel = connect
            clients.append(client)
        }

        // Wait (up to 30 s) for every client to join or fail, then measure.
        let joinDeadline = clock.now + .seconds(30)
        while clock.now < joinDeadline {
            let (connected, closed) = status.withLockedValue { ($0.connected, $0.closed) }
            if connected + closed >= options.clients { break }
            try await clock.sleep(for: .milliseconds(20))
        }
        // Each second takes the loops' interval histograms (and empties them), so each gets its own percentiles.
        let windowStart = clock.now
        let eventsAtStart = try await Self.totals(loopTallies, takingInterval: true).events
        var lastEvents = eventsAtStart
        var lastTick = windowStart
        var timeline: [Report.Second] = []
        timeline.reserveCapacity(Int(options.duration.rounded(.up)) + 1)
        let windowEnd = windowStart + .seconds(options.duration)
        while clock.now < windowEnd {
            try await clock.sleep(until: min(windowEnd, lastTick + .seconds(1)))
            let now = clock.now
            let sample = try await Self.totals(loopTallies, takingInterval: true)
            let (connected, closed, open) = status.withLockedValue { ($0.connected, $0.closed, $0.open) }
            let rate = Double(sample.events - lastEvents) / max(1e-9, Self.seconds(now - lastTick))
            progress(Progress(elapsed: Self.seconds(now - started), connected: connected, closed: closed,
                              events: sample.events, rate: rate))
            let interval = sample.interval
            let traced = Int(interval.totalCount)
            timeline.append(Report.Second(
                elapsed: Self.seconds(now - windowStart), deliveries: sample.events - lastEvents,
                deliveriesPerSecond: rate, connected: open, traced: traced,
                p50: traced > 0 ? Int(interval.valueAtPercentile(50)) : 0,
                p90: traced > 0 ? Int(interval.valueAtPercentile(90)) : 0,
                p99: traced > 0 ? Int(interval.valueAtPercentile(99)) : 0,
                max: traced > 0 ? Int(interval.max) : 0
            ))
            lastEvents = sample.events
            lastTick = now
        }
        // The window ends at its last second, so that the timeline adds up to its figures.
        let measured = try await Self.totals(loopTallies)
        let windowSeconds = Self.seconds(lastTick - windowStart)

        // Let what the server emitted before the end arrive (up to 3 s), then close. Each check and the figures
        // take one hop per event loop for all of its clients: a loop saturated by the load would make a hop per
        // client take minutes.
        let serverLastSeq = await lastSeq()
        let clientsByLoop = loops.map { loop in clients.filter { $0.loop === loop } }
        if let serverLastSeq {
            let settleDeadline = clock.now + .seconds(3)
            while clock.now < settleDeadline {
                var behind = false
                for (loop, loopClients) in zip(loops, clientsByLoop) where !behind {
                    behind = try await loop.submit {
                        loopClients.contains { client in
                            let tally = client.tally.value
                            return tally.firstSeq != nil && tally.maxSeq < serverLastSeq
                        }
                    }.get()
                }
                if !behind { break }
                try await clock.sleep(for: .milliseconds(50))
            }
        }
        var expected = 0
        var lost = 0
        var duplicates = 0
        var reordered = 0
        for (loop, loopClients) in zip(loops, clientsByLoop) {
            let figures = try await loop.submit { () -> (Int, Int, Int, Int) in
                var figures = (0, 0, 0, 0)
                for client in loopClients {
                    let tally = client.tally.value
                    let last = serverLastSeq ?? tally.maxSeq
                    figures.0 += tally.expected(upTo: last)
                    figures.1 += tally.lost(upTo: last)
                    figures.2 += tally.duplicates
                    figures.3 += tally.reordered
                }
                return figures
            }.get()
            expected += figures.0
            lost += figures.1
            duplicates += figures.2
            reordered += figures.3
        }
        let totals = try await Self.totals(loopTallies)
        status.withLockedValue { $0.stopping = true }
        for client in clients {
            if let channel = try? await client.channel?.get() {
                try? await channel.close()
            }
        }
        let finalStatus = status.withLockedValue { $0 }
        let latency = totals.latency
        return Report(
            url: options.url, clients: options.clients, connected: finalStatus.connected,
            failed: options.clients - finalStatus.connected,
            disconnected: max(0, finalStatus.closed - (options.clients - finalStatus.connected)),
            seconds: windowSeconds, windowOffset: Self.seconds(windowStart - started), deliveries: lastEvents - eventsAtStart,
            deliveriesPerSecond: Double(lastEvents - eventsAtStart) / max(1e-9, windowSeconds),
            bytesPerSecond: Double(measured.bytes) / max(1e-9, Self.seconds(clock.now - started)),
            expected: expected, delivered: max(0, expected - lost), lost: lost, duplicates: duplicates,
            reordered: reordered, untraced: totals.untraced, received: totals.events, serverLastSeq: serverLastSeq,
            latency: Report.Latency(
                count: Int(latency.totalCount), p50: Int(latency.valueAtPercentile(50)),
                p90: Int(latency.valueAtPercentile(90)), p99: Int(latency.valueAtPercentile(99)),
                p999: Int(latency.valueAtPercentile(99.9)), max: Int(latency.max),
                mean: latency.totalCount > 0 ? latency.mean : 0
            ),
            failures: finalStatus.failures,
            timeline: timeline
        )
    }

    /// Opens a polling client's two connections and starts it; the future is its poll connection.
    private static func openPolling(
        endpoint: SocketIOEndpoint,
        loop: any EventLoop,
        tally: NIOLoopBound<LoadTally>,
        onConnected: @escaping @Sendable () -> Void,
        onClosed: @escaping @Sendable (String) -> Void
    ) async throws -> EventLoopFuture<any Channel> {
        let client = try await loop.submit {
            NIOLoopBound(
                LoadPollingClient(host: endpoint.host, port: endpoint.port, path: endpoint.path,
                                  namespace: endpoint.namespace, tally: tally.value, onConnected: onConnected,
                                  onClosed: onClosed),
                eventLoop: loop
            )
        }.get()
        func connect(isPoll: Bool) -> EventLoopFuture<any Channel> {
            ClientBootstrap(group: loop)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connectTimeout(.seconds(10))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            LoadPollingResponseHandler(client: client.value, isPoll: isPoll)
                        )
                    }
                }
                .connect(host: endpoint.host, port: endpoint.port)
        }
        let poll = connect(isPoll: true)
        let post = connect(isPoll: false)
        poll.and(post).whenComplete { result in
            switch result {
            case .success(let (pollChannel, postChannel)):
                client.value.start(poll: pollChannel, post: postChannel)
            case .failure(let error):
                client.value.close(reason: "\(error)")
            }
        }
        return poll
    }

    private struct Status {
        var connected = 0
        var closed = 0
        /// Clients connected now: joined and not closed since.
        var open = 0
        /// Set before the run closes its clients, so that those closes are not counted as failures.
        var stopping = false
        var failures: [String] = []
    }

    /// One client: its loop, its tally, its channel once connected.
    private final class Client: @unchecked Sendable {
        let loop: any EventLoop
        let tally: NIOLoopBound<LoadTally>
        /// Set once, before anyone reads it.
        var channel: EventLoopFuture<any Channel>?

        init(loop: any EventLoop, tally: NIOLoopBound<LoadTally>) {
            self.loop = loop
            self.tally = tally
        }
    }

    private struct Totals {
        var events = 0
        var bytes = 0
        var untraced = 0
        var latency = LoadTally.Loop.histogram()
        /// The latency recorded since the last time the interval was taken.
        var interval = LoadTally.Loop.histogram()
    }

    /// The loops' figures, read on each loop.
    /// - Parameter takingInterval: takes each loop's interval histogram in the same hop, leaving it empty; otherwise
    ///   `interval` stays empty and the loops' intervals go on.
    private static func totals(_ loops: [NIOLoopBound<LoadTally.Loop>], takingInterval: Bool = false) async throws
        -> Totals
    {
        var totals = Totals()
        for shared in loops {
            let (events, bytes, untraced, latency, interval) = try await shared.eventLoop.submit {
                let loop = shared.value
                var interval: Histogram<UInt64>?
                if takingInterval {
                    interval = loop.interval
                    loop.interval.reset()
                }
                return (loop.events, loop.bytes, loop.untraced, loop.latency, interval)
            }.get()
            totals.events += events
            totals.bytes += bytes
            totals.untraced += untraced
            totals.latency.add(latency)
            if let interval {
                totals.interval.add(interval)
            }
        }
        return totals
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}
