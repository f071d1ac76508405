import FuzzReplay
@_spi(Fuzzing) import TablecastJSON
import Testing

/// Every input that once failed a fuzz target (`FuzzTesting/FailCases/TARGET/`), and every seed of its corpus
/// (`FuzzTesting/Corpus/TARGET/`), through the same check as the fuzzer (`Scripts/fuzz.sh`), without sanitizers:
/// each must pass, and the seeds must be there.
struct FuzzRegressionTests {
    @Test func fuzzJSON() throws {
        #expect(try FuzzReplay.failures("FuzzJSON", JSONFuzzing.json) == [])
    }
}
