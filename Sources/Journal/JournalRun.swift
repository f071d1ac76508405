/// One run of the server, as a row of the `runs` table.
public struct JournalRun: Sendable, Equatable {
    /// The run's id, which events refer to.
    public var id: Int64
    /// When the run started, in milliseconds since the Unix epoch.
    public var startedAtMillis: Int64
    /// What produced the run, such as `serve` or `replay`.
    public var source: String
    /// The scenario name, if the run played one.
    public var scenario: String?
    /// The random seed, if the run used one.
    public var seed: Int64?
    /// The tablecast version that wrote the run.
    public var tablecastVersion: String
    /// Free-form metadata as JSON text, if any.
    public var metaJSON: String?

    /// Creates a run.
    ///
    /// - Parameters:
    ///   - id: The run's id.
    ///   - startedAtMillis: When the run started, in milliseconds since the Unix epoch.
    ///   - source: What produced the run.
    ///   - scenario: The scenario name, if any.
    ///   - seed: The random seed, if any.
    ///   - tablecastVersion: The tablecast version that wrote the run.
    ///   - metaJSON: Free-form metadata as JSON text, if any.
    public init(
        id: Int64,
        startedAtMillis: Int64,
        source: String,
        scenario: String?,
        seed: Int64?,
        tablecastVersion: String,
        metaJSON: String?
    ) {
        self.id = id
        self.startedAtMillis = startedAtMillis
        self.source = source
        self.scenario = scenario
        self.seed = seed
        self.tablecastVersion = tablecastVersion
        self.metaJSON = metaJSON
    }
}
