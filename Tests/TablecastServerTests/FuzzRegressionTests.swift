import FuzzReplay
@_spi(Fuzzing) import TablecastServer
import Testing

/// Every input that once failed a fuzz target (`FuzzTesting/FailCases/TARGET/`), and every seed of its corpus
/// (`FuzzTesting/Corpus/TARGET/`), through the same check as the fuzzer (`Scripts/fuzz.sh`), without sanitizers:
/// each must pass, and the seeds must be there.
struct FuzzRegressionTests {
    @Test func fuzzEngineIOQuery() throws {
        #expect(try FuzzReplay.failures("FuzzEngineIOQuery", TablecastFuzzing.engineIOQuery) == [])
    }

    @Test func fuzzRequestBody() throws {
        #expect(try FuzzReplay.failures("FuzzRequestBody", TablecastFuzzing.requestBody) == [])
    }

    @Test func fuzzJournalLine() throws {
        #expect(try FuzzReplay.failures("FuzzJournalLine", TablecastFuzzing.journalLine) == [])
    }
}
