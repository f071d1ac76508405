import TablecastJSON

/// One thing wrong with one event of a journal, as ``JournalVerifier`` reports it.
public struct VerificationIssue: Sendable, Hashable, CustomStringConvertible {
    /// The event's position in its run.
    public var seq: Int64
    /// The event name as journaled (perhaps one the catalog does not know).
    public var eventName: String
    /// An error breaks the contract; a warning does not (an unknown event, an extra key).
    public var severity: IssueSeverity
    /// A stable identifier: a lifecycle rule (``LifecycleViolation/allRules``), a payload rule
    /// (``PayloadProblem/allRules``), or one of the verifier's own (``JournalVerifier/Rule``).
    public var rule: String
    /// A sentence naming the entity or the field and the problem.
    public var message: String

    public init(seq: Int64, eventName: String, severity: IssueSeverity, rule: String, message: String) {
        self.seq = seq
        self.eventName = eventName
        self.severity = severity
        self.rule = rule
        self.message = message
    }

    /// `seq 42 order:served error order.serve.requiresPending: order 12 is cancelled; …`.
    public var description: String {
        "seq \(self.seq) \(self.eventName) \(self.severity.rawValue) \(self.rule): \(self.message)"
    }
}

/// Checks a journal's events, in order, against the catalog's schemas and the lifecycle rules, rebuilding the
/// restaurant as it goes.
///
/// Pure and incremental, so a reader loop drives it one record at a time and can print issues as they come:
///
/// ```swift
/// var verifier = JournalVerifier(definition: .default)
/// for event in events {
///     for issue in verifier.verify(seq: event.seq, name: event.name, payload: event.payload, detail: event.detail) {
///         print(issue)
///     }
/// }
/// exit(verifier.errorCount == 0 ? 0 : 1)
/// ```
///
/// An event whose payload breaks its schema is not applied; one that breaks a lifecycle rule is not applied either
/// (``RestaurantState/apply(_:)`` leaves the state unchanged), so one bad event yields one issue, not a cascade, as
/// far as later events do not depend on it.
public struct JournalVerifier: Sendable {
    /// The verifier's own rule identifiers, besides the lifecycle and payload rules.
    public enum Rule {
        /// The event name is not in the catalog; a warning (forward compatibility).
        public static let unknownEvent = "event.unknownName"
        /// A `seq` not greater than the one before; an error.
        public static let seqOrder = "journal.seqOrder"
        /// A `fault` column that is not `{"kind":…}` with a kind this tablecast knows; a warning, and the event is
        /// checked as an ordinary one.
        public static let unknownFault = "journal.unknownFault"
    }

    /// The kinds of fault whose events are copies or strangers, never transitions: the projection skips them.
    public static let nonTransitionFaults: Set<String> = ["duplicate", "replay", "unknown-event"]
    /// The kind of fault whose events are transitions with extra payload fields, expected and not reported.
    public static let extraFieldsFault = "extra-fields"

    /// The restaurant rebuilt from the events accepted so far.
    public private(set) var state: RestaurantState
    /// Every issue found so far, in journal order (unless ``collectsIssues`` is off).
    public private(set) var issues: [VerificationIssue] = []
    /// Whether ``issues`` keeps what ``verify(seq:name:payload:detail:)`` returns; off for huge journals whose
    /// caller prints issues as they come.
    public var collectsIssues: Bool
    /// How many events were verified.
    public private(set) var eventCount = 0
    /// How many events applied cleanly to the projection.
    public private(set) var appliedCount = 0
    /// How many events were injected by a fault (duplicates, replays, unknown events, extra fields).
    public private(set) var faultCount = 0
    /// How many error issues were found, collected or not.
    public private(set) var errorCount = 0
    /// How many warning issues were found, collected or not.
    public private(set) var warningCount = 0
    private var lastSeq: Int64?

    /// A verifier that rebuilds from the restaurant a journal's run started with.
    ///
    /// - Parameters:
    ///   - definition: The restaurant the run started from (``RestaurantDefinition/default`` unless it named one).
    ///   - collectsIssues: Whether to keep the issues in ``issues``.
    public init(definition: RestaurantDefinition, collectsIssues: Bool = true) {
        self.state = RestaurantState(definition: definition)
        self.collectsIssues = collectsIssues
    }

    /// Whether no error was found (warnings allowed).
    public var isClean: Bool { self.errorCount == 0 }

