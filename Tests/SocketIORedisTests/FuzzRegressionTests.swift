import FuzzReplay
@_spi(Fuzzing) import SocketIORedis
import Testing

/// Every input that once failed the `FuzzRedisAdapter` target, and every seed of its corpus, through the fuzzer's
/// check (`Scripts/fuzz.sh`), without sanitizers.
struct FuzzRegressionTests {
    @Test func fuzzRedisAdapter() throws {
        let failures = try FuzzReplay.failures("FuzzRedisAdapter", AdapterFuzzing.check)
        #expect(failures.isEmpty, "\(failures)")
    }
}
