/// One injected fault that is not an event, such as a forced disconnect or a delayed delivery, as a row of the
/// `faults` table.
///
/// Faults that produce events (a duplicate delivery) are journaled as those events instead, marked in
/// ``JournalEvent/fault``. A fault is placed in its run's event stream by ``afterSeq``: it happened after that
/// event and before the next one.
public struct JournalFault: Sendable, Equatable {
    /// The `seq` of the last event emitted before the fault, or 0 if there was none.
    public var afterSeq: Int64
    /// A monotonic timestamp in nanoseconds, on the same clock as ``JournalEvent/monoNanos``.
    public var monoNanos: Int64
    /// The wall-clock time in milliseconds since the Unix epoch, for people reading the journal.
    public var wallMillis: Int64
    /// What kind of fault it was, such as `disconnect` or `delay`.
    public var kind: String
    /// The fault's parameters and what it did, as JSON text.
    public var spec: String

    /// Creates a fault.
    ///
    /// - Parameters:
    ///   - afterSeq: The `seq` of the last event emitted before the fault, or 0 if there was none.
    ///   - monoNanos: A monotonic timestamp in nanoseconds.
    ///   - wallMillis: The wall-clock time in milliseconds since the Unix epoch.
    ///   - kind: What kind of fault it was, such as `disconnect` or `delay`.
    ///   - spec: The fault's parameters and what it did, as JSON text.
    public init(afterSeq: Int64, monoNanos: Int64, wallMillis: Int64, kind: String, spec: String) {
        self.afterSeq = afterSeq
        self.monoNanos = monoNanos
        self.wallMillis = wallMillis
        self.kind = kind
        self.spec = spec
    }
}
