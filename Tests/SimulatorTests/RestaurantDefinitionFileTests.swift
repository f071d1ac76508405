import Foundation
import Restaurant
import Simulator
import Testing

struct RestaurantDefinitionFileTests {
    private let valid = """
        tables:
          - { number: 1, seats: 4 }
          - { number: 2, seats: 2 }
        menu:
          - { id: 1, name: Bruschetta, category: Starters, price: 650 }
        staff:
          - { id: 1, username: maria, role: waiter }
        """

    @Test func parsesAValidDefinition() throws {
        let definition = try RestaurantDefinitionFile.parse(self.valid, path: "r.yaml")
        #expect(definition.tables.map(\.number) == [1, 2])
        #expect(definition.menu == [MenuItem(id: 1, name: "Bruschetta", category: "Starters", price: 650)])
        #expect(definition.users == [User(id: 1, username: "maria", role: .waiter)])
    }

    @Test func loadsTheShippedExample() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Scenarios/restaurants/trattoria.yaml").path
        let definition = try RestaurantDefinitionFile.load(path: path)
        #expect(definition.tables.count == 6)
        #expect(definition.menu.count == 10)
    }

    @Test(arguments: [
        // (text, line, field, fragment of the message)
        ("tables:\n  - { number: 1, seats: four }\nmenu: []\nstaff: []\n", 2, "tables[0].seats", "expected an integer"),
        ("tables: []\nmenu:\n  - { id: 1, name: A, category: B }\nstaff: []\n", 3, "menu[0].price", "missing field"),
        ("tables: []\nmenu: []\nstaff:\n  - { id: 1, username: a, role: chef }\n", 4, "staff[0].role", "waiter"),
        ("tables: []\nmenu: []\nstaff: []\nwaiters: 3\n", 4, "waiters", "unknown field"),
        ("tables:\n  - { number: 1, seats: 2 }\n  - { number: 1, seats: 4 }\nmenu: []\nstaff: []\n", 3,
         "tables[1].number", "duplicate"),
        ("tables: []\nmenu:\n  - { id: 1, name: A, category: B, price: -5 }\nstaff: []\n", 3, "menu[0].price",
         "price"),
        // libyaml notices the unclosed list at the end of the text.
        ("tables: [\nmenu: []\n", 3, nil, "invalid YAML"),
        ("menu: []\nstaff: []\n", 1, "tables", "missing field"),
    ] as [(String, Int, String?, String)])
    func namesTheLineAndTheField(text: String, line: Int, field: String?, fragment: String) {
        do {
            _ = try RestaurantDefinitionFile.parse(text, path: "bad.yaml")
            Issue.record("accepted an invalid definition")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.field == field, "\(error)")
            #expect(error.description.contains(fragment), "\(error)")
            #expect(error.description.hasPrefix("bad.yaml:"), "\(error)")
        }
    }

    @Test func aRunOfTablesIsOneEntry() throws {
        let definition = try RestaurantDefinitionFile.parse(
            "tables:\n  - { numbers: 1..3, seats: 2 }\n  - { number: 7, seats: 6 }\nmenu: []\nstaff: []\n",
            path: "r.yaml"
        )
        #expect(definition.tables.map(\.number) == [1, 2, 3, 7])
        #expect(definition.tables.map(\.seats) == [2, 2, 2, 6])
    }

    @Test(arguments: [
        ("tables:\n  - { numbers: 1..3, seats: 2 }\n  - { number: 2, seats: 4 }\nmenu: []\nstaff: []\n", 3,
         "tables[1].number", "tables[1].number 2 is a duplicate of tables[0].numbers"),
        ("tables:\n  - { numbers: 3..1, seats: 2 }\nmenu: []\nstaff: []\n", 2, "tables[0].numbers", "backwards"),
        ("tables:\n  - { numbers: 0..4, seats: 2 }\nmenu: []\nstaff: []\n", 2, "tables[0].numbers", "positive"),
        ("tables:\n  - { number: 1, numbers: 2..4, seats: 2 }\nmenu: []\nstaff: []\n", 2, "tables[0]", "not both"),
        ("tables:\n  - { numbers: 1..100000, seats: 2 }\nmenu: []\nstaff: []\n", 2, "tables[0].numbers",
         "at most 10000 tables"),
    ] as [(String, Int, String?, String)])
    func runsOfTablesAreChecked(text: String, line: Int, field: String?, fragment: String) {
        do {
            _ = try RestaurantDefinitionFile.parse(text, path: "bad.yaml")
            Issue.record("accepted an invalid definition")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.field == field, "\(error)")
            #expect(error.description.contains(fragment), "\(error)")
        }
    }

    @Test func aMissingFileIsAClearError() {
        #expect(throws: ConfigurationError.self) { try RestaurantDefinitionFile.load(path: "/nonexistent/r.yaml") }
    }
}
