/// What turns a ``Fault`` into events and journal rows: the recent transitions to duplicate or replay, and the
/// extra-fields fault still armed.
///
/// Pure and synchronous: the server's event hub keeps one under its lock, `tablecast simulate` keeps one beside its
/// journal, so that a fault means the same in both. The owner reports every transition it emits
/// (``transition(seq:name:payload:)``), asks ``emissions(for:)`` what a fault sends, and performs what is not an event
/// (a disconnect, a delay) itself.
public struct FaultInjector: Sendable {
    /// An event a fault sends: a copy of a transition, or an event outside the catalog. It is journaled with `fault`.
    public struct Emission: Sendable, Hashable {
        public var name: String
        public var payload: [UInt8]
        /// The journal's `fault` column: `{"kind":"duplicate","of":41}`.
        public var fault: String

        public init(name: String, payload: [UInt8], fault: String) {
            self.name = name
            self.payload = payload
            self.fault = fault
        }
    }

    /// Why a fault cannot be injected now; nothing was sent.
    public struct Refusal: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String
    }

    /// A ring of the recent transitions: `recentCount` of them from `recentOldest` on, their names and payloads
    /// `recentBytes` in all. Allocated on the first transition.
    private var recent: [RecentTransition?] = []
    private var recentOldest = 0
    private var recentCount = 0
    private var recentBytes = 0
    private var extraFieldsLeft = 0
    private var extraMembers: [UInt8] = []
    /// Faults injected so far, by kind (an extra-fields fault counts once, when injected).
    public private(set) var injected: [Fault.Kind: Int] = [:]

    private struct RecentTransition: Sendable {
        var seq: Int64
        var name: String
        var payload: [UInt8]
    }

    public init() {}

    /// How many transitions an armed extra-fields fault still changes.
    public var extraFieldsPending: Int { self.extraFieldsLeft }

    /// The payload a transition is sent with: its own, or with the armed extra fields appended (then with the
    /// `fault` to journal it with). Call once per transition, before emitting it.
    public mutating func payload(for payload: [UInt8]) -> (payload: [UInt8], fault: String?) {
        guard self.extraFieldsLeft > 0, let extended = Self.appending(self.extraMembers, to: payload) else {
            return (payload, nil)
        }
        self.extraFieldsLeft -= 1
        return (extended, #"{"kind":"extra-fields"}"#)
    }

    /// Remembers a transition once emitted, for later duplicates and replays.
    public mutating func transition(seq: Int64, name: String, payload: [UInt8]) {
        if self.recent.isEmpty {
            self.recent = Array(repeating: nil, count: Fault.recentCapacity)
        }
        if self.recentCount == self.recent.count {
            self.dropOldestTransition()
        }
        self.recent[(self.recentOldest + self.recentCount) % self.recent.count] =
            RecentTransition(seq: seq, name: name, payload: payload)
        self.recentCount += 1
        self.recentBytes += name.utf8.count + payload.count
        while self.recentBytes > Fault.recentByteBudget, self.recentCount > 1 {
            self.dropOldestTransition()
        }
    }

    private mutating func dropOldestTransition() {
        if let oldest = self.recent[self.recentOldest] {
            self.recentBytes -= oldest.name.utf8.count + oldest.payload.count
        }
        self.recent[self.recentOldest] = nil
        self.recentOldest = (self.recentOldest + 1) % self.recent.count
        self.recentCount -= 1
    }

    /// The events `fault` sends, in order; arms an extra-fields fault (which sends nothing itself). A disconnect or a
    /// delay sends nothing: its owner performs it and journals it (``Fault/journalSpec(disconnected:)``).
    ///
    /// - Throws: ``Refusal`` when the fault names transitions that are not kept (or none was emitted yet).
    public mutating func emissions(for fault: Fault) throws(Refusal) -> [Emission] {
        let emissions: [Emission]
        switch fault {
        case .duplicate(let seq):
            let ordered = self.orderedRecent
            let original: RecentTransition
            if let seq {
                guard let found = ordered.first(where: { $0.seq == seq }) else {
                    let kept = ordered.first.map { "seq \($0.seq) to \(ordered[ordered.count - 1].seq)" } ?? "none yet"
                    throw Refusal(
                        description: "seq \(seq) is not among the last \(ordered.count) transitions (kept: \(kept))"
                    )
                }
                original = found
            } else {
                guard let last = ordered.last else {
                    throw Refusal(description: "no transition was emitted yet, so there is nothing to duplicate")
                }
                original = last
            }
            emissions = [Emission(name: original.name, payload: original.payload,
                                  fault: #"{"kind":"duplicate","of":\#(original.seq)}"#)]
        case .replay(let count):
            let ordered = self.orderedRecent
            guard !ordered.isEmpty else {
                throw Refusal(description: "no transition was emitted yet, so there is nothing to replay")
            }
            emissions = ordered.suffix(count).map { original in
                Emission(name: original.name, payload: original.payload,
                         fault: #"{"kind":"replay","of":\#(original.seq)}"#)
            }
        case .unknownEvent(let name, let payload):
            emissions = [Emission(name: name, payload: payload, fault: #"{"kind":"unknown-event"}"#)]
        case .extraFields(let count, let members):
            self.extraFieldsLeft = count
            self.extraMembers = members
            emissions = []
        case .disconnect, .delay:
            emissions = []
        }
        self.injected[fault.kind, default: 0] += 1
        return emissions
    }

    /// The recent transitions, oldest first.
    private var orderedRecent: [RecentTransition] {
        (0..<self.recentCount).map { self.recent[(self.recentOldest + $0) % self.recent.count]! }
    }

    /// `payload` with `members` appended, when it is a JSON object; `nil` otherwise (an array, a string…).
    static func appending(_ members: [UInt8], to payload: [UInt8]) -> [UInt8]? {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }
        guard let open = payload.firstIndex(where: { !isSpace($0) }), payload[open] == UInt8(ascii: "{"),
            let close = payload.lastIndex(where: { !isSpace($0) }), close > open, payload[close] == UInt8(ascii: "}")
        else {
            return nil
        }
        let isEmpty = payload[(open + 1)..<close].allSatisfy(isSpace)
        var result = [UInt8]()
        result.reserveCapacity(payload.count + members.count + 1)
        result.append(contentsOf: payload[..<close])
        if !isEmpty {
            result.append(UInt8(ascii: ","))
        }
        result.append(contentsOf: members)
        result.append(contentsOf: payload[close...])
        return result
    }
}

extension Fault {
    /// The journal's `faults` row of a fault that sends no event: its `spec` column, with what it did. `nil` for the
    /// faults whose events carry them.
    public func journalSpec(disconnected: Int = 0) -> String? {
        switch self {
        case .disconnect(let clients, let mode):
            #"{"clients":"\#(clients)","mode":"\#(mode.rawValue)","disconnected":\#(disconnected)}"#
        case .delay(let milliseconds):
            #"{"ms":\#(milliseconds)}"#
        case .duplicate, .replay, .unknownEvent, .extraFields:
            nil
        }
    }
}
