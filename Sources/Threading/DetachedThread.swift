#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Starts detached pthreads for blocking work that must stay off event loops and the cooperative pool.
public enum DetachedThread {
    /// The closure a new thread runs, passed through pthread's untyped context pointer.
    private final class Entry {
        let body: () -> Void

        init(body: @escaping () -> Void) {
            self.body = body
        }
    }

    /// Starts a detached thread running `body`.
    ///
    /// - Parameter body: The work; `sending`, so whatever it captures belongs to the new thread alone.
    /// - Returns: 0, or the error number from `pthread_create`.
    public static func start(_ body: sending @escaping () -> Void) -> Int32 {
        let entry = Unmanaged.passRetained(Entry(body: body))
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        #if canImport(Darwin)
        var thread: pthread_t?
        #else
        var thread = pthread_t()
        #endif
        let code = pthread_create(&thread, &attributes, { context in
            // Darwin passes a non-optional context; Glibc an optional one, never nil here.
            #if canImport(Darwin)
            let entry = Unmanaged<Entry>.fromOpaque(context).takeRetainedValue()
            #else
            let entry = Unmanaged<Entry>.fromOpaque(context!).takeRetainedValue()
            #endif
            entry.body()
            return nil
        }, entry.toOpaque())
        if code != 0 {
            entry.release()
        }
        return code
    }
}
