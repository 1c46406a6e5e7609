import AuditStore
import Dispatch

/// Resumes tasks waiting for records to become durable, from one dedicated thread that blocks on
/// ``StoreWriter/waitForDurable(beyond:timeout:)``, so no Swift concurrency thread ever blocks.
///
/// The thread runs only while someone waits.
final class DurabilityNotifier: Sendable {
    struct Waiter {
        var seq: UInt64
        var since: Double
        var registered: Double
        var continuation: CheckedContinuation<Bool, Never>
    }

    struct State {
        var waiters: [Waiter] = []
        var threadRunning = false
        var stopped = false
    }

    let writer: StoreWriter
    private let metrics: AuditMetrics
    private let state = Condition(State())

    init(writer: StoreWriter, metrics: AuditMetrics) {
        self.writer = writer
        self.metrics = metrics
    }

    /// Waits until `seq` is durable; false when the writer stopped (failed or closed) first or
    /// `timeout` seconds passed.
    func wait(for seq: UInt64, timeout: Double) async -> Bool {
        let since = monotonicSeconds()
        if writer.durableSeq >= seq {
            metrics.durableLatency.recordNanoseconds(0)
            return true
        }
        let deadline = since + timeout
        while true {
            if writer.failure != nil || writer.flusherStopped { return writer.durableSeq >= seq }
            let durable = await withCheckedContinuation { continuation in
                let start = state.withLock { s -> Bool? in
                    if s.stopped { return nil }
                    s.waiters.append(Waiter(seq: seq, since: since, registered: monotonicSeconds(), continuation: continuation))
                    defer { s.threadRunning = true }
                    return !s.threadRunning
                }
                switch start {
                case nil: continuation.resume(returning: writer.durableSeq >= seq)
                case true?: DispatchQueue(label: "auditq.logging.durability").async { [self] in run() }
                case false?: break
                }
            }
            if durable || writer.durableSeq >= seq { return true }
            if state.withLock({ $0.stopped }) || monotonicSeconds() >= deadline { return false }
        }
    }

    /// Resumes every waiter (with whatever is durable now) and refuses new ones.
    func stop() {
        state.withLock { $0.stopped = true }
    }

    private func run() {
        var seen = writer.durableSeq
        while true {
            let durable = writer.waitForDurable(beyond: seen, timeout: 0.05)
            seen = max(seen, durable)
            let now = monotonicSeconds()
            // A failed or stopped writer makes nothing more durable: answer every waiter now rather
            // than spin on a wait that returns at once.
            let broken = writer.failure != nil || writer.flusherStopped
            let (ready, finished) = state.withLock { s -> ([Waiter], Bool) in
                var ready: [Waiter] = []
                s.waiters.removeAll { waiter in
                    // Waiters also come back every second so they can check their own deadline.
                    if waiter.seq <= seen || s.stopped || broken || now - waiter.registered >= 1 {
                        ready.append(waiter)
                        return true
                    }
                    return false
                }
                if s.waiters.isEmpty { s.threadRunning = false }
                return (ready, s.waiters.isEmpty)
            }
            for waiter in ready {
                let done = waiter.seq <= seen
                if done { metrics.durableLatency.recordNanoseconds(Int64((now - waiter.since) * 1e9)) }
                waiter.continuation.resume(returning: done)
            }
            if finished { return }
        }
    }
}
