import Foundation
import Restaurant

/// Reads a restaurant definition from YAML: the tables, the menu and the staff a restaurant starts with.
///
/// ```yaml
/// tables:
///   - { number: 1, seats: 4 }
/// menu:
///   - { id: 1, name: Bruschetta, category: Starters, price: 650 }   # price in cents
/// staff:
///   - { id: 1, username: maria, role: waiter }                      # admin, manager, waiter or kitchen
/// ```
///
/// Every error names the file, the line and the field.
public enum RestaurantDefinitionFile {
    /// Loads and validates a definition file.
    public static func load(path: String) throws(ConfigurationError) -> RestaurantDefinition {
        try Self.decode(YAMLValue.load(path: path))
    }

    /// Parses and validates a definition from YAML text; `path` is used in error messages.
    public static func parse(_ text: String, path: String) throws(ConfigurationError) -> RestaurantDefinition {
        try Self.decode(YAMLValue.parse(text, path: path))
    }

    static func decode(_ root: YAMLValue) throws(ConfigurationError) -> RestaurantDefinition {
        var lines: [String: Int] = [:]
        func note(_ value: YAMLValue) {
            lines[value.field] = value.line
        }
        let fields = try root.mapping(allowed: ["tables", "menu", "staff"])
        var tables: [RestaurantDefinition.TableDefinition] = []
        for entry in try fields.required("tables", in: root).sequence() {
            note(entry)
            let table = try entry.mapping(allowed: ["number", "seats"])
            let number = try table.required("number", in: entry)
            let seats = try table.required("seats", in: entry)
            note(number)
            note(seats)
            tables.append(.init(number: try number.int(), seats: try seats.int()))
        }
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
            // The definition's own field names (`users[2]`) follow the file's (`staff[2]`).
            let field = error.field.replacingOccurrences(of: "users[", with: "staff[")
            let line = lines[field] ?? lines[String(field.prefix { $0 != "." })]
            throw ConfigurationError(path: root.path, line: line, field: field,
                                     message: error.message.replacingOccurrences(of: "users[", with: "staff["))
        }
        return definition
    }
}
