import AuditModel
import AuditRedaction
import AuditStore
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Reads, parses, redacts and validates input lines on a second thread while the caller appends the
/// prepared events, so the two halves of ingestion use two cores. Order is kept: one producer, one
/// consumer, batches handed over in sequence.
///
/// `@unchecked Sendable`: the shared state is only reached through `queue` (a mutex and condition).
final class IngestPipeline: @unchecked Sendable {
    enum Item {
        case prepared(line: Int, EventIngestor.Prepared)
        case rejected(line: Int, EventIngestor.Rejection)
    }

    private struct Shared {
        var batches: [[Item]] = []
        /// Batches the caller has finished with, given back so that the reading thread, which allocated
        /// their buffers, frees them: glibc's allocator makes a thread freeing another thread's
        /// allocations wait for that thread's arena lock, and those waits were thousands of sleeps per
        /// 200,000 lines.
        var spent: [[Item]] = []
        var finished = false
        var stopped = false
        var failure: (any Error)?
    }

    private let queue = Condition(Shared())
    private static let batchSize = 256
    private static let maxBatches = 32

    /// Starts reading `descriptor` on a background thread.
    init(descriptor: Int32, ingestor: EventIngestor) {
        DispatchQueue(label: "auditq.ingest.prepare").async { [queue] in
            Self.yieldToLaterStages()
            var reader = LineReader(descriptor: descriptor, maxLineBytes: ingestor.limits.maxEventBytes)
            var batch: [Item] = []
            batch.reserveCapacity(Self.batchSize)
            let names = ingestor.redactor.makeCheckCache()
            func hand(_ items: [Item]) {
                // Freed when this returns, on this thread (``Shared/spent``).
                var spent: [[Item]] = []
                queue.wait(until: { $0.batches.count < Self.maxBatches }, timeout: nil) { s in
                    s.batches.append(items)
                    swap(&spent, &s.spent)
                }
                queue.broadcast()
            }
            do {
                try reader.forEach(beforeRead: {
                    if !batch.isEmpty {
                        hand(batch)
                        batch.removeAll(keepingCapacity: true)
                    }
                }) { number, line in
                    switch line {
                    case .tooLong(let bytes):
                        batch.append(.rejected(line: number, EventIngestor.Rejection(reason: "event is \(bytes) bytes, over the limit of \(ingestor.limits.maxEventBytes) bytes")))
                    case .line(let bytes):
                        if bytes.isEmpty || bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
                        switch ingestor.prepareForAppend(bytes, remembering: names) {
                        case .success(let prepared): batch.append(.prepared(line: number, prepared))
                        case .failure(let rejection): batch.append(.rejected(line: number, rejection))
                        }
                    }
                    if batch.count >= Self.batchSize {
                        hand(batch)
                        batch.removeAll(keepingCapacity: true)
                    }
                }
                if !batch.isEmpty { hand(batch) }
            } catch {
                queue.withLock { $0.failure = error }
            }
            queue.withLock { $0.finished = true }
            queue.broadcast()
        }
    }

    /// Lowers the reading thread one nice level below the process. Compression, two stages further on,
    /// is the slowest stage: with equal shares of two cores among three busy threads it fell behind,
    /// its queue filled (``StoreWriter/Configuration/maxQueuedBytes``), and a run ended with one core
    /// idle while it drained (about 0.2 s of a 5.5 s run of 1,000,000 events). One level is enough for
    /// it to keep up; the reading thread gives way only while the flusher has work, and would have
    /// stopped at a full queue anyway (docs/performance.md, Ingest, session 10). Linux only: elsewhere a
    /// process's priority is not per thread.
    private static func yieldToLaterStages() {
        #if os(Linux)
        // `who` 0 with PRIO_PROCESS is the calling thread on Linux. getpriority can return -1 for a
        // nice level of -1: errno tells the two apart.
        errno = 0
        let current = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        guard errno == 0 else { return }
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, min(current + 1, 19))
        #endif
    }

    /// Ends the input early (an interrupt): ``next(returning:)`` returns nil from now on, and batches read but not
    /// taken are never handed out. The reading thread may stay blocked in `read` until the process exits.
    func stop() {
        queue.withLock { $0.stopped = true }
        queue.broadcast()
    }

    /// The next batch in input order, or nil at the end of input (or after ``stop()``). Rethrows a read
    /// error. `spent`, the batch before, which the caller has finished with, is freed on the reading
    /// thread.
    func next(returning spent: consuming [Item]) throws -> [Item]? {
        var spent = spent
        let (batch, failure): ([Item]?, (any Error)?) = queue.wait(until: { !$0.batches.isEmpty || $0.finished || $0.stopped }, timeout: nil) { s in
            if !spent.isEmpty {
                s.spent.append(spent)
                spent = []
            }
            if s.stopped { return (nil, nil) }
            if !s.batches.isEmpty { return (s.batches.removeFirst(), nil) }
            return (nil, s.failure)
        }
        queue.broadcast()
        if let failure { throw failure }
        return batch
    }
}
