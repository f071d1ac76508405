/// A RESP2 reply.
public enum RedisValue: Sendable, Equatable {
    /// `+OK`.
    case status(String)
    /// `-ERR …`: the command failed; the connection is still usable.
    case error(String)
    case integer(Int64)
    /// A bulk string, as bytes (stream fields, pub/sub payloads: msgpack is not UTF-8).
    case bulk([UInt8])
    /// The nil bulk or nil array: `XREAD` that timed out, `GET` of a missing key.
    case null
    case array([RedisValue])

    /// A bulk or status reply as text (lossy for bytes that are not UTF-8).
    public var text: String? {
        switch self {
        case .bulk(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let text): text
        default: nil
        }
    }

    public var bytes: [UInt8]? {
        switch self {
        case .bulk(let bytes): bytes
        case .status(let text): Array(text.utf8)
        default: nil
        }
    }

    public var elements: [RedisValue]? {
        if case .array(let elements) = self { elements } else { nil }
    }

    public var integer: Int64? {
        if case .integer(let value) = self { value } else { nil }
    }
}

/// What went wrong talking to Redis.
public enum RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No connection: refused, unreachable, timed out, or the name did not resolve.
    case connect(endpoint: String, reason: String)
    /// The connection broke (reset, closed by the server, `CLIENT KILL`, a read timeout): it is unusable.
    case io(String)
    /// The server answered bytes that are not RESP: the connection is unusable.
    case protocolError(String)
    /// The server refused the command (`-ERR …`, `-NOAUTH …`, `-WRONGTYPE …`).
    case reply(command: String, message: String)
    /// The reply had another shape than the command's.
    case unexpected(command: String, reply: String)
    /// ``RedisConnection/interrupt()`` was called: the owner is stopping.
    case interrupted

    public var description: String {
        switch self {
        case .connect(let endpoint, let reason): "cannot connect to Redis at \(endpoint): \(reason)"
        case .io(let reason): "the Redis connection broke: \(reason)"
        case .protocolError(let reason): "Redis answered something that is not RESP: \(reason)"
        case .reply(let command, let message): "Redis refused \(command): \(message)"
        case .unexpected(let command, let reply): "unexpected answer from Redis to \(command): \(reply)"
        case .interrupted: "the Redis connection was closed by its owner"
        }
    }

    /// Whether a new connection may succeed where this one failed (every error but a refused command).
    public var isConnectionLost: Bool {
        switch self {
        case .reply, .unexpected: false
        default: true
        }
    }
}
