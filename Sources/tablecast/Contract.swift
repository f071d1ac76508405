import ArgumentParser
import Foundation
import TablecastServer

struct Contract: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the /events contract as AsyncAPI, JSON Schema or TypeScript.",
        discussion: """
            Each document is generated from the event catalog and written to standard output, so a frontend can \
            keep its copy current with, for example, `tablecast contract typescript > src/tablecast-events.d.ts`.
            """,
        subcommands: [AsyncAPI.self, JSONSchema.self, TypeScript.self]
    )

    struct AsyncAPI: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "asyncapi",
            abstract: "Print an AsyncAPI 3.0.0 document (JSON) for the /events namespace.",
            discussion: """
                One message per event, with its payload schema and an example; every operation is `send`, from \
                tablecast's point of view. Open it in any AsyncAPI tool, or generate client code from it.
                """
        )

        func run() throws {
            Contract.write(.asyncAPI)
        }
    }

    struct JSONSchema: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "json-schema",
            abstract: "Print a JSON Schema (draft 2020-12) document for every event's payload.",
            discussion: """
                `#/$defs` holds the payload types; validate the payload of event E against `#/events/E`, with the \
                document registered under its `$id` (urn:tablecast:contract:1:json-schema).
                """
        )

        func run() throws {
            Contract.write(.jsonSchema)
        }
    }

    struct TypeScript: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "typescript",
            abstract: "Print a TypeScript .d.ts with the payload interfaces and ServerToClientEvents.",
            discussion: """
                Type a socket.io-client socket with it: \
                `const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(".../events")`.
                """
        )

        func run() throws {
            Contract.write(.typeScript)
        }
    }

    /// Writes the document's exact bytes to standard output.
    static func write(_ export: ContractExport) {
        FileHandle.standardOutput.write(Data(export.render().utf8))
    }
}
