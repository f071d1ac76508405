// Generated from Scenarios/*.yaml: the built-in scenarios, byte for byte. Do not edit by hand; when
// ScenarioLibraryTests finds a difference it writes the regenerated file and says where.

extension ScenarioLibrary {
    static let texts: [(name: String, text: String)] = [
        ("default", #"""
            # A moderate lunch at the built-in restaurant (20 tables), looping: what `tablecast serve` runs.
            # At 120x a two-hour lunch passes in a minute, and a client sees several events every second, even in the
            # quiet afternoon between two lunches. `--time-scale 1` runs it in real time.
            name: default
            description: A moderate lunch at the built-in trattoria, over and over.
            seed: 1
            restaurant: default
            timeScale: 120x
            loop: true
            phases:
              - { name: opening, duration: 20m, arrivalRate: 10/h, rampTo: 24/h }
              - { name: lunch, duration: 60m, arrivalRate: 24/h }
              - { name: winding-down, duration: 30m, arrivalRate: 24/h, rampTo: 10/h }
              - { name: afternoon, duration: 30m, arrivalRate: 10/h }
            traffic:
              parties:
                size: { 1: 10, 2: 40, 3: 15, 4: 22, 5: 5, 6: 5, 7: 1, 8: 2 }
                dwell: 30m..60m
                patience: 10m
              orders:
                perParty: 1..3
                items: 1..4
                firstAfter: 2m..6m
                nextAfter: 8m..15m
                serveAfter: 5m..15m
                completeAfter: 8m..20m
                cancelShare: 0.03
              serviceCalls:
                rate: 2/h
                types: { waiter: 5, water: 3, bill: 2, help: 1 }
                handleAfter: 30s..3m
              chatter:
                rate: 15/h
                kinds: { new: 6, edit: 2, pin: 1, delete: 1 }
                deleteAllRate: 1/4h
              menuChanges:
                rate: 1/h
              userChanges:
                rate: 1/2h
              forceResets:
                rate: 1/3h

            """#),
        ("dinner-rush", #"""
            # A dinner rush at the built-in restaurant: arrivals ramp up to more than the 20 tables can seat (parties wait,
            # some give up), hold, and ramp down; then the restaurant closes for the night and it starts over.
            name: dinner-rush
            description: Dinner that ramps up past capacity, holds, and winds down; night after night.
            seed: 7
            restaurant: default
            timeScale: 60x
            loop: true
            phases:
              - { name: early-birds, duration: 30m, arrivalRate: 6/h, rampTo: 20/h }
              - { name: rush, duration: 45m, arrivalRate: 20/h, rampTo: 45/h }
              - { name: peak, duration: 30m, arrivalRate: 45/h }
              - { name: cool-down, duration: 45m, arrivalRate: 45/h, rampTo: 8/h }
              - { name: last-orders, duration: 30m, arrivalRate: 8/h, rampTo: 0/h }
              - { name: closed, pause: 45m }
            traffic:
              parties:
                size: { 1: 4, 2: 40, 3: 14, 4: 26, 5: 6, 6: 6, 7: 1, 8: 3 }
                dwell: 45m..90m
                patience: 15m
                turnover: 2m..5m
              orders:
                perParty: 2..4
                items: 1..5
                quantity: { 1: 75, 2: 20, 3: 5 }
                firstAfter: 3m..8m
                nextAfter: 10m..20m
                serveAfter: 8m..25m
                completeAfter: 12m..25m
                cancelShare: 0.05
              checkout:
                startAfter: 2m..6m
                completeAfter: 2m..6m
              serviceCalls:
                rate: 3/h
                types: { waiter: 6, water: 4, bill: 3, help: 1 }
                handleAfter: 1m..6m
              chatter:
                rate: 30/h
                kinds: { new: 6, edit: 2, pin: 1, delete: 1 }
                deleteAllRate: 1/3h
              menuChanges:
                rate: 2/h
                kinds: { create: 1, update: 2, delete: 2 }
              userChanges:
                rate: 1/2h
              forceResets:
                rate: 1/h

            """#),
        ("steady-load", #"""
            # A load test: 5,000 events per second, held, from a 200-table restaurant that never empties. The runner paces the
            # events; model time runs as fast as it must, so payload times are minutes of model time apart only in the model.
            name: steady-load
            description: A fixed high event rate from a large, always busy restaurant.
            seed: 42
            rate: 5000/s
            loop: true
            restaurant:
              tables:
                - { numbers: 1..60, seats: 2 }
                - { numbers: 61..140, seats: 4 }
                - { numbers: 141..180, seats: 6 }
                - { numbers: 181..200, seats: 8 }
              menu:
                - { id: 1, name: Bruschetta, category: Starters, price: 650 }
                - { id: 2, name: Arancini, category: Starters, price: 850 }
                - { id: 3, name: Burrata, category: Starters, price: 1250 }
                - { id: 4, name: Spaghetti Carbonara, category: Pasta, price: 1450 }
                - { id: 5, name: Tagliatelle al Ragù, category: Pasta, price: 1550 }
                - { id: 6, name: Gnocchi al Pesto, category: Pasta, price: 1400 }
                - { id: 7, name: Margherita, category: Pizza, price: 1150 }
                - { id: 8, name: Diavola, category: Pizza, price: 1350 }
                - { id: 9, name: Quattro Formaggi, category: Pizza, price: 1450 }
                - { id: 10, name: Grilled Sea Bass, category: Mains, price: 2450 }
                - { id: 11, name: Beef Tagliata, category: Mains, price: 2650 }
                - { id: 12, name: Tiramisù, category: Desserts, price: 750 }
                - { id: 13, name: Panna Cotta, category: Desserts, price: 700 }
                - { id: 14, name: Espresso, category: Drinks, price: 280 }
                - { id: 15, name: House Red Wine (glass), category: Drinks, price: 650 }
              staff:
                - { id: 1, username: giulia, role: admin }
                - { id: 2, username: marco, role: manager }
                - { id: 3, username: maria, role: waiter }
                - { id: 4, username: tom, role: waiter }
                - { id: 5, username: aisha, role: waiter }
                - { id: 6, username: jonas, role: waiter }
                - { id: 7, username: kenji, role: kitchen }
                - { id: 8, username: rosa, role: kitchen }
            phases:
              - { name: steady, duration: 1h, arrivalRate: 330/h }
            traffic:
              parties:
                dwell: 20m..40m
                patience: 5m
                turnover: 30s..1m
              orders:
                perParty: 1..3
                items: 1..4
                firstAfter: 1m..3m
                nextAfter: 5m..10m
                serveAfter: 3m..8m
                completeAfter: 5m..12m
                cancelShare: 0.03
              checkout:
                startAfter: 1m..2m
                completeAfter: 1m..3m
              serviceCalls:
                rate: 3/h
                handleAfter: 30s..2m
              chatter:
                rate: 120/h
                deleteAllRate: 1/h
              menuChanges:
                rate: 4/h
              userChanges:
                rate: 2/h
              forceResets:
                rate: 4/h

            """#),
        ("chaos", #"""
            # The default lunch with everything the backend contract warns about, for a frontend to prove it survives: duplicated
            # and replayed transitions, events outside the catalog, payloads with fields it does not know, dropped connections and
            # stalled delivery. The traffic is exactly the default scenario's; the faults draw from a random stream of their own.
            # At 120x, something goes wrong every few seconds and every client is cut about every 30 seconds.
            name: chaos
            description: The default lunch, with duplicates, replays, unknown events, extra fields, disconnects and delays.
            seed: 1
            restaurant: default
            timeScale: 120x
            loop: true
            phases:
              - { name: opening, duration: 20m, arrivalRate: 10/h, rampTo: 24/h }
              - { name: lunch, duration: 60m, arrivalRate: 24/h }
              - { name: winding-down, duration: 30m, arrivalRate: 24/h, rampTo: 10/h }
              - { name: afternoon, duration: 30m, arrivalRate: 10/h }
            traffic:
              parties:
                size: { 1: 10, 2: 40, 3: 15, 4: 22, 5: 5, 6: 5, 7: 1, 8: 2 }
                dwell: 30m..60m
                patience: 10m
              orders:
                perParty: 1..3
                items: 1..4
                firstAfter: 2m..6m
                nextAfter: 8m..15m
                serveAfter: 5m..15m
                completeAfter: 8m..20m
                cancelShare: 0.03
              serviceCalls:
                rate: 2/h
                types: { waiter: 5, water: 3, bill: 2, help: 1 }
                handleAfter: 30s..3m
              chatter:
                rate: 15/h
                kinds: { new: 6, edit: 2, pin: 1, delete: 1 }
                deleteAllRate: 1/4h
              menuChanges:
                rate: 1/h
              userChanges:
                rate: 1/2h
              forceResets:
                rate: 1/3h
            faults:                                     # rates in model time, like the traffic
              duplicate: { rate: 1/5m }                 # the latest transition, sent again
              replay: { rate: 1/15m, count: 3..8 }      # the last few transitions, sent again in order
              unknownEvent: { rate: 1/10m, names: ["order:archived", "kitchen:ticketPrinted", "table:merged"] }
              extraFields: { rate: 1/10m, count: 1..3 } # the next transitions carry a field the contract does not have
              disconnect: { rate: 1/h, clients: 50%, mode: transport }   # half the clients lose their connection and reconnect
              delay: { rate: 1/30m, duration: 1s..4s }  # delivery stalls (wall-clock seconds), then catches up in order

            """#),
    ]
}
