/// A snapshot of a ``JournalWriter``'s progress, for metrics and tests.
///
/// Events and faults are counted apart: every appended event is exactly one of committed, lost or in the
/// ``backlog``, and every appended fault exactly one of committed, lost or in the ``faultBacklog``.
public struct JournalWriterStatistics: Sendable, Equatable {
    /// Events accepted by `append` since the writer opened.
    public var appended: Int
    /// Events committed to the database.
    public var committed: Int
    /// Events accepted but never written because the writer failed; see ``failure``. Faults are not counted here
    /// but in ``lostFaults``.
    public var lost: Int
    /// The sequence number of the last committed event, if any.
    public var lastCommittedSeq: Int64?
    /// How long the last commit took, from `BEGIN` to `COMMIT`, in nanoseconds; 0 before the first.
    public var lastCommitNanos: Int64
    /// The error that stopped the writer, if it failed.
    public var failure: JournalError?
    /// Faults accepted by `append(fault:)` since the writer opened.
    public var appendedFaults: Int
    /// Faults committed to the database.
    public var committedFaults: Int
    /// Faults accepted but never written because the writer failed; see ``failure``.
    public var lostFaults: Int

    /// Events accepted but not yet committed (nor lost).
    public var backlog: Int {
        self.appended - self.committed - self.lost
    }

    /// Faults accepted but not yet committed (nor lost).
    public var faultBacklog: Int {
        self.appendedFaults - self.committedFaults - self.lostFaults
    }

    /// Creates a snapshot.
    public init(
        appended: Int,
        committed: Int,
        lost: Int,
        lastCommittedSeq: Int64?,
        lastCommitNanos: Int64,
        failure: JournalError?,
        appendedFaults: Int = 0,
        committedFaults: Int = 0,
        lostFaults: Int = 0
    ) {
        self.appended = appended
        self.committed = committed
        self.lost = lost
        self.lastCommittedSeq = lastCommittedSeq
        self.lastCommitNanos = lastCommitNanos
        self.failure = failure
        self.appendedFaults = appendedFaults
        self.committedFaults = committedFaults
        self.lostFaults = lostFaults
    }
}
