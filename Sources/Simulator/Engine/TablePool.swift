import Restaurant

/// The engine's view of the dining room: which tables it may seat a party at.
///
/// Tables are grouped by seat count. A party sits at a random free table of the smallest size that seats it. A table
/// leaves the pool while a party of the engine sits there; one that the state shows occupied by someone else (a REST
/// user) is set aside and checked again before each seating, so tables come back once whoever took them is done.
struct TablePool: Sendable {
    /// Table numbers by index, ordered by seats, then number.
    private(set) var numbers: [Int] = []
    /// Seats by index.
    private(set) var seats: [Int] = []
    /// The distinct seat counts, ascending.
    private var classSeats: [Int] = []
    /// The seat-count class of each index.
    private var classOfIndex: [Int] = []
    /// The free indices of each class, unordered.
    private var free: [[Int]] = []
    /// Indices of tables held by someone other than the engine, to check again.
    private var setAside: [Int] = []

    var isEmpty: Bool { self.numbers.isEmpty }

    /// The largest table.
    var maximumSeats: Int { self.classSeats.last ?? 0 }

    /// Builds the pool from the state's tables: those available there are free, the others held.
    init(state: borrowing RestaurantState) {
        var tables: [(number: Int, seats: Int)] = []
        tables.reserveCapacity(state.tables.count)
        for table in state.tables.values {
            tables.append((table.number, table.seats))
        }
        tables.sort { ($0.seats, $0.number) < ($1.seats, $1.number) }
        self.numbers = tables.map(\.number)
        self.seats = tables.map(\.seats)
        for (index, table) in tables.enumerated() {
            if self.classSeats.last != table.seats {
                self.classSeats.append(table.seats)
                self.free.append([])
            }
            self.classOfIndex.append(self.classSeats.count - 1)
            // An occupied table is neither free nor set aside: the engine adopts the party there.
            if state.tables[table.number]?.status == .available {
                self.free[self.classSeats.count - 1].append(index)
            }
        }
    }

    init() {}

    /// Takes a random free table of the smallest size that seats `size`; `nil` when none is free.
    mutating func take(size: Int, random: inout SimulationRandom) -> Int? {
        for seatClass in self.classSeats.indices where self.classSeats[seatClass] >= size {
            let count = self.free[seatClass].count
            guard count > 0 else { continue }
            let position = count == 1 ? 0 : random.index(count)
            return self.free[seatClass].swapRemoveAt(position)
        }
        return nil
    }

    /// Gives a table back to the pool.
    mutating func release(_ index: Int) {
        self.free[self.classOfIndex[index]].append(index)
    }

    /// Sets a table aside: someone else holds it.
    mutating func setAside(_ index: Int) {
        self.setAside.append(index)
    }

    /// Returns to the pool the tables set aside that the state shows available again.
    mutating func reclaim(from state: borrowing RestaurantState) {
        guard !self.setAside.isEmpty else { return }
        var position = 0
        while position < self.setAside.count {
            let index = self.setAside[position]
            if state.tables[self.numbers[index]]?.status == .available {
                self.release(self.setAside.swapRemoveAt(position))
            } else {
                position += 1
            }
        }
    }
}

extension Array {
    /// Removes the element at `position` by moving the last one into its place: O(1), order not kept.
    mutating func swapRemoveAt(_ position: Int) -> Element {
        let last = self.count - 1
        if position != last {
            self.swapAt(position, last)
        }
        return self.removeLast()
    }
}
