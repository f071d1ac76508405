import Journal
import NIOConcurrencyHelpers
import NIOCore
import SocketIOProtocol
import SocketIOServer
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The one emission point: every event that reaches a client passes here.
///
/// `emit` assigns the next sequence number, stamps wall and monotonic time, encodes the Socket.IO packet once
/// (`42/events,["name",<payload>]`, the payload bytes untouched), appends the event to the journal and hands the same
/// bytes to the broadcaster. One lock serialises these steps, so clients and the journal see events in `seq` order.
/// An event the journal refuses is neither numbered nor sent.
public final class EventHub: Sendable {
    /// The namespace events are broadcast on.
    public let namespace: String
    let broadcaster: Broadcaster
    let journal: JournalWriter
    private let lastSeqBox = Mutex<Int64>(0)

    public init(namespace: String = "/events", broadcaster: Broadcaster, journal: JournalWriter) {
        self.namespace = namespace
        self.broadcaster = broadcaster
        self.journal = journal
    }

    /// The sequence number of the last event emitted, or 0.
    public var lastSeq: Int64 { self.lastSeqBox.withLock { $0 } }

    /// Emits one event to every client on the namespace and journals it.
    /// - Parameters:
    ///   - name: the event name.
    ///   - payload: the payload as valid JSON bytes; they are sent and journaled exactly as given.
    ///   - detail: what the payload leaves out and the journal keeps for rebuilding state; never sent.
    /// - Returns: the event's sequence number.
    /// - Throws: ``JournalError`` when the journal cannot take the event; nothing is sent then.
    @discardableResult
    public func emit(name: String, payload: [UInt8], detail: [UInt8]? = nil) throws(JournalError) -> Int64 {
        try self.lastSeqBox.withLock { (lastSeq) throws(JournalError) -> Int64 in
            let seq = lastSeq + 1
            let event = JournalEvent(
                seq: seq,
                monoNanos: Int64(NIODeadline.now().uptimeNanoseconds),
                wallMillis: Self.wallClockMillis(),
                namespace: self.namespace,
                name: name,
                payload: payload,
                detail: detail
            )
            try self.journal.append(event)
            lastSeq = seq
            self.broadcaster.publish(
                seq: seq,
                frame: SocketIOPacket.eventFrame(namespace: self.namespace, name: name, payload: payload)
            )
            return seq
        }
    }

    static func wallClockMillis() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
