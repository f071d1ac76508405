import Restaurant

/// The machine-readable forms of the `/events` contract, for the command line (which imports only this module).
///
/// Each is generated from the event catalog, so the three never disagree with each other or with what the server
/// sends.
public enum ContractExport: String, Sendable, CaseIterable {
    /// An AsyncAPI 3.0.0 document in JSON.
    case asyncAPI
    /// A JSON Schema (draft 2020-12) document: the payload types, and each event's payload schema by wire name.
    case jsonSchema
    /// A TypeScript `.d.ts`: the payload interfaces and `ServerToClientEvents` for socket.io-client.
    case typeScript

    /// The document as UTF-8 text with a trailing newline.
    public func render() -> String {
        switch self {
        case .asyncAPI: AsyncAPIExporter.render()
        case .jsonSchema: JSONSchemaExporter.render()
        case .typeScript: TypeScriptExporter.render()
        }
    }
}
