/// Runs `work(i)` for each index on several threads and keeps each result in its own slot.
///
/// `@unchecked Sendable`: each slot is written by exactly one worker and read only after
/// `concurrentPerform` has returned (which waits for every worker); `work` reads only values it captured
/// by copy before the workers started.
final class ParallelWork<T>: @unchecked Sendable {
    private let work: (Int) -> T
    private let slots: UnsafeMutableBufferPointer<T?>

    init(count: Int, _ work: @escaping (Int) -> T) {
        self.work = work
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    func run(_ i: Int) {
        slots[i] = work(i)
    }

    var results: [T?] { Array(slots) }
}
