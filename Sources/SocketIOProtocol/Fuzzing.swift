import NIOCore
@_spi(Fuzzing) import TablecastJSON

/// The checks the fuzz targets of `FuzzTesting/` run on one input, and the regression tests replay on every input
/// that once failed (`FuzzTesting/FailCases/`).
///
/// Each check returns `nil` when every property holds, or a sentence naming the broken one. Beyond "no crash", the
/// properties are round trips through the encoders and agreement between the parsers that share a format, so that
/// the fuzzer finds logic bugs too. A malformed input must be an error, never a crash: a trap in a parser crashes the
/// check itself, which libFuzzer reports like a broken property.
@_spi(Fuzzing)
public enum SocketIOProtocolFuzzing {
    /// `FuzzEngineIOPacket`: the input as one text packet (a WebSocket text frame) and as a polling payload.
    ///
    /// A decoded text packet re-encodes to the input; a decoded payload re-encodes to a payload that decodes to the
    /// same packets, and that re-encodes to itself; base64 decodes what it encodes.
    public static func engineIOPacket(_ input: UnsafeRawBufferPointer) -> String? {
        let buffer = ByteBuffer(bytes: input)
        if let packet = try? EngineIOPacket.decodeText(buffer) {
            guard !packet.isBinary else { return "decodeText returned a binary packet" }
            let frame = EngineIOFrame.text(packet.type, bytes: packet.data)
            guard frame.bytes == buffer else {
                return "decodeText then EngineIOFrame.text gives \(Self.show(frame.bytes)), not the input"
            }
        }

        if let packets = try? EngineIOPacket.decodePayload(buffer) {
            guard !packets.isEmpty else { return "decodePayload accepted a payload of no packets" }
            for packet in packets where packet.isBinary && packet.type != .message {
                return "decodePayload returned a binary \(packet.type) packet"
            }
            let encoded = Self.encodePayload(packets)
            let again: [EngineIOPacket]
            do {
                again = try EngineIOPacket.decodePayload(encoded)
            } catch {
                return "the re-encoded payload \(Self.show(encoded)) does not decode: \(error)"
            }
            guard again == packets else {
                return "the re-encoded payload \(Self.show(encoded)) decodes to other packets"
            }
            guard Self.encodePayload(again) == encoded else {
                return "encoding a payload is not stable: \(Self.show(encoded))"
            }
        }

        var base64 = ByteBuffer()
        Base64.encode(input, into: &base64)
        guard Base64.decode(base64.readableBytesView) == Array(input) else {
            return "Base64.decode does not give back what Base64.encode encoded: \(Self.show(base64))"
        }
        if let decoded = Base64.decode(input) {
            var reencoded = ByteBuffer()
            Base64.encode(decoded, into: &reencoded)
            guard Base64.decode(reencoded.readableBytesView) == decoded else {
                return "base64 of decoded bytes does not decode to them"
            }
        }
        return nil
    }

    /// `FuzzSocketIOPacket`: the input as the data of an Engine.IO `message` packet.
    ///
    /// The EVENT parser never returns a span outside its input, and each argument span holds one JSON value; a
    /// decoded packet re-encodes (alone and in its Engine.IO frame) to bytes that decode to the same packet; a decoded
    /// EVENT has its name and arguments, and the broadcast encoders
    /// (``SocketIOPacket/eventFrame(namespace:name:payload:)`` and
    /// ``SocketIOPacket/tracedEventFrame(_:seq:emittedAtNanos:)``) write frames that decode to the same name, argument
    /// bytes and trace.
    public static func socketIOPacket(_ input: UnsafeRawBufferPointer) -> String? {
        let buffer = ByteBuffer(bytes: input)
        if let failure = Self.checkEventElements(buffer) {
            return failure
        }
        let packet: SocketIOPacket
        do {
            packet = try SocketIOPacket.decode(buffer)
        } catch {
            return nil
        }

        var encoded = ByteBuffer()
        packet.encode(into: &encoded)
        do {
            let again = try SocketIOPacket.decode(encoded)
            guard again == packet else {
                return "the re-encoded packet \(Self.show(encoded)) decodes to another packet"
            }
        } catch {
            return "the re-encoded packet \(Self.show(encoded)) does not decode: \(error)"
        }
        do {
            let message = try EngineIOPacket.decodeText(packet.frame.bytes)
            guard message.type == .message, try SocketIOPacket.decode(message.data) == packet else {
                return "the packet's Engine.IO frame \(Self.show(packet.frame.bytes)) decodes to another packet"
            }
        } catch {
            return "the packet's Engine.IO frame \(Self.show(packet.frame.bytes)) does not decode: \(error)"
        }

        guard packet.type == .event || packet.type == .binaryEvent else { return nil }
        guard let payload = packet.payload, let elements = SocketIOPacket.eventElements(payload) else {
            return "a decoded EVENT has no event name"
        }
        // The broadcast path's encoders, with the first argument (or none) as the payload.
        let argument: [UInt8] = elements.arguments.first.map { span in
            Array(payload.readableBytesView.dropFirst(span.lowerBound).prefix(span.count))
        } ?? Array("null".utf8)
        let frame = SocketIOPacket.eventFrame(namespace: packet.namespace, name: elements.name, payload: argument)
        if let failure = Self.checkBroadcastFrame(frame, namespace: packet.namespace, name: elements.name,
                                                  arguments: [argument]) {
            return failure
        }
        let seq = Int64(truncatingIfNeeded: input.count) &* 7919
        let emittedAt = Int64(truncatingIfNeeded: input.first ?? 0) << 40 | Int64(input.count)
        let traced = SocketIOPacket.tracedEventFrame(frame, seq: seq, emittedAtNanos: emittedAt)
        return Self.checkBroadcastFrame(
            traced, namespace: packet.namespace, name: elements.name,
            arguments: [argument, Array("{\"seq\":\(seq),\"emittedAt\":\(emittedAt)}".utf8)]
        )
    }

