import Foundation
import Restaurant

/// Reads a restaurant definition from YAML: the tables, the menu and the staff a restaurant starts with.
///
/// ```yaml
/// tables:
///   - { number: 1, seats: 4 }
///   - { numbers: 2..9, seats: 2 }                                   # eight tables of two
/// menu:
///   - { id: 1, name: Bruschetta, category: Starters, price: 650 }   # price in cents
/// staff:
///   - { id: 1, username: maria, role: waiter }                      # admin, manager, waiter or kitchen
/// ```
///
/// The same mapping can stand inline in a scenario, under `restaurant:`. Every error names the file, the line and the
/// field.
public enum RestaurantDefinitionFile {
    /// Loads and validates a definition file.
    public static func load(path: String) throws(ConfigurationError) -> RestaurantDefinition {
        try Self.decode(YAMLValue.load(path: path))
    }

    /// Parses and validates a definition from YAML text; `path` is used in error messages.
    public static func parse(_ text: String, path: String) throws(ConfigurationError) -> RestaurantDefinition {
        try Self.decode(YAMLValue.parse(text, path: path))
    }

    /// Decodes and validates a definition from a YAML mapping: a whole file, or a scenario's inline `restaurant`
    /// (whose fields are then named `restaurant.tables[0].seats`).
    static func decode(_ root: YAMLValue) throws(ConfigurationError) -> RestaurantDefinition {
        var lines: [String: Int] = [:]
        func note(_ value: YAMLValue) {
            lines[value.field] = value.line
        }
        let fields = try root.mapping(allowed: ["tables", "menu", "staff"])
        let tables = try Self.decodeTables(try fields.required("tables", in: root))
        var menu: [MenuItem] = []
        for entry in try fields.required("menu", in: root).sequence() {
            note(entry)
            let item = try entry.mapping(allowed: ["id", "name", "category", "price"])
            let values = try ["id", "name", "category", "price"].map { (name) throws(ConfigurationError) in
                let value = try item.required(name, in: entry)
                note(value)
                return value
            }
            menu.append(MenuItem(id: try values[0].int(), name: try values[1].string(),
                                 category: try values[2].string(), price: try values[3].int()))
        }
        var users: [User] = []
        for entry in try fields.required("staff", in: root).sequence() {
            note(entry)
            let user = try entry.mapping(allowed: ["id", "username", "role"])
            let id = try user.required("id", in: entry)
            let username = try user.required("username", in: entry)
            let roleValue = try user.required("role", in: entry)
            note(id)
            note(username)
            note(roleValue)
            let roleText = try roleValue.string()
            guard let role = UserRole(rawValue: roleText) else {
                let roles = UserRole.allCases.map(\.rawValue).joined(separator: ", ")
                throw roleValue.error("expected one of \(roles), found \"\(roleText)\"")
            }
            users.append(User(id: try id.int(), username: try username.string(), role: role))
        }
        let definition = RestaurantDefinition(tables: tables, menu: menu, users: users)
        do throws(RestaurantDefinitionError) {
            try definition.validate()
        } catch {
            // The definition's own field names (`users[2]`) follow the file's (`staff[2]`), under the mapping's own
            // field when it is inline (`restaurant.staff[2]`). Tables were checked above, entry by entry.
            func rename(_ text: String) -> String {
                let renamed = text.replacingOccurrences(of: "users[", with: "staff[")
                guard !root.field.isEmpty else { return renamed }
                return renamed.replacingOccurrences(of: "menu[", with: "\(root.field).menu[")
                    .replacingOccurrences(of: "staff[", with: "\(root.field).staff[")
            }
            let field = rename(error.field)
            let line = lines[field] ?? lines[Self.entryField(of: field)]
            throw ConfigurationError(path: root.path, line: line, field: field, message: rename(error.message))
        }
        return definition
    }

    /// More tables than any dining room has; a guard against `numbers: 1..1000000000`.
    static let maximumTables = 10_000

    /// `restaurant.menu[2]` for `restaurant.menu[2].price`: the list entry a field belongs to.
    private static func entryField(of field: String) -> String {
        guard let bracket = field.lastIndex(of: "]") else { return field }
        return String(field[...bracket])
    }

    /// The tables, one entry each (`number`) or a run of numbers with the same seats (`numbers: 1..40`), checked
    /// here rather than by ``RestaurantDefinition/validate()`` so that an error names the entry as written.
    private static func decodeTables(_ list: YAMLValue) throws(ConfigurationError)
        -> [RestaurantDefinition.TableDefinition]
    {
        var tables: [RestaurantDefinition.TableDefinition] = []
        var firstEntry: [Int: String] = [:]
        for entry in try list.sequence() {
            let table = try entry.mapping(allowed: ["number", "numbers", "seats"])
            let seatsValue = try table.required("seats", in: entry)
            let seats = try seatsValue.int()
            guard seats > 0 else {
                throw seatsValue.error("\(seatsValue.field) must be positive, got \(seats)")
            }
            let numbersValue: YAMLValue
            let numbers: ClosedRange<Int>
            switch (table["number"], table["numbers"]) {
            case (let single?, nil):
                numbersValue = single
                let number = try single.int()
                numbers = number...number
            case (nil, let run?):
                numbersValue = run
                numbers = try run.intRange()
            case (.some, .some):
                throw entry.error("give either number or numbers, not both")
            case (nil, nil):
                let field = entry.field.isEmpty ? "number" : "\(entry.field).number"
                throw ConfigurationError(path: entry.path, line: entry.line, field: field, message: "missing field")
            }
            guard numbers.lowerBound > 0 else {
                throw numbersValue.error("\(numbersValue.field) must be positive, got \(numbers.lowerBound)")
            }
            guard tables.count + numbers.count <= Self.maximumTables else {
                throw numbersValue.error("a restaurant has at most \(Self.maximumTables) tables")
            }
            for number in numbers {
                if let first = firstEntry[number] {
                    throw numbersValue.error(
                        "\(numbersValue.field) \(number) is a duplicate of \(first)"
                    )
                }
                firstEntry[number] = numbersValue.field
                tables.append(.init(number: number, seats: seats))
            }
        }
        return tables
    }
}
