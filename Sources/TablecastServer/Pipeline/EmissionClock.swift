import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// The clocks an emission is stamped with: monotonic nanoseconds (ordering, latency, replay spacing) and wall
/// milliseconds (the journal's `wall_ms`). The pipeline reads them once per input; the core never reads a clock.
public enum EmissionClock {
    public struct Stamp: Sendable, Equatable {
        public var monoNanos: Int64
        public var wallMillis: Int64

        public init(monoNanos: Int64, wallMillis: Int64) {
            self.monoNanos = monoNanos
            self.wallMillis = wallMillis
        }
    }

    /// Both clocks, now.
    public static func now() -> Stamp {
        Stamp(monoNanos: Int64(NIODeadline.now().uptimeNanoseconds), wallMillis: Self.wallMillis())
    }

    /// Milliseconds since 1970 on the wall clock.
    public static func wallMillis() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
