import Foundation
import Testing

@testable import Restaurant
import TablecastJSON

struct ContractExportTests {
    /// The parsed JSON of a document; fails the test when it is not a JSON object.
    private func parse(_ text: String) throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(value as? [String: Any])
    }

    /// A JSON value in a canonical form (sorted keys), for comparing values rather than bytes.
    private func canonical(_ value: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])
    }

    @Test func outputsAreDeterministicAndEndWithANewline() {
        for render in [AsyncAPIExporter.render, JSONSchemaExporter.render, TypeScriptExporter.render] {
            let first = render()
            #expect(first == render())
            #expect(first.hasSuffix("\n"))
            #expect(!first.hasSuffix("\n\n"))
        }
    }

    @Test func jsonSchemaMapsEveryEventToItsPayloadSchema() throws {
        let document = try self.parse(JSONSchemaExporter.render())
        #expect(document["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
        let events = try #require(document["events"] as? [String: Any])
        let definitions = try #require(document["$defs"] as? [String: Any])
        #expect(Set(events.keys) == Set(EventName.allCases.map(\.rawValue)))
        #expect(events.count == 20)
        for event in EventCatalog.events {
            let entry = try #require(events[event.name.rawValue] as? [String: Any])
            #expect(entry["$ref"] as? String == "#/$defs/\(event.payload.name)")
            let schema = try #require(definitions[event.payload.name] as? [String: Any])
            #expect(schema["additionalProperties"] as? Bool == false)
            #expect(schema["required"] as? [String] == event.payload.fields.map(\.name))
        }
        for name in ["Order", "OrderItem", "Message", "ServiceCall", "TablePayload", "EmptyPayload"] {
            #expect(definitions[name] != nil, "missing $defs/\(name)")
        }
    }

    @Test func jsonSchemaWritesNullablesEnumerationsMinimaAndFormats() throws {
        let document = try self.parse(JSONSchemaExporter.render())
        let definitions = try #require(document["$defs"] as? [String: Any])
        let order = try #require(definitions["Order"] as? [String: Any])
        let properties = try #require(order["properties"] as? [String: [String: Any]])
        #expect(properties["servedAt"]?["type"] as? [String] == ["string", "null"])
        #expect(properties["servedAt"]?["format"] as? String == "date-time")
        #expect(properties["status"]?["enum"] as? [String] == ["pending", "served", "completed", "cancelled"])
        #expect(properties["id"]?["minimum"] as? Int == 1)
        #expect(properties["totalPrice"]?["minimum"] as? Int == 0)
        #expect(properties["items"]?["items"] as? [String: String] == ["$ref": "#/$defs/OrderItem"])
        let serviceCall = try #require(definitions["ServiceCall"] as? [String: Any])
        let callProperties = try #require(serviceCall["properties"] as? [String: [String: Any]])
        #expect(callProperties["handledBy"]?["type"] as? [String] == ["integer", "null"])
    }

    @Test func jsonSchemaKeepsPropertiesInContractOrder() throws {
        let text = JSONSchemaExporter.render()
        let order = try #require(text.range(of: "\"Order\": {"))
        var cursor = order.upperBound
        for field in EventCatalog.order.fields {
            let found = try #require(text.range(of: "\"\(field.name)\": {", range: cursor..<text.endIndex))
            cursor = found.upperBound
        }
    }

    @Test func asyncAPIHasOneMessageAndOneSendOperationPerEvent() throws {
        let document = try self.parse(AsyncAPIExporter.render())
        #expect(document["asyncapi"] as? String == "3.0.0")
        let info = try #require(document["info"] as? [String: Any])
        #expect(info["title"] as? String == "tablecast /events")
        #expect(info["version"] as? String == "1")
        let server = try #require((document["servers"] as? [String: Any])?["local"] as? [String: Any])
        #expect(server["host"] as? String == "localhost:4000")
        #expect(server["protocol"] as? String == "ws")
        #expect(server["pathname"] as? String == "/socket.io/")
        let channel = try #require((document["channels"] as? [String: Any])?["events"] as? [String: Any])
        #expect(channel["address"] as? String == "/events")
        let channelMessages = try #require(channel["messages"] as? [String: Any])
        let components = try #require(document["components"] as? [String: Any])
        let messages = try #require(components["messages"] as? [String: [String: Any]])
        let schemas = try #require(components["schemas"] as? [String: Any])
        let operations = try #require(document["operations"] as? [String: [String: Any]])
        #expect(channelMessages.count == 20)
        #expect(messages.count == 20)
        #expect(operations.count == 20)
        #expect(Set(messages.values.compactMap { $0["name"] as? String }) == Set(EventName.allCases.map(\.rawValue)))
        for event in EventCatalog.events {
            let id = ContractSchemas.identifier(for: event.name)
            let message = try #require(messages[id])
            #expect(message["name"] as? String == event.name.rawValue)
            #expect(message["payload"] as? [String: String] == ["$ref": "#/components/schemas/\(event.payload.name)"])
            #expect(schemas[event.payload.name] != nil)
            let examples = try #require(message["examples"] as? [[String: Any]])
            let example = try #require(examples.first?["payload"])
            let sent = try JSONSerialization.jsonObject(with: Data(event.example.payload))
            #expect(try self.canonical(example) == self.canonical(sent), "example of \(event.name.rawValue)")
            let operation = try #require(operations.values.first {
                ($0["messages"] as? [[String: String]])?.first?["$ref"] == "#/channels/events/messages/\(id)"
            })
            #expect(operation["action"] as? String == "send")
            #expect(operation["channel"] as? [String: String] == ["$ref": "#/channels/events"])
        }
    }

    @Test func asyncAPIExamplesKeepTheExampleBytesInOrder() throws {
        for event in EventCatalog.events {
            let parsed = try JSONParser.parse(event.example.payload).value
            #expect(parsed.compact == String(decoding: event.example.payload, as: UTF8.self))
        }
    }

    @Test func eventIdentifiersAreCamelCaseAndUnique() {
        #expect(ContractSchemas.identifier(for: .orderCreated) == "orderCreated")
        #expect(ContractSchemas.identifier(for: .tableCheckoutStarted) == "tableCheckoutStarted")
        #expect(ContractSchemas.identifier(for: .menuCreated) == "menuCreated")
        #expect(ContractSchemas.identifier(for: .newMessage) == "newMessage")
        #expect(Set(EventName.allCases.map(ContractSchemas.identifier(for:))).count == EventName.allCases.count)
    }

    @Test func typeScriptDeclaresEveryEventAndPayloadType() {
        let text = TypeScriptExporter.render()
        #expect(text.hasPrefix("// Generated by `tablecast contract typescript`"))
        #expect(text.contains("contract version 1"))
        #expect(text.contains("export interface ServerToClientEvents {\n"))
        for event in EventCatalog.events {
            #expect(text.contains("  \"\(event.name.rawValue)\": (payload: \(event.payload.name)) => void;\n"))
        }
        for object in ContractSchemas.objects {
            #expect(text.contains("export interface \(object.name) {\n"))
        }
        #expect(text.contains("export type OrderStatus = \"pending\" | \"served\" | \"completed\" | \"cancelled\";"))
        #expect(text.contains("  servedAt: string | null;\n"))
        #expect(text.contains("  items: OrderItem[];\n"))
        #expect(text.contains("  role: UserRole;\n"))
    }
}
