import Hummingbird
import Journal
import Logging
import NIOCore
import NIOPosix
import Redis
import Restaurant
import Foundation
import ServiceLifecycle
import SocketIORedis
import Synchronization
import Simulator
import SocketIOProtocol
import SocketIOServer

/// The version written into each journal run.
public let tablecastVersion = "0.1.0"

/// Everything `tablecast serve` runs: the `/events` Socket.IO server, the journal, the event hub and the HTTP API.
public struct ServeApplication: Sendable {
    public struct Configuration: Sendable {
        public var listen: ListenConfiguration
        /// The journal file; created if missing, a new run appended otherwise.
        public var journalPath: String
        public var engine: EngineIOConfiguration
        public var connectTimeout: TimeAmount
        /// The tables, menu and staff the restaurant starts with.
        public var restaurant: RestaurantDefinition
        /// The traffic to simulate; `nil` for an idle server (events come from REST and the emit endpoint only).
        public var simulation: Scenario?
        /// A journal run to replay instead of simulating.
        public var replay: (source: ReplaySource, options: ReplayRunner.Options)? = nil
        /// The bearer token every control route but health needs; `nil` for none.
        public var controlToken: String? = nil
        /// Whether clients get an event at once or once the journal has committed it.
        public var durability: Durability = .async
        /// The journal's uncommitted bytes past which sources are held back.
        public var maxJournalBacklogBytes = EmissionPipeline.defaultMaxBacklogBytes
        /// A classic-adapter Socket.IO cluster every event is also published into (`--redis-emit`).
        public var redisEmit: RedisEmitConfiguration? = nil
        /// A tablecast cluster on a Redis stream (`--redis`, `--follow`).
        public var cluster: RedisClusterConfiguration? = nil

        public init(listen: ListenConfiguration = ListenConfiguration(), journalPath: String = "tablecast.sqlite",
                    engine: EngineIOConfiguration = EngineIOConfiguration(),
                    connectTimeout: TimeAmount = .seconds(45), restaurant: RestaurantDefinition = .default,
                    simulation: Scenario? = nil) {
            self.listen = listen
            self.journalPath = journalPath
            self.engine = engine
            self.connectTimeout = connectTimeout
            self.restaurant = restaurant
            self.simulation = simulation
        }

        /// The configuration `tablecast serve` builds from its options.
        /// - Parameters:
        ///   - scenario: a shipped scenario's name or a scenario file; `nil` for an idle server.
        ///   - restaurantPath: a restaurant definition replacing the scenario's (or the built-in) restaurant.
        ///   - rate: a target event rate replacing the scenario's pacing.
        ///   - timeScale: a time scale replacing the scenario's pacing.
        public init(listen: ListenConfiguration, journalPath: String, pingInterval: Int, pingTimeout: Int,
                    maxPayload: Int, restaurantPath: String?, scenario: String?, rate: Double?,
                    timeScale: Double?) throws(ConfigurationError) {
            var simulation = try scenario.map { (name) throws(ConfigurationError) in
                try ScenarioLibrary.resolve(name)
            }
            let restaurant = try restaurantPath.map { (path) throws(ConfigurationError) in
                try RestaurantDefinitionFile.load(path: path)
            } ?? simulation?.restaurant ?? .default
            simulation?.restaurant = restaurant
            if let rate {
                simulation?.pacing = .rate(.constant(rate))
            } else if let timeScale {
                simulation?.pacing = .timeScale(timeScale)
            }
            self.init(
                listen: listen,
                journalPath: journalPath,
                engine: EngineIOConfiguration(pingInterval: pingInterval, pingTimeout: pingTimeout,
                                              maxPayload: maxPayload),
                restaurant: restaurant,
                simulation: simulation
            )
        }
    }

