@_spi(Fuzzing) import TablecastJSON

// libFuzzer's entry point: one input, checked by the same function the regression tests call.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    if let failure = JSONFuzzing.json(UnsafeRawBufferPointer(start: start, count: count)) {
        fatalError(failure)
    }
    return 0
}
