/// The simulator's random numbers: xoshiro256** seeded through SplitMix64, with the draws the traffic model needs.
///
/// Same seed, same numbers, on every run and every machine: the generator and every helper use only integer
/// arithmetic and IEEE-exact floating-point operations (`+`, `-`, `*`, `/`), never the standard library's
/// `random(in:)` (whose algorithm may change between Swift versions) nor the C library's `log` (whose last bit may
/// differ between C libraries). It is a `RandomNumberGenerator`, so the standard library's shuffles work with it too,
/// with that caveat.
public struct SimulationRandom: RandomNumberGenerator, Sendable, Hashable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// A generator whose whole sequence follows from `seed`.
    public init(seed: UInt64) {
        // SplitMix64 spreads any seed, 0 included, over the 256 bits of state (xoshiro's authors' advice).
        var splitMix = seed
        func next() -> UInt64 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        self.s0 = next()
        self.s1 = next()
        self.s2 = next()
        self.s3 = next()
    }

    /// The next 64 random bits (xoshiro256**).
    public mutating func next() -> UInt64 {
        let result = Self.rotate(self.s1 &* 5, 7) &* 9
        let t = self.s1 << 17
        self.s2 ^= self.s0
        self.s3 ^= self.s1
        self.s1 ^= self.s2
        self.s0 ^= self.s3
        self.s2 ^= t
        self.s3 = Self.rotate(self.s3, 45)
        return result
    }

    private static func rotate(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value << count) | (value >> (64 - count))
    }

    // MARK: Draws

    /// A uniform number in `[0, 1)`, with 53 random bits.
    public mutating func unit() -> Double {
        Double(self.next() >> 11) * 0x1.0p-53
    }

    /// A uniform number in `lower...upper` (`lower` when the bounds are equal).
    public mutating func uniform(_ lower: Double, _ upper: Double) -> Double {
        lower + (upper - lower) * self.unit()
    }

    /// A uniform integer in `range`, without bias (Lemire's multiply-and-reject).
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        let span = UInt64(bitPattern: Int64(range.upperBound &- range.lowerBound)) &+ 1
        if span == 0 {  // the whole Int range
            return Int(truncatingIfNeeded: self.next())
        }
        return range.lowerBound &+ Int(truncatingIfNeeded: self.below(span))
    }

    /// A uniform integer in `0..<count`; `count` must be positive.
    public mutating func index(_ count: Int) -> Int {
        precondition(count > 0, "index(_:) needs a positive count")
        return Int(truncatingIfNeeded: self.below(UInt64(count)))
    }

    /// `true` with probability `probability` (clamped to `0...1`).
    public mutating func chance(_ probability: Double) -> Bool {
        probability > 0 && self.unit() < probability
    }

    /// An exponentially distributed wait with the given rate (events per unit of time): the time to the next event
    /// of a Poisson process. Infinite when the rate is not positive.
    public mutating func exponential(rate: Double) -> Double {
        guard rate > 0 else { return .infinity }
        // 1 - unit() lies in (0, 1], so the logarithm is finite.
        return -Self.log(1 - self.unit()) / rate
    }

    /// A uniform element of a non-empty array.
    public mutating func element<Element>(of array: [Element]) -> Element {
        array[self.index(array.count)]
    }

    private mutating func below(_ bound: UInt64) -> UInt64 {
        var product = self.next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold {
                product = self.next().multipliedFullWidth(by: bound)
            }
        }
        return product.high
    }

    // MARK: Logarithm

    /// The natural logarithm of a positive, finite number, from IEEE-exact operations only.
    ///
    /// `x = m · 2^e` with `m` in `[√½, √2)`, then `ln m = 2 atanh(s)` with `s = (m - 1)/(m + 1)`, `|s| < 0.172`,
    /// summed to the 19th power: the error is below 1e-15 relative, far finer than any model time needs, and the
    /// result is the same bit for bit wherever IEEE 754 doubles are.
    public static func log(_ x: Double) -> Double {
        precondition(x > 0 && x.isFinite, "log(_:) needs a positive finite number")
        var exponent = Int(x.exponent)
        var mantissa = x.significand  // [1, 2)
        if mantissa >= 1.414_213_562_373_095_1 {
            mantissa *= 0.5
            exponent += 1
        }
        let s = (mantissa - 1) / (mantissa + 1)
        let s2 = s * s
        var term = s
        var sum = s
        var denominator = 1.0
        for _ in 0..<9 {
            term *= s2
            denominator += 2
            sum += term / denominator
        }
        return 2 * sum + Double(exponent) * 0.693_147_180_559_945_3
    }
}
