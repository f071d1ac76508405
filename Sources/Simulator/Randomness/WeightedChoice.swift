/// A choice among values with relative weights, drawn with ``SimulationRandom``.
///
/// The values keep the order they were given in (the scenario parser sorts them), so a draw depends only on the
/// weights and the random number, never on a dictionary's order.
public struct WeightedChoice<Value: Sendable & Hashable>: Sendable, Hashable {
    /// The values and their weights, in drawing order.
    public let entries: [(value: Value, weight: Double)]
    /// Running sums of the weights.
    private let cumulative: [Double]

    /// A choice among `entries`; the weights must not be negative and must not all be zero.
    public init(_ entries: [(value: Value, weight: Double)]) {
        precondition(!entries.isEmpty, "a weighted choice needs at least one value")
        var sum = 0.0
        var cumulative: [Double] = []
        for entry in entries {
            precondition(entry.weight >= 0 && entry.weight.isFinite, "weights must be finite and not negative")
            sum += entry.weight
            cumulative.append(sum)
        }
        precondition(sum > 0, "the weights must not all be zero")
        self.entries = entries
        self.cumulative = cumulative
    }

    /// The sum of the weights.
    public var totalWeight: Double { self.cumulative[self.cumulative.count - 1] }

    /// The probability of each value, in order.
    public var probabilities: [Double] { self.entries.map { $0.weight / self.totalWeight } }

    /// Draws a value: each with probability weight / total.
    public func draw(using random: inout SimulationRandom) -> Value {
        let target = random.unit() * self.totalWeight
        // A handful of values: a linear scan beats a binary search.
        for index in self.cumulative.indices where target < self.cumulative[index] && self.entries[index].weight > 0 {
            return self.entries[index].value
        }
        // Rounding at the very top: the last value with a weight.
        return self.entries.last { $0.weight > 0 }!.value
    }

    public static func == (lhs: WeightedChoice, rhs: WeightedChoice) -> Bool {
        lhs.entries.elementsEqual(rhs.entries) { $0.value == $1.value && $0.weight == $1.weight }
    }

    public func hash(into hasher: inout Hasher) {
        for entry in self.entries {
            hasher.combine(entry.value)
            hasher.combine(entry.weight)
        }
    }
}