    /// Where every event is numbered, journaled and delivered.
    public let pipeline: EmissionPipeline
    /// The simulated traffic, when the server runs a scenario.
    public let simulation: SimulationRunner?
    /// The replay, when the server replays a journal.
    public let replay: ReplayRunner?
    public let socketIO: SocketIOServer
    /// The publisher into a classic-adapter cluster, with `--redis-emit`.
    public let redisEmitter: RedisPublisher?
    /// A cluster owner's publisher into the stream, with `--redis`.
    public let streamPublisher: RedisPublisher?
    /// A cluster node's reader of the stream, with `--redis`.
    public let streamReader: StreamReader?
    /// Every connection open now.
    public let connections: ConnectionRegistry
    /// The services in start order; graceful shutdown runs in reverse: sessions close, HTTP drains, journal commits.
    public let services: [any Service]
    let logger: Logger
    let listen: ListenConfiguration

    /// Opens the journal and assembles the server.
    /// - Throws: ``JournalError`` when the journal cannot be opened (not a journal, newer schema, SQLite failure).
    public init(configuration: Configuration, logger: Logger) throws(JournalError) {
        let replayOf = configuration.replay.map { replay in
            RunMetadata.Replay(path: replay.source.path, run: replay.source.run.id, fromSeq: replay.source.fromSeq,
                               toSeq: replay.source.toSeq, speed: replay.options.speed.description,
                               only: replay.options.filter.only, except: replay.options.filter.except,
                               loop: replay.options.loop)
        }
        let journal = try JournalWriter(
            path: configuration.journalPath,
            run: RunDescriptor(
                source: replayOf == nil ? "serve" : "replay",
                scenario: configuration.cluster?.follow == true ? nil : configuration.simulation?.name,
                seed: configuration.cluster?.follow == true ? nil : configuration.simulation.map { Int64(bitPattern: $0.seed) },
                tablecastVersion: tablecastVersion,
                metaJSON: RunMetadata(restaurant: configuration.restaurant, replayOf: replayOf).json,
                startedAtMillis: EmissionClock.wallMillis()
            )
        )
        let broadcaster = Broadcaster(group: MultiThreadedEventLoopGroup.singleton)
        let connections = ConnectionRegistry(limit: configuration.listen.limits.maxConnections, logger: logger)
        let socketIO = SocketIOServer(
            path: "/socket.io/",
            configuration: configuration.engine,
            connectTimeout: configuration.connectTimeout,
            namespaces: [
                SocketIONamespace("/"),
                SocketIONamespace("/events", receivesBroadcasts: true),
            ],
            broadcaster: broadcaster,
            logger: logger
        )
        let engine = socketIO.engine
        let redisEmitter = configuration.redisEmit.map { emit in
            RedisPublisher(endpoint: emit.endpoint,
                           format: .emitter(channel: ClassicAdapter.channel(key: emit.key, namespace: "/events")),
                           namespace: "/events", maxBacklog: emit.maxBacklog, logger: logger)
        }
        // A cluster node delivers what it reads from the stream; an owner also publishes what it numbers into it.
        let cluster = configuration.cluster
        let local = LocalDelivery(broadcaster: broadcaster, engine: socketIO.engine, fromStreamOnly: cluster != nil)
        let readerReady = ReadyLatch()
        let clusterUID = cluster.map { $0.follow ? nil : RedisClusterConfiguration.randomUID() } ?? nil
        let streamPublisher = cluster.flatMap { cluster -> RedisPublisher? in
            guard let uid = clusterUID else { return nil }
            return RedisPublisher(endpoint: cluster.endpoint,
                                  format: .stream(name: cluster.stream, maxLen: cluster.maxLen, uid: uid),
                                  namespace: "/events", maxBacklog: cluster.maxBacklog,
                                  ready: { readerReady.isSet }, logger: logger)
        }
        let tap = DashboardTap()
        let outputs: [any EmissionOutput] = [local] + (streamPublisher.map { [$0] } ?? [])
            + (redisEmitter.map { [$0] } ?? []) + [tap]
        let pipeline = EmissionPipeline(
            namespace: "/events",
            state: RestaurantState(definition: configuration.restaurant),
            journal: journal,
            outputs: outputs,
            durability: configuration.durability,
            maxBacklogBytes: configuration.maxJournalBacklogBytes,
            timers: MultiThreadedEventLoopGroup.singleton.any()
        )
        let streamReader = cluster.map { cluster in
            StreamReader(endpoint: cluster.endpoint, stream: cluster.stream, namespace: "/events", ownUID: clusterUID,
                         pipeline: pipeline, local: local, logger: logger)
        }
        if let streamReader {
            readerReady.source = streamReader
            streamReader.start()
        }
        let router = Router(context: TablecastRequestContext.self)
        // NestJS's `cors: { origin: true }` for the REST API and Socket.IO; the control API for its own origin only.
        router.add(middleware: ControlAccessMiddleware(token: configuration.controlToken))
        if configuration.controlToken == nil, !Self.isLoopback(configuration.listen.host) {
            logger.warning(
                """
                SERVING THE CONTROL API TO THE NETWORK WITHOUT A TOKEN: anyone who can reach \
                \(configuration.listen.host):\(configuration.listen.port) can emit events, inject faults and drive \
                replays. Set --control-token (or TABLECAST_CONTROL_TOKEN), or listen on 127.0.0.1.
                """
            )
        }
        router.add(middleware: EngineIOMiddleware(servers: [socketIO.engine]))
        if let streamReader, cluster?.follow == true {
            router.add(middleware: FollowerWriteGuard(reader: streamReader))
        }
        router.add(middleware: CommitBeforeAnswerMiddleware(pipeline: pipeline))
        let control = ControlAPI(pipeline: pipeline, engine: socketIO.engine, redisEmitter: redisEmitter,
                                 streamPublisher: streamPublisher, streamReader: streamReader)
        control.register(on: router)
        FaultAPI(pipeline: pipeline, maxBody: ControlAPI.maxBody(maxPayload: configuration.engine.maxPayload)).register(on: router)
        RestaurantAPI(pipeline: pipeline).register(on: router)
        let simulation = (cluster?.follow == true ? nil : configuration.simulation).map { SimulationRunner(scenario: $0, pipeline: pipeline, logger: logger) }
        SimulationAPI(runner: simulation).register(on: router)
        let replay = configuration.replay.map { replay in
            ReplayRunner(source: replay.source, options: replay.options, pipeline: pipeline,
                         clients: { broadcaster.subscribers }, logger: logger)
        }
        ReplayAPI(runner: replay).register(on: router)
        ServerMetrics(pipeline: pipeline, engine: socketIO.engine, simulation: simulation, replay: replay,
                      connections: connections, redisEmitter: redisEmitter, streamPublisher: streamPublisher,
                      streamReader: streamReader, tap: tap).register(on: router)
        let mode = cluster?.follow == true ? "follower" : replay == nil ? "serve" : "replay"
        let dashboard = DashboardFeed(mode: mode, pipeline: pipeline, engine: socketIO.engine, tap: tap,
                                      simulation: simulation, replay: replay, connections: connections,
                                      journalPath: configuration.journalPath,
                                      health: { control.healthJSON().body })
        DashboardAPI(feed: dashboard, replay: replay).register(on: router)
        // Say what is simulated once the server listens (not before: a server that cannot bind simulates nothing).
        var listen = configuration.listen
        if let summary = simulation?.summary ?? replay?.summary {
            let announce = listen.onListening
            listen.onListening = { host, port in
                await announce(host, port)
                logger.info("\(summary)")
            }
        }
        if let streamPublisher {
            // Followers name the owner in their refusals: its URL goes next to the stream once it listens.
            let announce = listen.onListening
            let scheme = configuration.listen.tls == nil ? "http" : "https"
            listen.onListening = { host, port in
                await announce(host, port)
                streamPublisher.announce(ownerURL: "\(scheme)://\(host):\(port)")
            }
        }
        let app = HTTPApplication.make(router: router, engines: [socketIO.engine], connections: connections,
                                       listen: listen, logger: logger)
        self.pipeline = pipeline
        self.simulation = simulation
        self.replay = replay
        self.socketIO = socketIO
        self.connections = connections
        self.logger = logger
        self.listen = configuration.listen
        self.redisEmitter = redisEmitter
        self.streamPublisher = streamPublisher
        self.streamReader = streamReader
        // Graceful shutdown runs in reverse: the sources stop, sessions close, HTTP drains, the stream reader stops,
        // the Redis publishers publish what is queued, the journal commits.
        let redisServices: [any Service] = (redisEmitter.map { [$0] } ?? []) + (streamPublisher.map { [$0] } ?? [])
            + (streamReader.map { [$0] } ?? [])
        self.services = [JournalService(journal: journal)] + redisServices + [
            app,
            EngineShutdownService(engines: [socketIO.engine]),
            // Shut down before the HTTP server drains: the dashboard's feeds end within one interval.
            dashboard,
        ] + (simulation.map { [$0] } ?? []) + (replay.map { [$0] } ?? [])
    }