    /// ``SocketIOPacket/eventElements(_:)`` on any bytes: spans inside the input, each one JSON value.
    private static func checkEventElements(_ buffer: ByteBuffer) -> String? {
        guard let elements = SocketIOPacket.eventElements(buffer) else { return nil }
        let bytes = Array(buffer.readableBytesView)
        var previousEnd = 0
        for span in elements.arguments {
            guard span.lowerBound >= previousEnd, span.upperBound <= bytes.count, !span.isEmpty else {
                return "eventElements returned the span \(span) outside the input of \(bytes.count) bytes"
            }
            previousEnd = span.upperBound
            let valid = bytes[span].withUnsafeBytes { (try? JSONScanner.validate($0)) != nil }
            guard valid else { return "eventElements returned the span \(span), which is not one JSON value" }
        }
        return nil
    }

    /// A broadcast frame decodes as an EVENT of `namespace` with `name` and exactly the `arguments` bytes.
    private static func checkBroadcastFrame(_ frame: EngineIOFrame, namespace: String, name: String,
                                            arguments: [[UInt8]]) -> String? {
        let packet: SocketIOPacket
        do {
            let message = try EngineIOPacket.decodeText(frame.bytes)
            guard message.type == .message else {
                return "a broadcast frame is not a message: \(Self.show(frame.bytes))"
            }
            packet = try SocketIOPacket.decode(message.data)
        } catch {
            return "the broadcast frame \(Self.show(frame.bytes)) does not decode: \(error)"
        }
        guard packet.type == .event, packet.namespace == namespace, packet.ackID == nil, let payload = packet.payload,
            let elements = SocketIOPacket.eventElements(payload)
        else {
            return "the broadcast frame \(Self.show(frame.bytes)) is not an EVENT of \(namespace)"
        }
        guard elements.name == name else {
            return "the broadcast frame \(Self.show(frame.bytes)) names \(elements.name), not \(name)"
        }
        let found = elements.arguments.map { span in
            Array(payload.readableBytesView.dropFirst(span.lowerBound).prefix(span.count))
        }
        guard found == arguments else {
            return "the broadcast frame \(Self.show(frame.bytes)) carries other argument bytes"
        }
        return nil
    }

    private static func encodePayload(_ packets: [EngineIOPacket]) -> ByteBuffer {
        let frames = packets.map { packet in
            packet.isBinary ? EngineIOFrame.binary(packet.data) : EngineIOFrame.text(packet.type, bytes: packet.data)
        }
        var buffer = ByteBuffer()
        EngineIOFrame.encodePayload(frames, into: &buffer)
        return buffer
    }

    /// Bytes for a message: the first 200, with what is not printable ASCII escaped.
    static func show(_ buffer: ByteBuffer) -> String {
        Self.show(Array(buffer.readableBytesView))
    }

    /// Bytes for a message: the first 200, with what is not printable ASCII escaped.
    public static func show(_ bytes: some Collection<UInt8>) -> String {
        JSONFuzzing.show(bytes)
    }
}
