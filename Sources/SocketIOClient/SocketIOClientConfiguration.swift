import NIOCore

/// What a ``SocketIOClient`` connects to, and how it behaves when the connection fails or drops.
public struct SocketIOClientConfiguration: Sendable {
    /// The server and namespace, e.g. `http://127.0.0.1:4000/events`: the path is the Socket.IO namespace (`/` when
    /// empty). Plain `http://` only.
    public var url: String
    /// The Engine.IO endpoint on the server, `/socket.io/` as every Socket.IO server has it.
    public var path: String
    /// Which transports to use.
    public var transport: Transport
    /// The CONNECT packet's payload (the `auth` object of socket.io-client), as JSON bytes; `nil` sends none.
    public var auth: [UInt8]?
    /// What to do when a connection fails or drops.
    public var reconnect: Reconnect
    /// How long one attempt may take, from the TCP connect to the namespace's CONNECT answer.
    public var connectTimeout: TimeAmount
    /// The largest WebSocket frame accepted from the server.
    public var maxFrameSize: Int

    public init(
        url: String,
        path: String = "/socket.io/",
        transport: Transport = .pollingWithUpgrade,
        auth: [UInt8]? = nil,
        reconnect: Reconnect = Reconnect(),
        connectTimeout: TimeAmount = .seconds(20),
        maxFrameSize: Int = 1 << 24
    ) {
        self.url = url
        self.path = path
        self.transport = transport
        self.auth = auth
        self.reconnect = reconnect
        self.connectTimeout = connectTimeout
        self.maxFrameSize = maxFrameSize
    }

    /// The transports a client uses, as engine.io-client's `transports` option chooses them.
    public enum Transport: Sendable, Equatable {
        /// The handshake over long-polling, then a probe and an upgrade to WebSocket: engine.io-client's default.
        case pollingWithUpgrade
        /// A WebSocket from the start (`transport=websocket` in the handshake).
        case websocket
        /// Long-polling only, never upgraded.
        case polling
    }

    /// The reconnection policy: socket.io-client's exponential backoff with jitter.
    ///
    /// The delay before attempt `n` (counted from 0 after the last successful connection) is
    /// `min(initialDelay × multiplier^n, maximumDelay)`, then moved at random by up to `jitter` of itself either way.
    public struct Reconnect: Sendable, Equatable {
        /// Whether the client reconnects at all.
        public var isEnabled: Bool
        public var initialDelay: TimeAmount
        public var multiplier: Double
        public var maximumDelay: TimeAmount
        /// The randomization factor, between 0 and 1: 0.5 means ±50%.
        public var jitter: Double
        /// How many consecutive attempts after a failure or a drop before giving up; `nil` never gives up.
        public var maximumAttempts: Int?
        /// Whether a namespace the server refused (CONNECT_ERROR) is tried again. socket.io-client does not: a
        /// refusal is an answer, not an outage, so by default the client gives up and reports it.
        public var retriesRefusedNamespace: Bool

        public init(
            isEnabled: Bool = true,
            initialDelay: TimeAmount = .milliseconds(500),
            multiplier: Double = 2,
            maximumDelay: TimeAmount = .seconds(5),
            jitter: Double = 0.5,
            maximumAttempts: Int? = nil,
            retriesRefusedNamespace: Bool = false
        ) {
            self.isEnabled = isEnabled
            self.initialDelay = initialDelay
            self.multiplier = multiplier
            self.maximumDelay = maximumDelay
            self.jitter = jitter
            self.maximumAttempts = maximumAttempts
            self.retriesRefusedNamespace = retriesRefusedNamespace
        }

        /// No reconnection: the first failure or drop ends the client.
        public static let disabled = Reconnect(isEnabled: false)
    }
}

/// The parts of a configured URL the client needs.
struct SocketIOEndpoint: Sendable, Equatable {
    var host: String
    var port: Int
    /// The Socket.IO namespace, from the URL's path.
    var namespace: String
    /// The Engine.IO path, with a trailing slash.
    var path: String
    /// The `Host` header value.
    var hostHeader: String

    /// Parses `http://host[:port][/namespace]`; the query and fragment, if any, are ignored.
    /// - Throws: ``SocketIOClientError`` when the URL is not a plain `http://` URL.
    init(url: String, path: String) throws(SocketIOClientError) {
        guard url.hasPrefix("http://") else {
            throw .invalidURL(url, "only http:// URLs are supported")
        }
        var rest = Substring(url.dropFirst("http://".count))
        if let end = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            rest = rest[..<end]
        }
        let authority: Substring
        let namespacePath: Substring
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            namespacePath = rest[slash...]
        } else {
            authority = rest
            namespacePath = "/"
        }
        var host = authority
        var port = 80
        if authority.hasPrefix("[") {
            // An IPv6 literal: [::1]:4000
            guard let close = authority.firstIndex(of: "]") else { throw .invalidURL(url, "unterminated IPv6 address") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                guard let parsed = Int(after.dropFirst()) else { throw .invalidURL(url, "invalid port") }
                port = parsed
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard let parsed = Int(authority[authority.index(after: colon)...]) else {
                throw .invalidURL(url, "invalid port")
            }
            port = parsed
        }
        guard !host.isEmpty, (1...65535).contains(port) else { throw .invalidURL(url, "missing host or invalid port") }
        var namespace = String(namespacePath)
        while namespace.count > 1, namespace.hasSuffix("/") {
            namespace.removeLast()
        }
        self.host = String(host)
        self.port = port
        self.namespace = namespace
        var enginePath = path.hasPrefix("/") ? path : "/" + path
        if !enginePath.hasSuffix("/") {
            enginePath += "/"
        }
        self.path = enginePath
        self.hostHeader = port == 80 ? String(authority.split(separator: ":").first ?? host) : String(authority)
    }

    /// The request URI of an Engine.IO request.
    func uri(transport: TransportKind, sid: String?) -> String {
        var uri = "\(self.path)?EIO=4&transport=\(transport.rawValue)"
        if let sid {
            uri += "&sid=\(sid)"
        }
        return uri
    }

    /// `host:port/path`, for messages.
    var description: String { "http://\(self.hostHeader)\(self.path)" }
}