    /// Whether `host` is a loopback address, reachable from this machine only.
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil } && parts[0] == "127"
    }

    /// Runs until SIGINT or SIGTERM, then shuts down gracefully.
    public func run() async throws {
        try await HTTPApplication.runUntilSignalled(self.services, listen: self.listen, logger: self.logger)
    }
}

/// `--redis-emit`: where and how events are published into a classic-adapter cluster.
public struct RedisEmitConfiguration: Sendable {
    public var endpoint: RedisEndpoint
    /// The adapter's `key` (channel prefix): `socket.io` unless the cluster changed it.
    public var key: String
    /// Events that may wait for Redis before new ones are dropped (and counted).
    public var maxBacklog: Int

    public init(endpoint: RedisEndpoint, key: String = "socket.io", maxBacklog: Int = 100_000) {
        self.endpoint = endpoint
        self.key = key
        self.maxBacklog = maxBacklog
    }
}

/// `--redis` (and `--follow`): a node of a tablecast cluster on a Redis stream, in the Streams adapter's format.
public struct RedisClusterConfiguration: Sendable {
    public var endpoint: RedisEndpoint
    /// The stream: `socket.io`, the adapter's default, so a node joins an existing cluster with no option.
    public var stream: String
    /// `XADD … MAXLEN ~ N`: about how many entries the stream keeps.
    public var maxLen: Int
    /// Events that may wait for Redis before an owner refuses new ones.
    public var maxBacklog: Int
    /// A follower runs no simulation and takes no writes; it delivers and journals what the stream carries.
    public var follow: Bool

    public init(endpoint: RedisEndpoint, stream: String = "socket.io", maxLen: Int = 10_000,
                maxBacklog: Int = 100_000, follow: Bool = false)
    {
        self.endpoint = endpoint
        self.stream = stream
        self.maxLen = maxLen
        self.maxBacklog = maxBacklog
        self.follow = follow
    }

    /// 16 lowercase hex characters, as the Streams adapter's uids.
    static func randomUID() -> String {
        (0..<8).map { _ in
            let byte = UInt8.random(in: 0...255)
            return String(byte >> 4, radix: 16) + String(byte & 0x0f, radix: 16)
        }.joined()
    }
}

/// Tells the owner's publisher that its reader knows where the stream stood.
final class ReadyLatch: Sendable {
    private let reader = Mutex<StreamReader?>(nil)

    var source: StreamReader? {
        get { self.reader.withLock { $0 } }
        set { self.reader.withLock { $0 = newValue } }
    }

    var isSet: Bool { self.source?.isReady ?? false }
}
