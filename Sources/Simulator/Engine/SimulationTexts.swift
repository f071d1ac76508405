/// The words the simulated staff use: message texts, kitchen notes, new dishes and new colleagues.
///
/// Constant strings, so that picking one allocates nothing on the hot path.
enum SimulationTexts {
    static let messages: [String] = [
        "Table 7 is celebrating a birthday",
        "86 the sea bass for tonight",
        "Need a runner at the pass",
        "Large party expected at 8, keep the back tables",
        "Dishwasher is backed up, please stack carefully",
        "Out of Limonata, offer sparkling water instead",
        "VIP guest at the window table",
        "Allergy alert: nut allergy at the corner table",
        "Fresh burrata just arrived",
        "Please restock the napkins at the service station",
        "Card terminal 2 is offline, use terminal 1",
        "Kitchen is 10 minutes behind on mains",
        "Remember to offer the dessert specials",
        "Spill near the bar, mind your step",
        "Who can cover the terrace for 15 minutes?",
        "Espresso machine is being descaled",
        "Reservation for 6 moved to 19:30",
        "Grazie everyone, great service tonight!",
        "Table by the door says it is drafty, offer to move them",
        "Today's special: porcini risotto",
    ]

    static let edits: [String] = [
        "Update: the kitchen caught up",
        "Correction: the large party comes at 8:30",
        "Edit: terminal 2 is back online",
        "Update: sea bass is back on",
        "Correction: it is the corner table, not the window",
        "Update: napkins restocked, thanks",
        "Edit: Limonata delivered",
        "Update: the spill is cleaned up",
    ]

    static let notes: [String] = [
        "no onions", "gluten free", "extra spicy", "well done", "sauce on the side", "no cheese", "vegan",
        "allergic to nuts", "to share", "kids portion",
    ]

    static let dishes: [(name: String, category: String, price: Int)] = [
        ("Porcini Risotto", "Specials", 1850),
        ("Burrata Salad", "Starters", 1150),
        ("Vitello Tonnato", "Starters", 1300),
        ("Pappardelle al Cinghiale", "Pasta", 1750),
        ("Ravioli di Zucca", "Pasta", 1550),
        ("Pizza Tartufo", "Pizza", 1650),
        ("Pizza Ortolana", "Pizza", 1350),
        ("Ossobuco", "Mains", 2650),
        ("Branzino al Forno", "Mains", 2450),
        ("Semifreddo al Pistacchio", "Desserts", 750),
        ("Torta della Nonna", "Desserts", 700),
        ("Negroni", "Drinks", 900),
        ("Aperol Spritz", "Drinks", 850),
        ("Chinotto", "Drinks", 400),
    ]

    static let usernames: [String] = [
        "luca", "sofia", "matteo", "chiara", "andrea", "francesca", "davide", "sara", "nico", "alessia",
        "pietro", "martina", "samuel", "noemi", "leo", "bianca",
    ]
}
