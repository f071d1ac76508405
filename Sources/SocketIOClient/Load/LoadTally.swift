import Histogram

/// What one load client received, checked against the server's sequence numbers: loss, duplicates, reordering.
/// Confined to the client's event loop.
final class LoadTally {
    /// The figures of all the clients of one event loop, shared by them without locks (the loop runs one at a time).
    final class Loop {
        /// Every latency since the start.
        var latency = Loop.histogram()
        /// The latencies since the run's sampler last took them: one second's worth.
        var interval = Loop.histogram()
        var events = 0
        var bytes = 0
        var untraced = 0

        /// An empty latency histogram: microseconds, up to 10 minutes, three significant digits.
        static func histogram() -> Histogram<UInt64> {
            Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
        }
    }

    /// The most seqs remembered as missing per client; a larger gap is counted as lost outright.
    static let missingCapacity = 100_000

    let loop: Loop
    private(set) var firstSeq: Int64?
    private(set) var maxSeq: Int64 = 0
    private(set) var received = 0
    private(set) var duplicates = 0
    private(set) var reordered = 0
    /// Seqs skipped over and not (yet) received.
    private(set) var missing = Set<Int64>()
    /// Seqs skipped that did not fit in `missing`: lost for good as far as the figures go.
    private(set) var untrackedMissing = 0

    init(loop: Loop) {
        self.loop = loop
    }

    /// Counts one event; `trace` is its `(seq, emittedAt)` when the server traced it.
    func received(_ trace: (seq: Int64, emittedAt: Int64)?, receivedAt: Int64, bytes: Int) {
        self.loop.events += 1
        self.loop.bytes += bytes
        guard let (seq, emittedAt) = trace else {
            self.loop.untraced += 1
            return
        }
        self.received += 1
        let micros = receivedAt > emittedAt ? UInt64((receivedAt - emittedAt) / 1000) : 0
        _ = self.loop.latency.record(micros)
        _ = self.loop.interval.record(micros)
        guard self.firstSeq != nil else {
            self.firstSeq = seq
            self.maxSeq = seq
            return
        }
        if seq > self.maxSeq {
            let gap = seq - self.maxSeq - 1
            if gap > 0 {
                let room = Self.missingCapacity - self.missing.count
                let tracked = Int(min(Int64(room), gap))
                for skipped in (self.maxSeq + 1)..<(self.maxSeq + 1 + Int64(tracked)) {
                    self.missing.insert(skipped)
                }
                self.untrackedMissing += Int(gap) - tracked
            }
            self.maxSeq = seq
        } else if self.missing.remove(seq) != nil {
            self.reordered += 1
        } else {
            self.duplicates += 1
        }
    }

    /// The events emitted up to `lastSeq` (from this client's first) that it never received.
    func lost(upTo lastSeq: Int64) -> Int {
        guard self.firstSeq != nil else { return 0 }
        let missingBefore = self.missing.count { $0 <= lastSeq }
        return missingBefore + self.untrackedMissing + Int(max(0, lastSeq - self.maxSeq))
    }

    /// How many events this client should have received up to `lastSeq`.
    func expected(upTo lastSeq: Int64) -> Int {
        guard let first = self.firstSeq else { return 0 }
        return Int(max(0, lastSeq - first + 1))
    }
}
