import ArgumentParser
import Redis
import TablecastServer

/// The Redis options of the serving commands (`serve`, `replay`).
struct RedisOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Run as a node of a tablecast cluster on this Redis: the owner, or with --follow a follower.",
        discussion: """
            Every node delivers what it reads from the Redis stream (@socket.io/redis-streams-adapter's format, \
            stream --stream-name) to its own clients, in stream order, and journals it. The owner runs the \
            simulation or the replay and takes REST writes, manual emits and faults, and publishes every event to \
            the stream, in @socket.io/redis-streams-adapter's format.
            """,
        valueName: "redis://host:port"
    ))
    var redis: String?

    @Flag(help: "With --redis: follow the cluster's owner (no simulation of its own, writes refused with 409).")
    var follow = false

    @Option(help: "With --redis: the stream (the Streams adapter's default).")
    var streamName = "socket.io"

    @Option(help: "With --redis: XADD ... MAXLEN ~ N, about how many entries the stream keeps.")
    var redisMaxlen = 10_000

    @Option(help: "With --redis: events that may wait for Redis before the owner refuses new ones (503, runners wait).")
    var redisBacklog = 100_000

    @Option(help: ArgumentHelp(
        "Also publish every event into a Socket.IO cluster's Redis, as @socket.io/redis-emitter does.",
        discussion: """
            The cluster's Node servers (classic @socket.io/redis-adapter) deliver the events to their own clients: \
            PUBLISH socket.io#/events# with the emitter's msgpack message. While Redis is unreachable events wait \
            in order (up to --redis-emit-backlog) and are published once it is back.
            """,
        valueName: "redis://host:port"
    ))
    var redisEmit: String?

    @Option(help: "The Redis adapter's key (channel prefix) in the cluster.")
    var redisKey = "socket.io"

    @Option(help: "Events that may wait for Redis before new ones are dropped (and counted in /metrics).")
    var redisEmitBacklog = 100_000

    func validate() throws {
        if let url = self.redis {
            do {
                _ = try RedisEndpoint(url: url)
            } catch {
                throw ValidationError("--redis: \(error)")
            }
        } else if self.follow {
            throw ValidationError("--follow needs --redis redis://HOST:PORT (the cluster's Redis)")
        }
        if self.follow, self.redisEmit != nil {
            throw ValidationError("--redis-emit publishes what a node emits, and a follower emits nothing: use it on the owner")
        }
        guard !self.streamName.isEmpty, !self.streamName.contains(where: \.isWhitespace) else {
            throw ValidationError("--stream-name must be a non-empty name without spaces, got '\(self.streamName)'")
        }
        guard self.redisMaxlen >= 1 else {
            throw ValidationError("--redis-maxlen must be at least 1, got \(self.redisMaxlen)")
        }
        guard self.redisBacklog >= 1 else {
            throw ValidationError("--redis-backlog must be at least 1, got \(self.redisBacklog)")
        }
        if let url = self.redisEmit {
            do {
                _ = try RedisEndpoint(url: url)
            } catch {
                throw ValidationError("--redis-emit: \(error)")
            }
        }
        guard !self.redisKey.isEmpty, !self.redisKey.contains(where: { "*?[\\#".contains($0) }) else {
            throw ValidationError("--redis-key must be a non-empty prefix without *, ?, [, \\ or #, got '\(self.redisKey)'")
        }
        guard self.redisEmitBacklog >= 1 else {
            throw ValidationError("--redis-emit-backlog must be at least 1, got \(self.redisEmitBacklog)")
        }
    }

    /// Sets the Redis options of a serving configuration.
    func apply(to configuration: inout ServeApplication.Configuration) throws {
        if let url = self.redis {
            configuration.cluster = RedisClusterConfiguration(endpoint: try RedisEndpoint(url: url),
                                                              stream: self.streamName, maxLen: self.redisMaxlen,
                                                              maxBacklog: self.redisBacklog, follow: self.follow)
        }
        if let url = self.redisEmit {
            configuration.redisEmit = RedisEmitConfiguration(endpoint: try RedisEndpoint(url: url), key: self.redisKey,
                                                             maxBacklog: self.redisEmitBacklog)
        }
    }
}
