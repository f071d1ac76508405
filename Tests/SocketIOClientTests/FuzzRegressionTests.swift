import FuzzReplay
@_spi(Fuzzing) import SocketIOClient
import Testing

/// Every input that once failed a fuzz target (`FuzzTesting/FailCases/TARGET/`), and every seed of its corpus
/// (`FuzzTesting/Corpus/TARGET/`), through the same check as the fuzzer (`Scripts/fuzz.sh`), without sanitizers:
/// each must pass, and the seeds must be there.
struct FuzzRegressionTests {
    @Test func fuzzLoadClient() throws {
        #expect(try FuzzReplay.failures("FuzzLoadClient", SocketIOClientFuzzing.loadClient) == [])
    }
}
