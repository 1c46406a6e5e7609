#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// Computes `work(0..<count)` on all cores while one consumer takes the results in order, keeping at
/// most `window` results computed ahead of it: memory stays bounded however long the sequence is.
///
/// The consumer computes items itself while the one it needs is not ready, so the work progresses even
/// when no helper thread is free (for example inside `concurrentPerform`); helpers never block, they
/// stop when the window is full and the consumer starts them again as it takes results.
///
/// `@unchecked Sendable`: all mutable state is inside `state` (a mutex); `work` reads only values it
/// captured by copy.
package final class PipelinedWork<T>: @unchecked Sendable {
    private struct State {
        var slots: [T?]
        var nextClaim = 0
        var nextTake = 0
        var helpers = 0
        var cancelled = false
    }

    private let count: Int
    private let window: Int
    private let maxHelpers: Int
    private let work: (Int) -> T
    private let state: Condition<State>

    /// - Parameters:
    ///   - window: The most results computed but not yet taken.
    ///   - helpers: Threads computing besides the consumer (default: one per core but one).
    package init(count: Int, window: Int, helpers: Int? = nil, _ work: @escaping (Int) -> T) {
        self.count = count
        self.window = max(1, window)
        self.maxHelpers = max(0, helpers ?? (PipelinedWork.processorCount - 1))
        self.work = work
        state = Condition(State(slots: Array(repeating: nil, count: max(1, window))))
        startHelpers()
    }

    /// Cores online.
    package static var processorCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// The result for `index`, which must be the next one not yet taken.
    package func take(_ index: Int) -> T {
        precondition(index < count)
        while true {
            var job: Int?
            let result: T? = state.wait(until: { $0.slots[index % self.window] != nil || self.claimable($0) }, timeout: nil) { s in
                precondition(index == s.nextTake, "results are taken in order")
                if let result = s.slots[index % window] {
                    s.slots[index % window] = nil
                    s.nextTake += 1
                    return result
                }
                job = claim(&s)
                return nil
            }
            if let result {
                startHelpers()
                return result
            }
            if let job { run(job) }
        }
    }

    /// Stops computing further items (those in progress finish and are dropped).
    package func cancel() {
        state.withLock { $0.cancelled = true }
    }

    private func claimable(_ s: State) -> Bool {
        !s.cancelled && s.nextClaim < count && s.nextClaim < s.nextTake + window
    }

    private func claim(_ s: inout State) -> Int? {
        guard claimable(s) else { return nil }
        s.nextClaim += 1
        return s.nextClaim - 1
    }

    private func run(_ job: Int) {
        let result = work(job)
        state.withLock { $0.slots[job % window] = result }
        state.broadcast()
    }

    private func startHelpers() {
        let starting = state.withLock { s in
            let n = claimable(s) ? min(maxHelpers - s.helpers, s.nextTake + window - s.nextClaim) : 0
            s.helpers += max(0, n)
            return max(0, n)
        }
        for _ in 0..<starting {
            DispatchQueue.global().async { self.help() }
        }
    }

    private func help() {
        while true {
            // Giving up and leaving the count happen under one lock, so a consumer that finds the
            // window open again always sees how many helpers are really left.
            let job = state.withLock { s -> Int? in
                if let job = claim(&s) { return job }
                s.helpers -= 1
                return nil
            }
            guard let job else { return }
            run(job)
        }
    }
}
