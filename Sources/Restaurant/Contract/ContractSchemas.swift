import TablecastJSON

/// The catalog read for the exporters: the named types in a fixed order, their JSON Schema form, and the names
/// generated code gives to events and enumerations.
///
/// JSON Schema and AsyncAPI share the schema form; only where a reference points differs (`#/$defs/` or
/// `#/components/schemas/`). The form keeps to keywords that JSON Schema draft 2020-12 and draft-07 (on which
/// AsyncAPI 3.0's Schema Object is built) read alike: `type` (an array for nullable scalars), `enum`, `minimum`,
/// `format`, `items`, `properties`, `required`, `additionalProperties`, `anyOf` and `$ref`.
enum ContractSchemas {
    /// The version of the `/events` contract the catalog describes.
    static let version = "1"

    /// The one spelling of a time the contract allows (ISO 8601 UTC with milliseconds). `format` alone would admit
    /// offsets and other precisions, and JSON Schema 2020-12 treats `format` as an annotation unless a validator is
    /// told to assert it; the pattern holds everywhere.
    static let timePattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$"

    /// Every named object type the catalog's payloads use, once each, in order of first appearance in the catalog
    /// (a type before the types it contains).
    static let objects: [ObjectSchema] = {
        var seen: [String: ObjectSchema] = [:]
        var ordered: [ObjectSchema] = []
        func visit(_ object: ObjectSchema) {
            if let known = seen[object.name] {
                precondition(known == object, "two different payload types are both named \(object.name)")
                return
            }
            seen[object.name] = object
            ordered.append(object)
            for field in object.fields {
                Self.nestedObjects(in: field.type).forEach(visit)
            }
        }
        EventCatalog.events.map(\.payload).forEach(visit)
        return ordered
    }()

    /// An enumeration the payloads use, with the name generated code gives it.
    struct Enumeration: Sendable {
        var name: String
        var values: [String]
        /// Where it is used: `Order.status`, …
        var uses: [String]

        var description: String {
            "The values of \(self.uses.joined(separator: ", "))."
        }
    }

    /// Every enumeration the payloads use, once each, in order of first appearance in ``objects``.
    static let enumerations: [Enumeration] = {
        var result: [Enumeration] = []
        for object in Self.objects {
            for field in object.fields {
                guard let values = Self.enumerationValues(in: field.type) else { continue }
                let use = "\(object.name).\(field.name)"
                if let index = result.firstIndex(where: { $0.values == values }) {
                    result[index].uses.append(use)
                } else {
                    let name = Self.enumerationName(values: values, object: object, field: field)
                    result.append(Enumeration(name: name, values: values, uses: [use]))
                }
            }
        }
        return result
    }()

    /// The name of an enumeration's values in generated code.
    static func enumerationName(of values: [String]) -> String? {
        self.enumerations.first { $0.values == values }?.name
    }

