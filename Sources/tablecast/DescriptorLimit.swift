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

/// glibc's allocator, tuned for a server that sees bursts of large events.
enum AllocatorTuning {
    /// Pins glibc's mmap threshold at 128 KiB. glibc raises it each time a large block is freed, after which blocks
    /// of up to 32 MiB come from the heap and stay there once freed: a burst of 1 MB events through the journal's
    /// backlog then held on to ~140 MB for good. Pinned, such blocks are mapped and go back to the system when freed.
    static func apply() {
        #if canImport(Glibc)
        // `mallopt` is in <malloc.h>, which Swift's Glibc module leaves out: looked up by name instead.
        // M_MMAP_THRESHOLD is -3 in glibc's ABI.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return }
        _ = unsafeBitCast(symbol, to: Mallopt.self)(-3, 128 << 10)
        #endif
    }
}
