import CHiredis
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One blocking connection to Redis, through hiredis's synchronous API (`libhiredis`, via the `CHiredis` module map).
///
/// A connection belongs to one thread (a ``RedisConnection`` is not `Sendable`): commands block that thread until
/// their replies arrive, which is what the dedicated threads of the Redis transports want (a blocking `XREAD` or a
/// subscription reads for as long as the server sends). Another thread stops a blocked read with ``interrupt()``
/// through the ``Interrupter``: it shuts the socket down, and the blocked call throws ``RedisError/interrupted``.
///
/// After any ``RedisError`` but `.reply` and `.unexpected` the connection is unusable (hiredis's rule): the owner
/// drops it and connects again.
public final class RedisConnection {
    /// Stops a connection's blocked read from another thread.
    public final class Interrupter: Sendable {
        private let state = Mutex<(fd: Int32?, interrupted: Bool)>((nil, false))

        public init() {}

        /// Shuts the socket down (the blocked read returns) and makes every later call throw
        /// ``RedisError/interrupted``.
        public func interrupt() {
            self.state.withLock { state in
                state.interrupted = true
                if let fd = state.fd {
                    _ = shutdown(fd, Int32(SHUT_RDWR))
                }
            }
        }

        public var isInterrupted: Bool { self.state.withLock { $0.interrupted } }

        /// Registers the socket; `false` when an interruption came first.
        fileprivate func attach(_ fd: Int32) -> Bool {
            self.state.withLock { state in
                guard !state.interrupted else { return false }
                state.fd = fd
                return true
            }
        }

        /// Forgets the socket before it is closed, so that a late `interrupt` never shuts a reused descriptor.
        fileprivate func detach() {
            self.state.withLock { $0.fd = nil }
        }
    }

    private let context: UnsafeMutablePointer<redisContext>
    public let endpoint: RedisEndpoint
    private let interrupter: Interrupter

    /// Connects, authenticates, selects the database and names the connection (`CLIENT SETNAME`).
    ///
    /// - Parameters:
    ///   - endpoint: The server.
    ///   - timeout: For the TCP connect and for every later read and write, until ``setTimeout(_:)`` changes it.
    ///   - name: The connection's name in `CLIENT LIST` (letters, digits, `-`, `_`, `.`).
    ///   - interrupter: Shared with whoever may stop this connection.
    public init(endpoint: RedisEndpoint, timeout: Duration, name: String? = nil,
                interrupter: Interrupter = Interrupter()) throws(RedisError)
    {
        self.endpoint = endpoint
        self.interrupter = interrupter
        if interrupter.isInterrupted {
            throw .interrupted
        }
        guard let context = redisConnectWithTimeout(endpoint.host, Int32(endpoint.port), Self.timeValue(timeout)) else {
            throw .connect(endpoint: endpoint.description, reason: "out of memory")
        }
        if context.pointee.err != 0 {
            let reason = Self.errorText(context)
            redisFree(context)
            throw .connect(endpoint: endpoint.description, reason: reason)
        }
        self.context = context
        guard interrupter.attach(context.pointee.fd) else {
            interrupter.detach()
            redisFree(context)
            throw .interrupted
        }
        // Notices a peer that vanished without a FIN (a host gone, a cable pulled) on an idle subscription.
        _ = redisEnableKeepAlive(context)
        // Throwing from here on releases `self`, and `deinit` frees the context.
        if let password = endpoint.password {
            let auth = endpoint.user.map { ["AUTH", $0, password] } ?? ["AUTH", password]
            try self.expectStatus(auth, command: "AUTH")
        }
        if endpoint.database != 0 {
            try self.expectStatus(["SELECT", String(endpoint.database)], command: "SELECT")
        }
        if let name {
            try self.expectStatus(["CLIENT", "SETNAME", name], command: "CLIENT SETNAME")
        }
    }

    deinit {
        self.interrupter.detach()
        redisFree(self.context)
    }

    /// Stops a blocked call; any thread may call it.
    public func interrupt() {
        self.interrupter.interrupt()
    }

    /// The read and write timeout; `nil` blocks for as long as it takes (a subscription).
    public func setTimeout(_ timeout: Duration?) throws(RedisError) {
        let value = timeout.map(Self.timeValue) ?? timeval(tv_sec: 0, tv_usec: 0)
        if redisSetTimeout(self.context, value) != REDIS_OK {
            throw self.connectionError()
        }
    }

