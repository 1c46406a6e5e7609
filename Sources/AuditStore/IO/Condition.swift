#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A mutex with a condition variable, for the writer's producer/flusher hand-off.
///
/// `@unchecked Sendable`: the pthread objects are allocated once, never moved, and only touched
/// through pthread calls, which are thread-safe by definition; the protected value is only reached
/// inside `withLock`.
package final class Condition<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var value: Value

    package init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        #if !canImport(Darwin)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        #endif
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    package func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }

    /// Waits until `predicate` holds or `timeout` seconds pass, then runs `body` under the lock.
    package func wait<R>(
        until predicate: (Value) -> Bool,
        timeout: Double?,
        _ body: (inout Value) throws -> R
    ) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if let timeout {
            let deadline = Condition.deadline(after: timeout)
            while !predicate(value) {
                var d = deadline
                if pthread_cond_timedwait(condition, mutex, &d) == ETIMEDOUT { break }
            }
        } else {
            while !predicate(value) { pthread_cond_wait(condition, mutex) }
        }
        return try body(&value)
    }

    package func broadcast() {
        pthread_cond_broadcast(condition)
    }

    private static func deadline(after seconds: Double) -> timespec {
        var now = timespec()
        #if canImport(Darwin)
        clock_gettime(CLOCK_REALTIME, &now)
        #else
        clock_gettime(CLOCK_MONOTONIC, &now)
        #endif
        let total = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9 + max(0, seconds)
        let whole = total.rounded(.down)
        return timespec(tv_sec: Int(whole), tv_nsec: Int((total - whole) * 1e9))
    }
}

/// Seconds on a monotonic clock, for cadences and ages that must not follow wall-clock jumps.
package func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
