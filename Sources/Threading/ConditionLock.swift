#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A pthread mutex guarding a value, with condition variables to wait for changes to it.
///
/// `Mutex` from Synchronization cannot be waited on, and the journal writer's thread must sleep until there is work,
/// so this is the small classic: a mutex plus condition variables, all on the heap so their addresses never move.
///
/// `@unchecked Sendable`: `state` is only read or written inside `withLock` (or a wait), that is with `mutex` held,
/// and the pthread objects are designed for use from several threads. `State` is `Sendable`, so values moving in and
/// out of the lock carry no shared mutable state of their own.
public final class ConditionLock<State: Sendable>: @unchecked Sendable {
    /// A condition variable of this lock, by index.
    public struct Condition: Sendable {
        @usableFromInline let index: Int

        /// The condition with the given index, which must be below the lock's `conditionCount`.
        public init(_ index: Int) {
            self.index = index
        }
    }

    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    @usableFromInline let conditions: UnsafeMutablePointer<pthread_cond_t>
    @usableFromInline let conditionCount: Int
    @usableFromInline var state: State

    /// Creates the lock.
    ///
    /// - Parameters:
    ///   - state: The initial value.
    ///   - conditionCount: How many condition variables to create.
    public init(_ state: State, conditionCount: Int) {
        self.state = state
        self.conditionCount = conditionCount
        self.mutex = .allocate(capacity: 1)
        self.conditions = .allocate(capacity: conditionCount)
        // These only fail for invalid attributes or exhausted memory, which nothing here can recover from.
        precondition(pthread_mutex_init(self.mutex, nil) == 0, "pthread_mutex_init failed")
        for index in 0..<conditionCount {
            precondition(pthread_cond_init(self.conditions + index, nil) == 0, "pthread_cond_init failed")
        }
    }

    deinit {
        for index in 0..<self.conditionCount {
            pthread_cond_destroy(self.conditions + index)
        }
        pthread_mutex_destroy(self.mutex)
        self.conditions.deallocate()
        self.mutex.deallocate()
    }

    /// Runs `body` with the mutex held.
    @inlinable
    public func withLock<Result, Failure: Error>(_ body: (inout State) throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(self.mutex)
        defer { pthread_mutex_unlock(self.mutex) }
        return try body(&self.state)
    }

    /// Waits on `condition` until `isReady` holds, then runs `body`, all with the mutex held.
    ///
    /// - Parameters:
    ///   - condition: The condition variable that is signalled when the state may have become ready.
    ///   - isReady: Whether to stop waiting; checked before the first wait and after every wakeup.
    ///   - body: Runs once `isReady` holds.
    @inlinable
    public func withLock<Result, Failure: Error>(
        waitingOn condition: Condition,
        until isReady: (State) -> Bool,
        _ body: (inout State) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        pthread_mutex_lock(self.mutex)
        defer { pthread_mutex_unlock(self.mutex) }
        while !isReady(self.state) {
            pthread_cond_wait(self.conditions + condition.index, self.mutex)
        }
        return try body(&self.state)
    }

    /// Wakes one thread waiting on `condition`.
    @inlinable
    public func signal(_ condition: Condition) {
        pthread_cond_signal(self.conditions + condition.index)
    }

    /// Wakes every thread waiting on `condition`.
    @inlinable
    public func broadcast(_ condition: Condition) {
        pthread_cond_broadcast(self.conditions + condition.index)
    }
}
