import Redis
import Testing

@Suite("Redis URLs")
struct RedisEndpointTests {
    @Test("the forms tools write", arguments: [
        ("redis://127.0.0.1:6379", RedisEndpoint(host: "127.0.0.1", port: 6379)),
        ("redis://localhost", RedisEndpoint(host: "localhost", port: 6379)),
        ("redis://:s3cret@10.0.0.5:6380/2", RedisEndpoint(host: "10.0.0.5", port: 6380, password: "s3cret", database: 2)),
        ("redis://app:p%40ss@cache:7000", RedisEndpoint(host: "cache", port: 7000, user: "app", password: "p@ss")),
        ("redis://[::1]:6390/", RedisEndpoint(host: "::1", port: 6390)),
    ])
    func parses(url: String, endpoint: RedisEndpoint) throws {
        #expect(try RedisEndpoint(url: url) == endpoint)
    }

    @Test("a bad URL names what is wrong", arguments: [
        ("http://127.0.0.1:6379", "must start with redis://"),
        ("redis://", "names no host"),
        ("redis://host:0", "port must be a number from 1 to 65535, not '0'"),
        ("redis://host:http", "not 'http'"),
        ("redis://host:6379/x", "database after the '/' must be a number"),
        ("redis://[::1", "no closing ']'"),
    ])
    func refuses(url: String, reason: String) {
        #expect {
            _ = try RedisEndpoint(url: url)
        } throws: { error in
            (error as? RedisEndpoint.ParseError)?.description.contains(reason) ?? false
        }
    }

    @Test("the description hides the password")
    func description() throws {
        #expect(try RedisEndpoint(url: "redis://:s3cret@h:1/3").description == "redis://:***@h:1/3")
    }
}
