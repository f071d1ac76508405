/// One emitted Socket.IO event, as the journal stores it.
public struct JournalEvent: Sendable, Equatable {
    /// The position of the event in its run, unique within the run; assigned by the caller.
    public var seq: Int64
    /// A monotonic timestamp in nanoseconds, for measuring intervals between events.
    public var monoNanos: Int64
    /// The wall-clock time in milliseconds since the Unix epoch, for people reading the journal.
    public var wallMillis: Int64
    /// The Socket.IO namespace, such as `/` or `/table`.
    public var namespace: String
    /// The event name.
    public var name: String
    /// The exact bytes sent (usually JSON), stored as a blob.
    public var payload: [UInt8]
    /// What the payload leaves out and a projection of the journal needs (the whole menu item of `menu.created`);
    /// never sent to clients. `nil` for most events.
    public var detail: [UInt8]?
    /// The injected fault this event is or carries, as JSON text such as `{"kind":"duplicate","of":41}`; `nil` for
    /// an ordinary event. Faults that are not events are ``JournalFault``s.
    public var fault: String?

    /// Creates an event.
    ///
    /// - Parameters:
    ///   - seq: The position of the event in its run, unique within the run.
    ///   - monoNanos: A monotonic timestamp in nanoseconds.
    ///   - wallMillis: The wall-clock time in milliseconds since the Unix epoch.
    ///   - namespace: The Socket.IO namespace.
    ///   - name: The event name.
    ///   - payload: The exact bytes sent.
    ///   - detail: What the payload leaves out, if anything.
    ///   - fault: The injected fault this event is or carries, as JSON text; `nil` for an ordinary event.
    public init(seq: Int64, monoNanos: Int64, wallMillis: Int64, namespace: String, name: String, payload: [UInt8],
                detail: [UInt8]? = nil, fault: String? = nil) {
        self.seq = seq
        self.monoNanos = monoNanos
        self.wallMillis = wallMillis
        self.namespace = namespace
        self.name = name
        self.payload = payload
        self.detail = detail
        self.fault = fault
    }
}

extension JournalEvent {
    /// What the event weighs while it waits for its commit: its bytes, and a fixed share for the row's other fields
    /// and the queue's bookkeeping. The writer's backlog bound counts this.
    var backlogCost: Int {
        self.payload.count + (self.detail?.count ?? 0) + self.name.utf8.count + 96
    }
}
