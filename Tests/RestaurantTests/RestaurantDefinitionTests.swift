import Foundation
import Restaurant
import Testing

/// A definition with one thing wrong, and the field `validate()` must name.
struct DefinitionCase: Sendable, CustomTestStringConvertible {
    var label: String
    var definition: RestaurantDefinition
    var field: String
    var message: String
    var testDescription: String { self.label }

    static func changing(_ change: (inout RestaurantDefinition) -> Void) -> RestaurantDefinition {
        var definition = RestaurantDefinition.default
        change(&definition)
        return definition
    }

    static let all: [DefinitionCase] = [
        DefinitionCase(label: "duplicate table number", definition: changing { $0.tables[4].number = 2 },
                       field: "tables[4].number", message: "tables[4].number 2 is a duplicate of tables[1].number"),
        DefinitionCase(label: "zero table number", definition: changing { $0.tables[0].number = 0 },
                       field: "tables[0].number", message: "tables[0].number must be positive, got 0"),
        DefinitionCase(label: "negative seats", definition: changing { $0.tables[3].seats = -2 },
                       field: "tables[3].seats", message: "tables[3].seats must be positive, got -2"),
        DefinitionCase(label: "duplicate menu id", definition: changing { $0.menu[29].id = 12 },
                       field: "menu[29].id", message: "menu[29].id 12 is a duplicate of menu[11].id"),
        DefinitionCase(label: "negative menu id", definition: changing { $0.menu[1].id = -1 },
                       field: "menu[1].id", message: "menu[1].id must be positive, got -1"),
        DefinitionCase(label: "empty menu name", definition: changing { $0.menu[5].name = " " },
                       field: "menu[5].name", message: "menu[5].name must not be empty"),
        DefinitionCase(label: "empty category", definition: changing { $0.menu[5].category = "" },
                       field: "menu[5].category", message: "menu[5].category must not be empty"),
        DefinitionCase(label: "zero price", definition: changing { $0.menu[7].price = 0 },
                       field: "menu[7].price", message: "menu[7].price must be positive, got 0"),
        DefinitionCase(label: "duplicate user id", definition: changing { $0.users[10].id = 1 },
                       field: "users[10].id", message: "users[10].id 1 is a duplicate of users[0].id"),
        DefinitionCase(label: "zero user id", definition: changing { $0.users[2].id = 0 },
                       field: "users[2].id", message: "users[2].id must be positive, got 0"),
        DefinitionCase(label: "empty username", definition: changing { $0.users[2].username = "" },
                       field: "users[2].username", message: "users[2].username must not be empty"),
        DefinitionCase(label: "duplicate username", definition: changing { $0.users[4].username = "maria" },
                       field: "users[4].username",
                       message: "users[4].username \"maria\" is a duplicate of users[2].username"),
    ]
}

struct RestaurantDefinitionTests {
    @Test func defaultIsValid() throws {
        try RestaurantDefinition.default.validate()
    }

    @Test func defaultHasTwentyTablesOfTwoToEightSeats() {
        let tables = RestaurantDefinition.default.tables
        #expect(tables.map(\.number) == Array(1...20))
        #expect(tables.allSatisfy { (2...8).contains($0.seats) })
        #expect(Set(tables.map(\.seats)) == [2, 4, 6, 8])
    }

    @Test func defaultMenuHasThirtyItemsInSixCategories() {
        let menu = RestaurantDefinition.default.menu
        #expect(menu.count == 30)
        #expect(Set(menu.map(\.category)) == ["Starters", "Pizza", "Pasta", "Mains", "Desserts", "Drinks"])
        #expect(menu.allSatisfy { $0.price > 0 })
        #expect(menu.first { $0.id == 12 } == MenuItem(id: 12, name: "Margherita", category: "Pizza", price: 1150))
    }

    @Test func defaultStaffCoversEveryRole() {
        let users = RestaurantDefinition.default.users
        let counts = Dictionary(grouping: users, by: \.role).mapValues(\.count)
        #expect(counts == [.admin: 1, .manager: 2, .waiter: 5, .kitchen: 3])
        #expect(users.first { $0.id == 3 } == User(id: 3, username: "maria", role: .waiter))
    }

    @Test(arguments: DefinitionCase.all)
    func validateNamesTheField(_ invalid: DefinitionCase) {
        let error = #expect(throws: RestaurantDefinitionError.self) { try invalid.definition.validate() }
        #expect(error?.field == invalid.field)
        #expect(error?.message == invalid.message)
    }

    @Test func emptyDefinitionIsValid() throws {
        try RestaurantDefinition(tables: [], menu: [], users: []).validate()
    }

    @Test func decodesFromTheDocumentedKeys() throws {
        let json = #"""
            {"tables":[{"number":1,"seats":4}],
             "menu":[{"id":1,"name":"Margherita","category":"Pizza","price":1150}],
             "users":[{"id":1,"username":"maria","role":"waiter"}]}
            """#
        let definition = try JSONDecoder().decode(RestaurantDefinition.self, from: Data(json.utf8))
        #expect(definition == RestaurantDefinition(
            tables: [.init(number: 1, seats: 4)],
            menu: [MenuItem(id: 1, name: "Margherita", category: "Pizza", price: 1150)],
            users: [User(id: 1, username: "maria", role: .waiter)]
        ))
        let again = try JSONDecoder().decode(RestaurantDefinition.self,
                                             from: JSONEncoder().encode(RestaurantDefinition.default))
        #expect(again == .default)
    }
}
