@_spi(Fuzzing) import TablecastServer

// libFuzzer's entry point: one input, checked by the same function the regression tests call.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJournalLine(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    if let failure = TablecastFuzzing.journalLine(UnsafeRawBufferPointer(start: start, count: count)) {
        fatalError(failure)
    }
    return 0
}
