/// Why a connection attempt or a session failed; its description is the reason the client reports.
public struct SocketIOClientError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: Sendable, Equatable {
        case invalidURL
        case connectionFailed
        case notSocketIO
        case handshakeFailed
        case namespaceRefused
        case timeout
        case transport
    }

    private let code: Code
    private let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { self.message }

    /// The configured URL cannot be used.
    static func invalidURL(_ url: String, _ why: String) -> Self {
        Self(.invalidURL, "invalid URL \(url): \(why)")
    }

    /// TCP could not connect (refused, unreachable, DNS).
    static func connectionFailed(_ endpoint: String, _ error: any Error) -> Self {
        let text = "\(error)"
        let prefix = text.mentionsConnectionRefused ? "connection refused" : "connection failed"
        return Self(.connectionFailed, "\(prefix) (\(endpoint)): \(text)")
    }

    /// The server answered, but not as an Engine.IO server does.
    static func notSocketIO(_ endpoint: String, _ detail: String) -> Self {
        Self(.notSocketIO, "\(endpoint) is not a Socket.IO server: \(detail)")
    }

    /// An Engine.IO server refused the handshake (HTTP 400 with its error JSON).
    static func handshakeFailed(_ endpoint: String, _ detail: String) -> Self {
        Self(.handshakeFailed, "Engine.IO handshake with \(endpoint) failed: \(detail)")
    }

    /// The namespace answered CONNECT_ERROR.
    static func namespaceRefused(_ namespace: String, _ message: String) -> Self {
        Self(.namespaceRefused, "namespace \(namespace) refused: \(message)")
    }

    /// The attempt took longer than the connect timeout.
    static func timeout(_ what: String) -> Self {
        Self(.timeout, "\(what) timed out")
    }

    /// A transport failed after the connection was established.
    static func transport(_ detail: String) -> Self {
        Self(.transport, detail)
    }

    /// Whether the failure is a refused namespace, which the policy may decline to retry.
    var isNamespaceRefusal: Bool { self.code == .namespaceRefused }
}

extension String {
    /// NIO's connect errors name `ECONNREFUSED` as "Connection refused" inside nested descriptions.
    fileprivate var mentionsConnectionRefused: Bool {
        self.lowercased().contains("connection refused") || self.contains("ECONNREFUSED")
    }
}
