import NIOCore
import SocketIOProtocol
import Testing

@testable import SocketIOServer

struct EventRingTests {
    static func event(_ seq: Int64, bytes: Int) -> BroadcastEvent {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(bytes)
        buffer.writeRepeatingByte(0x34, count: bytes)
        return BroadcastEvent(seq: seq, frame: EngineIOFrame(bytes: buffer), emittedAtNanos: seq, tracedFrame: nil)
    }

    @Test func smallEventsAreKeptUpToTheCount() {
        var ring = EventRing(capacity: 8, byteBudget: 1 << 20)
        for seq in 1...Int64(20) {
            ring.append(Self.event(seq, bytes: 100))
        }
        #expect(ring.events(in: 13...20)?.map(\.seq) == Array(13...20))
        #expect(ring.events(in: 12...20) == nil)
    }

    @Test func largeEventsAreKeptUpToTheByteBudgetTheLatestAlways() {
        var ring = EventRing(capacity: 1000, byteBudget: 64 << 10)
        for seq in 1...Int64(100) {
            ring.append(Self.event(seq, bytes: 16 << 10))
        }
        // Four 16 KiB buffers fit in 64 KiB: the older ones were released.
        #expect(ring.events(in: 97...100)?.map(\.seq) == Array(97...100))
        #expect(ring.events(in: 96...100) == nil)
        #expect(ring.bytes <= 64 << 10)
        ring.append(Self.event(101, bytes: 1 << 20))
        #expect(ring.events(in: 101...101)?.map(\.seq) == [101])
        #expect(ring.events(in: 100...101) == nil)
    }

    @Test func aGapInTheSequenceForgetsEverythingKept() {
        var ring = EventRing(capacity: 8, byteBudget: 1 << 20)
        for seq in 1...Int64(5) {
            ring.append(Self.event(seq, bytes: 100))
        }
        ring.append(Self.event(9, bytes: 100))
        #expect(ring.events(in: 9...9)?.map(\.seq) == [9])
        #expect(ring.events(in: 5...9) == nil)
        #expect(ring.bytes < 1000)
    }
}
