/// What a ``JournalWriter`` records about its run when it opens; the journal assigns the id.
public struct RunDescriptor: Sendable {
    /// What produces the run, such as `serve` or `replay`.
    public var source: String
    /// The scenario name, if the run plays one.
    public var scenario: String?
    /// The random seed, if the run uses one.
    public var seed: Int64?
    /// The tablecast version writing the run.
    public var tablecastVersion: String
    /// Free-form metadata as JSON text, if any; stored as given.
    public var metaJSON: String?
    /// When the run started, in milliseconds since the Unix epoch.
    public var startedAtMillis: Int64

    /// Describes a run.
    ///
    /// - Parameters:
    ///   - source: What produces the run.
    ///   - scenario: The scenario name, if any.
    ///   - seed: The random seed, if any.
    ///   - tablecastVersion: The tablecast version writing the run.
    ///   - metaJSON: Free-form metadata as JSON text, if any.
    ///   - startedAtMillis: When the run started, in milliseconds since the Unix epoch.
    public init(
        source: String,
        scenario: String? = nil,
        seed: Int64? = nil,
        tablecastVersion: String,
        metaJSON: String? = nil,
        startedAtMillis: Int64
    ) {
        self.source = source
        self.scenario = scenario
        self.seed = seed
        self.tablecastVersion = tablecastVersion
        self.metaJSON = metaJSON
        self.startedAtMillis = startedAtMillis
    }
}
