#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's limit on open file descriptors, which bounds how many connections a server can hold.
enum DescriptorLimit {
    /// Descriptors kept for what is not a connection: the journal's two connections and its WAL, the listening
    /// socket, the event loops' own descriptors, standard streams, a journal tool a user runs beside.
    static let reserved = 64

    /// Raises the soft limit to the hard limit (what servers usually do: the soft limit is often 1,024), and returns
    /// the soft limit in force afterwards.
    static func raiseToHardLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 {
                limit = raised
            }
        }
        return Int(clamping: min(limit.rlim_cur, rlim_t(Int32.max)))
    }
}
