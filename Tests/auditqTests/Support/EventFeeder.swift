import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Writes event lines to a running `auditq` from a background thread until stopped or the child goes away.
final class EventFeeder: Sendable {
    private let flag: StopFlag
    private let thread: BackgroundThread<Int>

    /// Starts writing `line(0)`, `line(1)`, … (each followed by a newline) to `child`'s standard input,
    /// as fast as it reads them, or with `pauseMicroseconds` between lines; at most `limit` lines.
    init(_ child: RunningAuditQ, pauseMicroseconds: UInt32 = 0, limit: Int = .max, line: @escaping @Sendable (Int) -> String) {
        let flag = StopFlag()
        self.flag = flag
        self.thread = BackgroundThread { () -> Int in
            var sent = 0
            while !flag.isSet, sent < limit, child.send(Array((line(sent) + "\n").utf8)) {
                sent += 1
                if pauseMicroseconds > 0 { usleep(pauseMicroseconds) }
            }
            return sent
        }
    }

    /// Stops writing (the child's input stays open) and returns how many lines were written.
    func stop() -> Int {
        flag.set()
        return thread.join()
    }

    /// Waits until writing fails (the child closed its input or died) and returns how many lines were written.
    func join() -> Int {
        thread.join()
    }
}

private final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}
