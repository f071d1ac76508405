@_spi(Fuzzing) import SocketIORedis

// libFuzzer's entry point: one input, checked by the same function the regression tests call.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRedisAdapter(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    if let failure = AdapterFuzzing.check(UnsafeRawBufferPointer(start: start, count: count)) {
        fatalError(failure)
    }
    return 0
}
