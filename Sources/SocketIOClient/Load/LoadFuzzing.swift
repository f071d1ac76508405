import NIOCore
@_spi(Fuzzing) import SocketIOProtocol

/// The check the `FuzzLoadClient` target of `FuzzTesting/` runs on one input, and the regression tests replay on every
/// input that once failed: the load client's hand-written parsing of what a server sends (see
/// ``SocketIOProtocolFuzzing`` for the conventions).
@_spi(Fuzzing)
public enum SocketIOClientFuzzing {
    /// `FuzzLoadClient`: the input as the bytes a load client reads after its WebSocket upgrade, as one packet, and
    /// as the bytes of its polling connection.
    ///
    /// Frames are found in order, inside the input, each after the previous one; the server's frame encoder writes
    /// frames that the client reads back whole (and not before their last byte); a traced event's trace is read back
    /// exactly; an HTTP response's body lies inside the input, and a response the client is sent reads back whole.
    public static func loadClient(_ input: UnsafeRawBufferPointer) -> String? {
        // WebSocket frames, as channelRead reads them.
        var offset = 0
        while let frame = LoadConnectionHandler.frame(in: input, at: offset) {
            guard frame.payload.lowerBound >= offset + 2, frame.payload.upperBound <= input.count,
                frame.payload.lowerBound <= frame.payload.upperBound
            else {
                return "the frame at \(offset) has its payload at \(frame.payload), outside \(input.count) bytes"
            }
            guard frame.opcode <= 0x0F else { return "the frame at \(offset) has opcode \(frame.opcode)" }
            if frame.opcode == 0x1 {
                _ = LoadPacket(bytes: UnsafeRawBufferPointer(rebasing: input[frame.payload]))
            }
            offset = frame.payload.upperBound
        }
        _ = LoadPacket(bytes: input)

        // The server's frames, read back.
        let payload = ByteBuffer(bytes: input)
        for opcode in [WebSocketFrameOpcode.text, .binary] {
            var framed = ByteBuffer()
            framed.writeWebSocketFrame(opcode: opcode, payload: payload)
            let failure: String? = framed.withUnsafeReadableBytes { bytes in
                let header = bytes.count - input.count
                guard let frame = LoadConnectionHandler.frame(in: bytes, at: 0) else {
                    return "a whole \(opcode) frame of \(input.count) bytes is not read"
                }
                guard frame.opcode == opcode.rawValue, frame.payload == header..<bytes.count else {
                    return "a \(opcode) frame of \(input.count) bytes reads as opcode \(frame.opcode), "
                        + "payload \(frame.payload)"
                }
                guard LoadConnectionHandler.frame(in: UnsafeRawBufferPointer(rebasing: bytes.dropLast()), at: 0) == nil
                else {
                    return "a \(opcode) frame of \(input.count) bytes is read before its last byte arrived"
                }
                return nil
            }
            if let failure {
                return failure
            }
        }

        // A traced event: the trace comes back exactly.
        let seq = Self.traceNumber(input, from: 0)
        let emittedAt = Self.traceNumber(input, from: 8)
        let event = SocketIOPacket.eventFrame(namespace: "/events", name: "order:created", payload: input)
        let traced = SocketIOPacket.tracedEventFrame(event, seq: seq, emittedAtNanos: emittedAt)
        let trace = traced.bytes.withUnsafeReadableBytes { bytes -> (seq: Int64, emittedAt: Int64)?? in
            guard case .event(let trace) = LoadPacket(bytes: bytes) else { return nil }
            return .some(trace)
        }
        guard let trace else { return "a traced event is not classified as an event" }
        guard let trace, trace.seq == seq, trace.emittedAt == emittedAt else {
            return "the trace seq \(seq), emittedAt \(emittedAt) reads back as \(String(describing: trace))"
        }

        // HTTP responses on a polling connection.
        var buffer = ByteBuffer(bytes: input)
        var consumed = 0
        while let response = LoadPollingResponseHandler.nextResponse(&buffer) {
            let read = input.count - buffer.readableBytes
            guard read > consumed else { return "a response was read from no bytes at \(consumed)" }
            guard response.body.readableBytes <= read - consumed else {
                return "the response at \(consumed) has a body of \(response.body.readableBytes) bytes, "
                    + "more than it read"
            }
            consumed = read
        }
        var response = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\n"
            + "Content-Length: \(input.count)\r\n\r\n")
        response.writeBytes(input)
        guard let answer = LoadPollingResponseHandler.nextResponse(&response), answer.status == 200,
            answer.body == payload, response.readableBytes == 0
        else {
            return "a 200 response with a body of \(input.count) bytes does not read back"
        }
        return nil
    }

    /// A trace number from eight bytes of the input: from 0 to 18 digits, as the server writes them.
    private static func traceNumber(_ input: UnsafeRawBufferPointer, from start: Int) -> Int64 {
        var value: UInt64 = 0
        for index in start..<(start + 8) where index < input.count {
            value = value << 8 | UInt64(input[index])
        }
        return Int64(value % 1_000_000_000_000_000_000)
    }
}
