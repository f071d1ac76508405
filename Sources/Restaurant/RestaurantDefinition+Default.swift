extension RestaurantDefinition {
    /// The built-in restaurant: 20 tables of 2 to 8 seats, a 30-item menu in six categories and 11 staff in every
    /// role.
    ///
    /// Menu item 12 is the Margherita at 11.50 and user 3 is maria, a waiter, as in the contract's examples, so that
    /// examples written against the contract read true against the default restaurant.
    public static let `default` = RestaurantDefinition(
        tables: zip(1...20, [2, 2, 4, 4, 4, 6, 2, 4, 8, 4, 2, 4, 6, 4, 2, 4, 4, 6, 8, 2]).map {
            TableDefinition(number: $0.0, seats: $0.1)
        },
        menu: [
            MenuItem(id: 1, name: "Bruschetta al Pomodoro", category: "Starters", price: 750),
            MenuItem(id: 2, name: "Arancini", category: "Starters", price: 850),
            MenuItem(id: 3, name: "Burrata with Cherry Tomatoes", category: "Starters", price: 1250),
            MenuItem(id: 4, name: "Fried Calamari", category: "Starters", price: 1100),
            MenuItem(id: 5, name: "Minestrone", category: "Starters", price: 800),
            MenuItem(id: 6, name: "Spaghetti Carbonara", category: "Pasta", price: 1450),
            MenuItem(id: 7, name: "Penne all'Arrabbiata", category: "Pasta", price: 1250),
            MenuItem(id: 8, name: "Tagliatelle al Ragù", category: "Pasta", price: 1550),
            MenuItem(id: 9, name: "Lasagne alla Bolognese", category: "Pasta", price: 1600),
            MenuItem(id: 10, name: "Linguine alle Vongole", category: "Pasta", price: 1850),
            MenuItem(id: 11, name: "Gnocchi al Pesto", category: "Pasta", price: 1400),
            MenuItem(id: 12, name: "Margherita", category: "Pizza", price: 1150),
            MenuItem(id: 13, name: "Marinara", category: "Pizza", price: 950),
            MenuItem(id: 14, name: "Diavola", category: "Pizza", price: 1350),
            MenuItem(id: 15, name: "Quattro Formaggi", category: "Pizza", price: 1450),
            MenuItem(id: 16, name: "Prosciutto e Funghi", category: "Pizza", price: 1450),
            MenuItem(id: 17, name: "Capricciosa", category: "Pizza", price: 1500),
            MenuItem(id: 18, name: "Chicken Milanese", category: "Mains", price: 1950),
            MenuItem(id: 19, name: "Grilled Sea Bass", category: "Mains", price: 2450),
            MenuItem(id: 20, name: "Beef Tagliata", category: "Mains", price: 2650),
            MenuItem(id: 21, name: "Saltimbocca alla Romana", category: "Mains", price: 2250),
            MenuItem(id: 22, name: "Eggplant Parmigiana", category: "Mains", price: 1750),
            MenuItem(id: 23, name: "Tiramisù", category: "Desserts", price: 750),
            MenuItem(id: 24, name: "Panna Cotta", category: "Desserts", price: 700),
            MenuItem(id: 25, name: "Cannoli", category: "Desserts", price: 650),
            MenuItem(id: 26, name: "Affogato", category: "Desserts", price: 600),
            MenuItem(id: 27, name: "Espresso", category: "Drinks", price: 280),
            MenuItem(id: 28, name: "Sparkling Water 0.75l", category: "Drinks", price: 450),
            MenuItem(id: 29, name: "House Red Wine (glass)", category: "Drinks", price: 650),
            MenuItem(id: 30, name: "Limonata", category: "Drinks", price: 400),
        ],
        users: [
            User(id: 1, username: "giulia", role: .admin),
            User(id: 2, username: "marco", role: .manager),
            User(id: 3, username: "maria", role: .waiter),
            User(id: 4, username: "tom", role: .waiter),
            User(id: 5, username: "aisha", role: .waiter),
            User(id: 6, username: "jonas", role: .waiter),
            User(id: 7, username: "elena", role: .waiter),
            User(id: 8, username: "priya", role: .manager),
            User(id: 9, username: "kenji", role: .kitchen),
            User(id: 10, username: "rosa", role: .kitchen),
            User(id: 11, username: "omar", role: .kitchen),
        ]
    )
}
