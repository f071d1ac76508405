import NIOCore

/// The settings a server announces in its `open` packet.
public struct EngineIOConfiguration: Sendable, Equatable {
    /// Milliseconds between two server pings.
    public var pingInterval: Int
    /// Milliseconds the client has to answer a ping.
    public var pingTimeout: Int
    /// The largest payload, in bytes, the server accepts in one request or frame.
    public var maxPayload: Int
    /// Milliseconds a WebSocket may take between the probe and the `upgrade` packet.
    public var upgradeTimeout: Int
    /// The most packets one long-polling response carries (not announced to clients). The protocol bounds a
    /// payload by bytes only, but python-engineio's client refuses more than 16 packets in one, so 16 it is.
    public var maxPacketsPerPoll: Int

    public init(pingInterval: Int = 25_000, pingTimeout: Int = 20_000, maxPayload: Int = 1_000_000,
                upgradeTimeout: Int = 10_000, maxPacketsPerPoll: Int = 16) {
        self.pingInterval = pingInterval
        self.pingTimeout = pingTimeout
        self.maxPayload = maxPayload
        self.upgradeTimeout = upgradeTimeout
        self.maxPacketsPerPoll = maxPacketsPerPoll
    }

    /// The `open` packet for a new session: exactly the keys of the reference server, in its order.
    public func openFrame(sid: String, upgrades: [String]) -> EngineIOFrame {
        let upgradeList = upgrades.map { "\"\($0)\"" }.joined(separator: ",")
        return .text(
            .open,
            "{\"sid\":\"\(sid)\",\"upgrades\":[\(upgradeList)],\"pingInterval\":\(self.pingInterval),"
                + "\"pingTimeout\":\(self.pingTimeout),\"maxPayload\":\(self.maxPayload)}"
        )
    }
}

/// The errors the reference Engine.IO server answers with, as HTTP 400 and a JSON body.
public struct EngineIOServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The protocol's error code.
    public let code: Int
    /// The protocol's message for the code.
    public let message: String

    private init(code: Int, message: String) {
        self.code = code
        self.message = message
    }

    public static let unknownTransport = EngineIOServerError(code: 0, message: "Transport unknown")
    public static let unknownSession = EngineIOServerError(code: 1, message: "Session ID unknown")
    public static let badHandshakeMethod = EngineIOServerError(code: 2, message: "Bad handshake method")
    public static let badRequest = EngineIOServerError(code: 3, message: "Bad request")
    public static let forbidden = EngineIOServerError(code: 4, message: "Forbidden")
    public static let unsupportedProtocolVersion = EngineIOServerError(code: 5, message: "Unsupported protocol version")

    /// The response body: `{"code":N,"message":"…"}`.
    public var jsonBody: String { "{\"code\":\(self.code),\"message\":\"\(self.message)\"}" }

    public var description: String { "Engine.IO error \(self.code): \(self.message)" }
}

/// A session identifier: 20 characters of base64url, as the reference server makes them.
public enum EngineIOSessionID {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// A new random identifier.
    public static func make<G: RandomNumberGenerator>(using generator: inout G) -> String {
        var bytes = [UInt8](repeating: 0, count: 20)
        for index in bytes.indices {
            bytes[index] = Self.alphabet[Int(generator.next(upperBound: UInt8(64)))]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A new identifier from the system's random source.
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return Self.make(using: &generator)
    }
}
