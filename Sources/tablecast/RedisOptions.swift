import ArgumentParser
import Redis
import TablecastServer

/// The Redis options of the serving commands (`serve`, `replay`).
struct RedisOptions: ParsableArguments {
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
        if let url = self.redisEmit {
            configuration.redisEmit = RedisEmitConfiguration(endpoint: try RedisEndpoint(url: url), key: self.redisKey,
                                                             maxBacklog: self.redisEmitBacklog)
        }
    }
}
