@_spi(Fuzzing) import SocketIOClient

// libFuzzer's entry point: one input, checked by the same function the regression tests call.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLoadClient(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    if let failure = SocketIOClientFuzzing.loadClient(UnsafeRawBufferPointer(start: start, count: count)) {
        fatalError(failure)
    }
    return 0
}
