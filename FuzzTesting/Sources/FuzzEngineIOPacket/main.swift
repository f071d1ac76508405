@_spi(Fuzzing) import SocketIOProtocol

// libFuzzer's entry point: one input, checked by the same function the regression tests call.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEngineIOPacket(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    if let failure = SocketIOProtocolFuzzing.engineIOPacket(UnsafeRawBufferPointer(start: start, count: count)) {
        fatalError(failure)
    }
    return 0
}