    /// Sends one command and waits for its reply. An error reply is returned as ``RedisValue/error(_:)``.
    public func command(_ arguments: [String]) throws(RedisError) -> RedisValue {
        try self.command(bytes: arguments.map { Array($0.utf8) })
    }

    /// Sends one command of binary-safe arguments and waits for its reply.
    public func command(bytes arguments: [[UInt8]]) throws(RedisError) -> RedisValue {
        try self.append(arguments)
        return try self.readReply()
    }

    /// Sends several commands in one write and reads their replies, in order (pipelining).
    public func pipeline(_ commands: [[[UInt8]]]) throws(RedisError) -> [RedisValue] {
        for arguments in commands {
            try self.append(arguments)
        }
        var replies: [RedisValue] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            replies.append(try self.readReply())
        }
        return replies
    }

    /// Queues a command in hiredis's output buffer; the next ``readReply()`` writes it.
    public func append(_ arguments: [[UInt8]]) throws(RedisError) {
        // One buffer for every argument, and pointers into it: hiredis takes `const char **` and lengths.
        let total = arguments.reduce(0) { $0 + $1.count }
        var joined: [UInt8] = []
        joined.reserveCapacity(max(total, 1))
        var lengths: [Int] = []
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            joined.append(contentsOf: argument)
            lengths.append(argument.count)
        }
        if joined.isEmpty {
            joined.append(0)
        }
        let status = joined.withUnsafeBufferPointer { bytes in
            let base = UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self)
            var pointers: [UnsafePointer<CChar>?] = []
            pointers.reserveCapacity(arguments.count)
            var offset = 0
            for length in lengths {
                pointers.append(base + offset)
                offset += length
            }
            return lengths.withUnsafeBufferPointer { lengthBuffer in
                pointers.withUnsafeMutableBufferPointer { pointerBuffer in
                    redisAppendCommandArgv(self.context, Int32(arguments.count), pointerBuffer.baseAddress,
                                           lengthBuffer.baseAddress)
                }
            }
        }
        if status != REDIS_OK {
            throw self.connectionError()
        }
    }

    /// Writes what is queued and blocks until the next reply is read (a subscription's next message).
    public func readReply() throws(RedisError) -> RedisValue {
        var raw: UnsafeMutableRawPointer?
        if redisGetReply(self.context, &raw) != REDIS_OK {
            throw self.connectionError()
        }
        guard let raw else {
            throw .protocolError("no reply")
        }
        defer { freeReplyObject(raw) }
        return Self.value(raw.assumingMemoryBound(to: redisReply.self))
    }

    // MARK: - Helpers

    private func expectStatus(_ arguments: [String], command: String) throws(RedisError) {
        switch try self.command(arguments) {
        case .status, .bulk, .integer: return
        case .error(let message): throw .reply(command: command, message: message)
        case let other: throw .unexpected(command: command, reply: "\(other)")
        }
    }

    private func connectionError() -> RedisError {
        if self.interrupter.isInterrupted {
            return .interrupted
        }
        let reason = Self.errorText(self.context)
        return self.context.pointee.err == REDIS_ERR_PROTOCOL ? .protocolError(reason) : .io(reason)
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            let bytes = raw.prefix { $0 != 0 }
            let text = String(decoding: bytes, as: UTF8.self)
            return text.isEmpty ? "error \(context.pointee.err)" : text
        }
    }

    private static func value(_ reply: UnsafeMutablePointer<redisReply>) -> RedisValue {
        let node = reply.pointee
        switch node.type {
        case REDIS_REPLY_STRING:
            return .bulk(Self.bytes(node.str, node.len))
        case REDIS_REPLY_STATUS:
            return .status(String(decoding: Self.bytes(node.str, node.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: Self.bytes(node.str, node.len), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(node.integer))
        case REDIS_REPLY_ARRAY:
            var elements: [RedisValue] = []
            elements.reserveCapacity(Int(node.elements))
            for index in 0..<Int(node.elements) {
                if let element = node.element[index] {
                    elements.append(Self.value(element))
                } else {
                    elements.append(.null)
                }
            }
            return .array(elements)
        default:
            return .null
        }
    }

    private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, _ count: Int) -> [UInt8] {
        guard let pointer, count > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    private static func timeValue(_ duration: Duration) -> timeval {
        let (seconds, attoseconds) = duration.components
        return timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}
