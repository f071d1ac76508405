import Hummingbird
import Journal
import Logging
import NIOCore
import NIOPosix
import Restaurant
import Foundation
import ServiceLifecycle
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

        public init(listen: ListenConfiguration = ListenConfiguration(), journalPath: String = "tablecast.sqlite",
                    engine: EngineIOConfiguration = EngineIOConfiguration(),
                    connectTimeout: TimeAmount = .seconds(45), restaurant: RestaurantDefinition = .default) {
            self.listen = listen
            self.journalPath = journalPath
            self.engine = engine
            self.connectTimeout = connectTimeout
            self.restaurant = restaurant
        }

        /// A configuration with the Engine.IO heartbeat and payload limits given in milliseconds and bytes.
        public init(listen: ListenConfiguration, journalPath: String, pingInterval: Int, pingTimeout: Int,
                    maxPayload: Int, restaurantPath: String?) throws(ConfigurationError) {
            self.init(
                listen: listen,
                journalPath: journalPath,
                engine: EngineIOConfiguration(pingInterval: pingInterval, pingTimeout: pingTimeout,
                                              maxPayload: maxPayload),
                restaurant: try restaurantPath.map { (path) throws(ConfigurationError) in
                    try RestaurantDefinitionFile.load(path: path)
                } ?? .default
            )
        }
    }

    public let hub: EventHub
    public let store: RestaurantStore
    public let socketIO: SocketIOServer
    /// The services in start order; graceful shutdown runs in reverse: sessions close, HTTP drains, journal commits.
    public let services: [any Service]
    let logger: Logger
    let listen: ListenConfiguration

    /// Opens the journal and assembles the server.
    /// - Throws: ``JournalError`` when the journal cannot be opened (not a journal, newer schema, SQLite failure).
    public init(configuration: Configuration, logger: Logger) throws(JournalError) {
        let journal = try JournalWriter(
            path: configuration.journalPath,
            run: RunDescriptor(
                source: "serve",
                tablecastVersion: tablecastVersion,
                metaJSON: RunMetadata(restaurant: configuration.restaurant).json,
                startedAtMillis: EventHub.wallClockMillis()
            )
        )
        let broadcaster = Broadcaster(group: MultiThreadedEventLoopGroup.singleton)
        let hub = EventHub(namespace: "/events", broadcaster: broadcaster, journal: journal)
        let store = RestaurantStore(state: RestaurantState(definition: configuration.restaurant), hub: hub)
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
        let router = Router(context: TablecastRequestContext.self)
        // NestJS's `cors: { origin: true }`: the request's origin is reflected, for every method the API uses.
        router.add(
            middleware: CORSMiddleware(
                allowOrigin: .originBased,
                allowHeaders: [.accept, .authorization, .contentType, .origin],
                allowMethods: [.get, .post, .patch, .delete, .head, .options],
                allowCredentials: true
            )
        )
        router.add(middleware: EngineIOMiddleware(servers: [socketIO.engine]))
        ControlAPI(hub: hub, engine: socketIO.engine).register(on: router)
        RestaurantAPI(store: store).register(on: router)
        let app = HTTPApplication.make(router: router, engines: [socketIO.engine], listen: configuration.listen,
                                       logger: logger)
        self.hub = hub
        self.store = store
        self.socketIO = socketIO
        self.logger = logger
        self.listen = configuration.listen
        self.services = [
            JournalService(journal: journal),
            app,
            EngineShutdownService(engines: [socketIO.engine]),
        ]
    }

    /// Runs until SIGINT or SIGTERM, then shuts down gracefully.
    public func run() async throws {
        try await HTTPApplication.runUntilSignalled(self.services, listen: self.listen, logger: self.logger)
    }
}