    /// Verifies the next event of the journal and applies it to the rebuilt state when it is sound.
    ///
    /// - Parameters:
    ///   - seq: The event's position in its run; expected to increase.
    ///   - name: The event name.
    ///   - payload: The payload bytes as sent.
    ///   - detail: The journal's detail beside the event, if any.
    ///   - fault: The journal's `fault` beside the event, if a fault injected it: a duplicate, a replayed copy or an
    ///     unknown event is not a transition and is skipped; a transition with extra fields is applied, and its extra
    ///     keys are not reported.
    /// - Returns: The issues of this event, often none.
    @discardableResult
    public mutating func verify(seq: Int64, name: String, payload: [UInt8], detail: [UInt8]?,
                                fault: String? = nil) -> [VerificationIssue] {
        self.eventCount += 1
        var found: [VerificationIssue] = []
        func add(_ severity: IssueSeverity, _ rule: String, _ message: String) {
            found.append(VerificationIssue(seq: seq, eventName: name, severity: severity, rule: rule, message: message))
        }
        if let lastSeq = self.lastSeq, seq <= lastSeq {
            add(.error, Rule.seqOrder, "seq \(seq) follows seq \(lastSeq); a journal's seq increases")
        }
        self.lastSeq = seq

        let outcome = Self.project(into: &self.state, seq: seq, name: name, payload: payload, detail: detail,
                                   fault: fault)
        found += outcome.issues
        if outcome.isFault {
            self.faultCount += 1
        }
        if outcome.applied {
            self.appliedCount += 1
        }
        return self.record(found)
    }

    private mutating func record(_ found: [VerificationIssue]) -> [VerificationIssue] {
        for issue in found {
            switch issue.severity {
            case .error: self.errorCount += 1
            case .warning: self.warningCount += 1
            }
        }
        if self.collectsIssues {
            self.issues.append(contentsOf: found)
        }
        return found
    }

    /// What ``project(into:seq:name:payload:detail:fault:)`` did with one event.
    public struct Projection: Sendable {
        /// What is wrong with the event, if anything.
        public var issues: [VerificationIssue]
        /// Whether it changed the state (a sound transition).
        public var applied: Bool
        /// Whether a fault sent or altered it.
        public var isFault: Bool
    }

    /// Applies one journaled event to a state as a projection of the journal does: a sound transition is applied;
    /// a copy or unknown event a fault sent is skipped; anything that breaks the schemas or the lifecycle leaves the
    /// state as it was and is reported. `verify` uses it, and so does a replay to keep the REST state equal to the
    /// projection of what it has sent.
    public static func project(
        into state: inout RestaurantState,
        seq: Int64,
        name: String,
        payload: [UInt8],
        detail: [UInt8]?,
        fault: String?
    ) -> Projection {
        var found: [VerificationIssue] = []
        func add(_ severity: IssueSeverity, _ rule: String, _ message: String) {
            found.append(VerificationIssue(seq: seq, eventName: name, severity: severity, rule: rule, message: message))
        }
        var extraFieldsExpected = false
        var isFault = false
        if let fault {
            switch Self.faultKind(fault) {
            case let kind? where Self.nonTransitionFaults.contains(kind):
                return Projection(issues: [], applied: false, isFault: true)
            case Self.extraFieldsFault?:
                isFault = true
                extraFieldsExpected = true
            default:
                add(.warning, Rule.unknownFault, "fault \(fault) is not one this tablecast knows; checked as a transition")
            }
        }

        var applied = false
        switch state.decodeEvent(name: name, payload: payload, detail: detail) {
        case .unknownName:
            add(.warning, Rule.unknownEvent, "\(name) is not an event of the contract; clients should ignore it")
        case .invalid(_, let problems):
            for problem in problems {
                add(problem.severity, problem.rule, problem.message)
            }
        case .decoded(let event, let warnings):
            for warning in warnings where !(extraFieldsExpected && warning.rule == PayloadProblem.Rule.extraKey.rawValue) {
                add(warning.severity, warning.rule, warning.message)
            }
            do throws(LifecycleViolation) {
                try state.apply(event)
                applied = true
            } catch {
                add(.error, error.rule, error.message)
            }
        }
        return Projection(issues: found, applied: applied, isFault: isFault)
    }

    /// The `kind` of a journal `fault` column, `nil` if it has none.
    static func faultKind(_ fault: String) -> String? {
        guard case .object(let members)? = try? JSONParser.parse(Array(fault.utf8)).value else { return nil }
        for member in members where member.key == "kind" {
            if case .string(let kind) = member.value {
                return kind
            }
        }
        return nil
    }
}