    /// A name for an event that is a plain identifier (AsyncAPI component keys allow no `:`): the wire name in
    /// camel case, `order:created` → `orderCreated`, `menu.created` → `menuCreated`, `newMessage` unchanged.
    static func identifier(for name: EventName) -> String {
        let parts = name.rawValue.split(whereSeparator: { $0 == ":" || $0 == "." })
        guard let first = parts.first else { return name.rawValue }
        return String(first) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// The JSON Schema of a named object: every property required, no others allowed.
    ///
    /// - Parameters:
    ///   - object: The object type.
    ///   - referencePrefix: Where the named types live, such as `#/$defs/`.
    static func schema(of object: ObjectSchema, referencePrefix: String) -> JSONValue {
        .object([
            .init("title", .string(object.name)),
            .init("description", .string(object.description)),
            .init("type", "object"),
            .init(
                "properties",
                .object(
                    object.fields.map {
                        .init($0.name, self.schema(of: $0.type, description: $0.description,
                                                   referencePrefix: referencePrefix))
                    }
                )
            ),
            .init("required", .array(object.fields.map { .string($0.name) })),
            .init("additionalProperties", false),
        ])
    }

    /// The JSON Schema of a property's type; `description` comes first when given.
    static func schema(of type: SchemaType, description: String?, referencePrefix: String) -> JSONValue {
        var members: [JSONValue.Member] = []
        if let description {
            members.append(.init("description", .string(description)))
        }
        members.append(contentsOf: self.keywords(of: type, referencePrefix: referencePrefix))
        return .object(members)
    }

    private static func keywords(of type: SchemaType, referencePrefix: String) -> [JSONValue.Member] {
        switch type {
        case .integer(let minimum):
            var members: [JSONValue.Member] = [.init("type", "integer")]
            if let minimum { members.append(.init("minimum", .integer(minimum))) }
            return members
        case .string(let format):
            var members: [JSONValue.Member] = [.init("type", "string")]
            if let format { members.append(.init("format", .string(format))) }
            if format == "date-time" { members.append(.init("pattern", .string(self.timePattern))) }
            return members
        case .boolean:
            return [.init("type", "boolean")]
        case .enumeration(let values):
            return [.init("type", "string"), .init("enum", .array(values.map(JSONValue.string)))]
        case .array(let element):
            return [
                .init("type", "array"),
                .init("items", self.schema(of: element, description: nil, referencePrefix: referencePrefix)),
            ]
        case .object(let object):
            return [.init("$ref", .string(referencePrefix + object.name))]
        case .nullable(let inner):
            return self.nullableKeywords(of: inner, referencePrefix: referencePrefix)
        }
    }

    /// A scalar or array admits `null` through its `type` (and its `enum`, which must list `null` too); a reference
    /// cannot take siblings that change it, so it becomes `anyOf` with `null`.
    private static func nullableKeywords(of inner: SchemaType, referencePrefix: String) -> [JSONValue.Member] {
        if case .nullable(let innermost) = inner {
            return self.nullableKeywords(of: innermost, referencePrefix: referencePrefix)
        }
        var members = self.keywords(of: inner, referencePrefix: referencePrefix)
        guard let typeIndex = members.firstIndex(where: { $0.key == "type" }),
            case .string(let name) = members[typeIndex].value
        else {
            return [
                .init(
                    "anyOf",
                    .array([.object(members), .object([.init("type", "null")])])
                )
            ]
        }
        members[typeIndex].value = .array([.string(name), "null"])
        if let enumIndex = members.firstIndex(where: { $0.key == "enum" }),
            case .array(let values) = members[enumIndex].value
        {
            members[enumIndex].value = .array(values + [.null])
        }
        return members
    }

    private static func nestedObjects(in type: SchemaType) -> [ObjectSchema] {
        switch type {
        case .object(let object): [object]
        case .array(let element), .nullable(let element): self.nestedObjects(in: element)
        case .integer, .string, .boolean, .enumeration: []
        }
    }

    private static func enumerationValues(in type: SchemaType) -> [String]? {
        switch type {
        case .enumeration(let values): values
        case .array(let element), .nullable(let element): self.enumerationValues(in: element)
        case .integer, .string, .boolean, .object: nil
        }
    }

    /// The domain's own type name where the values are one of its enumerations (`OrderStatus`, `UserRole`, …), so
    /// that generated code reads like the domain; otherwise the object's name and the field's.
    private static func enumerationName(values: [String], object: ObjectSchema, field: SchemaField) -> String {
        let domain: [([String], String)] = [
            (OrderStatus.allCases.map(\.rawValue), String(describing: OrderStatus.self)),
            (TableStatus.allCases.map(\.rawValue), String(describing: TableStatus.self)),
            (UserRole.allCases.map(\.rawValue), String(describing: UserRole.self)),
            (ServiceCallType.allCases.map(\.rawValue), String(describing: ServiceCallType.self)),
            (ServiceCallStatus.allCases.map(\.rawValue), String(describing: ServiceCallStatus.self)),
        ]
        if let match = domain.first(where: { $0.0 == values }) {
            return match.1
        }
        return object.name + field.name.prefix(1).uppercased() + field.name.dropFirst()
    }
}
