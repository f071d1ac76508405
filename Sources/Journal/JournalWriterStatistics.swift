/// A snapshot of a ``JournalWriter``'s progress, for metrics and tests.
///
/// Every appended event is exactly one of committed, lost or in the backlog.
public struct JournalWriterStatistics: Sendable, Equatable {
    /// Events accepted by `append` since the writer opened.
    public var appended: Int
    /// Events committed to the database.
    public var committed: Int
    /// Events accepted but never written because the writer failed; see ``failure``.
    public var lost: Int
    /// The sequence number of the last committed event, if any.
    public var lastCommittedSeq: Int64?
    /// How long the last commit took, from `BEGIN` to `COMMIT`, in nanoseconds; 0 before the first.
    public var lastCommitNanos: Int64
    /// The error that stopped the writer, if it failed.
    public var failure: JournalError?

    /// Events accepted but not yet committed (nor lost).
    public var backlog: Int {
        self.appended - self.committed - self.lost
    }

    /// Creates a snapshot.
    public init(
        appended: Int,
        committed: Int,
        lost: Int,
        lastCommittedSeq: Int64?,
        lastCommitNanos: Int64,
        failure: JournalError?
    ) {
        self.appended = appended
        self.committed = committed
        self.lost = lost
        self.lastCommittedSeq = lastCommittedSeq
        self.lastCommitNanos = lastCommitNanos
        self.failure = failure
    }
}
