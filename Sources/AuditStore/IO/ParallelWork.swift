import Dispatch

/// Runs `work(i)` for each index on several threads and keeps each result in its own slot.
///
/// `@unchecked Sendable`: each slot is written by exactly one worker and read only after
/// `concurrentPerform` has returned (which waits for every worker); `work` reads only values it captured
/// by copy before the workers started.
package final class ParallelWork<T>: @unchecked Sendable {
    private let work: (Int) -> T
    private let slots: UnsafeMutableBufferPointer<T?>

    package init(count: Int, _ work: @escaping (Int) -> T) {
        self.work = work
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    package func run(_ i: Int) {
        slots[i] = work(i)
    }

    package var results: [T?] { Array(slots) }

    /// `work(0..<count)` computed on all cores, in order.
    package static func map(count: Int, _ work: @escaping (Int) -> T) -> [T] {
        guard count > 1 else { return (0..<count).map(work) }
        let parallel = ParallelWork(count: count, work)
        DispatchQueue.concurrentPerform(iterations: count) { parallel.run($0) }
        return parallel.results.map { $0! }
    }
}
