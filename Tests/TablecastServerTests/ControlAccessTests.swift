import Testing

@testable import TablecastServer

/// The pieces of the control API's access rules that the interop tests cannot reach from 127.0.0.1.
struct ControlAccessTests {
    @Test(arguments: ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"])
    func loopbackAddressesNeedNoWarning(host: String) {
        #expect(ServeApplication.isLoopback(host))
    }

    @Test(arguments: ["0.0.0.0", "::", "192.168.1.20", "10.0.0.5", "tablecast.internal", "128.0.0.1", "127.example.com"])
    func everyOtherAddressIsReachableFromTheNetwork(host: String) {
        #expect(!ServeApplication.isLoopback(host))
    }

    @Test func theBearerTokenMustMatchExactly() {
        typealias Access = ControlAccessMiddleware<TablecastRequestContext>
        #expect(Access.bearerMatches("Bearer s3cret", token: "s3cret"))
        #expect(Access.bearerMatches("bearer s3cret", token: "s3cret"))
        #expect(!Access.bearerMatches("Bearer s3cre", token: "s3cret"))
        #expect(!Access.bearerMatches("Bearer s3crett", token: "s3cret"))
        #expect(!Access.bearerMatches("Bearer S3cret", token: "s3cret"))
        #expect(!Access.bearerMatches("Basic s3cret", token: "s3cret"))
        #expect(!Access.bearerMatches("Bearer", token: "s3cret"))
        #expect(!Access.bearerMatches("", token: "s3cret"))
    }
}
