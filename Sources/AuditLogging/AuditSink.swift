import AuditModel
import AuditRedaction
import AuditStore
import Dispatch
import Logging
import Metrics

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The destination every ``AuditLogHandler`` copy and the typed audit API share: a bounded in-memory
/// queue drained by one background thread into a ``StoreWriter``.
///
/// Log events are validated and redacted on the caller's thread, then queued without blocking; when
/// the queue is full the ``Configuration/logOverflow`` policy applies, and any drop is counted and
/// written into the chain as an `auditq.events.dropped` record as soon as there is room. Audit records
/// (``record(action:outcome:actor:id:message:fields:metadata:durable:)``) wait for room up to
/// ``Configuration/auditEnqueueTimeout`` and then throw; they can await durability.
///
/// `@unchecked Sendable`: shared state is in `queue` (a mutex with a condition); `drain` state
/// (idempotency window, metric handles) is touched only by the drain thread.
public final class AuditSink: @unchecked Sendable {
    /// What to do with a plain log event when the queue is full.
    public enum OverflowPolicy: Sendable, Hashable {
        /// Drop it and count it (never silently: see ``AuditSink``). The default: logging never blocks.
        case drop
        /// Block the logging thread up to `seconds` for room, then drop and count.
        case wait(seconds: Double)
    }

    public struct Configuration: Sendable {
        /// The store writer's settings (durability, segment sizes, group-commit window). One default
        /// differs from the writer's own: zlib level 5 instead of 6, because on log records it stores up
        /// to 1% more bytes for 3–10% less CPU per event (docs/performance.md, Producer library).
        public var store: StoreWriter.Configuration = {
            var store = StoreWriter.Configuration()
            store.compressionLevel = 5
            return store
        }()
        /// Events the in-memory queue holds before the overflow policies apply.
        public var maxQueuedEvents = 65_536
        public var logOverflow: OverflowPolicy = .drop
        /// How long an audit record waits for queue room before it fails with `.queueFull`.
        public var auditEnqueueTimeout: Double = 5
        /// How long an audit record waits to become durable before it fails with `.durabilityTimeout`.
        public var durabilityTimeout: Double = 30
        /// Seconds a producer-supplied event id is remembered as an idempotency key.
        public var idempotencyWindow: Double = 24 * 3600
        /// Most event ids remembered at once (the oldest are forgotten first).
        public var idempotencyMaxEntries = 100_000
        /// Read the ids of the newest records at startup so the window survives a restart (costs
        /// about 4 µs per record of the newest segment; see docs/logging.md).
        public var restoreIdempotencyAtStartup = true
        /// Where the metrics go; nil (the default) for the factory `MetricsSystem` was bootstrapped with.
        public var metricsFactory: (any MetricsFactory)?
        public var redactionRules: RedactionRules = .default
        /// Stored as the `source` of every event that names none (a service name).
        public var source: String?
        /// Seconds from a store failure (a full disk, an I/O error) to the first attempt to reopen it, so
        /// the sink heals itself once the cause is fixed; each failed attempt doubles the wait, up to
        /// ten minutes (an attempt reads the open segment, as recovery does). 0 never reopens: the sink
        /// then stays failed until the service restarts. See docs/logging.md, When the store fails.
        public var storeReopenInterval: Double = 5

        public init() {}
    }

    struct Item {
        enum Payload {
            case event(AuditEvent)
            /// A log event encoded canonically on the caller's thread, with its `ts` (the fast path).
            case encoded([UInt8], timestamp: Timestamp, members: RawEvent)
        }

        var payload: Payload
        var redaction: RedactionReport
        var idempotencyKey: String?
        var isAudit: Bool
        var completion: (@Sendable (Result<Appended, AuditStoreError>) -> Void)?
    }

    /// Where an audit record went: its sequence number in the store the notifier watches.
    struct Appended: Sendable {
        var seq: UInt64
        var durability: DurabilityNotifier
    }

    struct QueueState {
        var items: [Item] = []
        /// Log events dropped and not yet written as an `auditq.events.dropped` record.
        var dropped = 0
        /// Log events dropped once shutdown began: counted (metric), never written, so that logging
        /// that goes on during shutdown cannot keep the drain thread writing drop notices forever.
        var droppedAfterClose = 0
        var closing = false
        var drainerWaiting = false
        var drainerFinished = false
        var spaceWaiters = 0
        /// Holds the drain thread (tests of the overflow policies).
        var paused = false
        /// First and last sequence numbers this sink appended to the current store (for acknowledgement counts).
        var firstSeq: UInt64?
        var lastSeq: UInt64 = 0
        var appended = 0
        /// Of this sink's records in stores it has since reopened after a failure: how many were durable.
        var acknowledgedBefore = 0

        /// This sink's records in the current store that are durable through `durableSeq` (this sink is
        /// the writer's only appender after startup, so its records there are contiguous).
        func acknowledged(through durableSeq: UInt64) -> Int {
            guard let firstSeq, durableSeq >= firstSeq else { return 0 }
            return min(appended, Int(min(durableSeq, lastSeq) - firstSeq + 1))
        }

        mutating func noteDrop() {
            if closing { droppedAfterClose += 1 } else { dropped += 1 }
        }
    }

    /// The store writer (a new one after the sink reopened a failed store).
    public var writer: StoreWriter { slot.current.writer }
    public let configuration: Configuration
    let redactor: Redactor
    /// Bit `slot.rawValue` set when the redactor leaves that log-event member's name alone whatever
    /// its value (checked once, not per event).
    let inertSlotNames: UInt64
    let queue = Condition(QueueState())
    let metrics: AuditMetrics
    let slot: StoreSlot
    /// What reopening the store takes.
    let reopen: (path: String, key: SigningKey, store: StoreWriter.Configuration)
    private let drainerDone = DispatchSemaphore(value: 0)
    private let shutdownState = Condition<ShutdownPhase>(.running)
    // Drain thread only:
    private var drainIdempotency: IdempotencyWindow
    /// What `slot` holds, read without its lock: the drain thread is the only one that replaces it.
    private var drainStore: StoreSlot.Current
    private var drainFailures = 0
    /// Log events dropped because the store failed, not yet noted in the chain.
    private var storeDrops = 0
    private var reopenScheduled = false
    private var nextReopenAttempt = 0.0
    private var reopenBackoff = 0.0
    private var reopenFailures = 0
    private var oversizedDrops = 0

    enum ShutdownPhase { case running, closing, closed(AuditStoreError?) }

    /// Opens (or creates) the store at `path`, signing with the key at `keyPath`.
    ///
    /// - Throws: ``AuditLoggingError`` with code `.store` when the key cannot be read or the store
    ///   cannot be opened (locked by another writer, tampered, unwritable): setup failures surface here,
    ///   never on the logging path.
    public convenience init(path: String, keyPath: String, configuration: Configuration = Configuration()) throws(AuditLoggingError) {
        let key: SigningKey
        do {
            key = try SigningKey(contentsOfFile: keyPath)
        } catch {
            throw AuditLoggingError(.store, "cannot read the signing key", cause: error)
        }
        try self.init(path: path, key: key, configuration: configuration)
    }

    public init(path: String, key: SigningKey, configuration: Configuration = Configuration()) throws(AuditLoggingError) {
        let metrics = AuditMetrics(factory: configuration.metricsFactory)
        var store = configuration.store
        let chained = store.fsyncObserver
        store.fsyncObserver = { seconds in
            metrics.fsyncLatency.recordNanoseconds(Int64(seconds * 1e9))
            chained?(seconds)
        }
        let writer: StoreWriter
        do {
            writer = try StoreWriter(path: path, key: key, configuration: store)
        } catch {
            throw AuditLoggingError(.store, "cannot open the store", cause: error)
        }
        self.configuration = configuration
        let redactor = Redactor(rules: configuration.redactionRules)
        self.redactor = redactor
        self.inertSlotNames = LogEventLayout.Slot.allCases.reduce(0) { bits, slot in
            redactor.nameIsInert(slot.name) ? bits | 1 << UInt64(slot.rawValue) : bits
        }
        self.metrics = metrics
        let current = StoreSlot.Current(writer: writer, durability: DurabilityNotifier(writer: writer, metrics: metrics))
        self.slot = StoreSlot(current)
        self.drainStore = current
        self.reopen = (path, key, store)
        var window = IdempotencyWindow(window: configuration.idempotencyWindow, maxEntries: configuration.idempotencyMaxEntries)
        Self.restoreIdempotency(into: &window, path: path, configuration: configuration)
        self.drainIdempotency = window
        DispatchQueue(label: "auditq.logging.drain").async { [self] in
            drainLoop()
            drainerDone.signal()
        }
    }

    // MARK: - Queueing

    /// Queues a log event without blocking (unless the overflow policy says to wait). Never throws.
    func submitLog(_ item: Item) {
        let maxQueued = configuration.maxQueuedEvents
        let (accepted, wake) = queue.withLock { q -> (Bool?, Bool) in
            if q.closing {
                q.noteDrop()
                return (false, false)
            }
            guard q.items.count < maxQueued else { return (nil, false) }
            q.items.append(item)
            return (true, q.drainerWaiting)
        }
        if wake { queue.broadcast() }
        switch accepted {
        case true?: return
        case false?:
            metrics.dropped.increment()
            return
        case nil: break
        }
        guard case .wait(let seconds) = configuration.logOverflow, seconds > 0 else {
            queue.withLock { $0.noteDrop() }
            metrics.dropped.increment()
            return
        }
        queue.withLock { $0.spaceWaiters += 1 }
        let queued = queue.wait(until: { $0.items.count < maxQueued || $0.closing }, timeout: seconds) { q -> Bool in
            q.spaceWaiters -= 1
            guard !q.closing, q.items.count < maxQueued else {
                q.noteDrop()
                return false
            }
            q.items.append(item)
            return true
        }
        if queued { queue.broadcast() } else { metrics.dropped.increment() }
    }

    /// Tries once to queue an audit record; false when the queue is full. A closed sink completes the
    /// item with `.closed` and returns true.
    func tryEnqueueAudit(_ item: Item) -> Bool {
        let maxQueued = configuration.maxQueuedEvents
        let result = queue.withLock { q -> (Bool, Bool, Bool) in
            if q.closing { return (true, false, true) }
            guard q.items.count < maxQueued else { return (false, false, false) }
            q.items.append(item)
            return (true, q.drainerWaiting, false)
        }
        if result.1 { queue.broadcast() }
        if result.2 {
            item.completion?(.failure(AuditStoreError(.closed, "the audit sink is shut down", path: writer.layout)))
        }
        return result.0
    }

    /// Queues an audit record, waiting (without blocking a thread) up to the enqueue timeout for room;
    /// returns its sequence number once the writer has numbered and queued it, not yet durable.
    func enqueueAudit(_ item: Item) async throws(AuditLoggingError) -> Appended {
        let deadline = monotonicSeconds() + configuration.auditEnqueueTimeout
        var pause: UInt64 = 100_000
        while true {
            let result: Result<Appended, AuditStoreError>? = await withCheckedContinuation { continuation in
                var item = item
                item.completion = { continuation.resume(returning: $0) }
                if !tryEnqueueAudit(item) { continuation.resume(returning: nil) }
            }
            switch result {
            case .success(let appended)?:
                return appended
            case .failure(let error)?:
                let code: AuditLoggingError.Code = switch error.code {
                case .closed: .closed
                case .invalidEvent: .invalidEvent
                default: .store
                }
                throw AuditLoggingError(code, "the record was not stored", cause: error)
            case nil:
                guard monotonicSeconds() < deadline else {
                    metrics.errors(kind: "queue_full").increment()
                    throw AuditLoggingError(
                        .queueFull,
                        "the audit queue stayed full for \(configuration.auditEnqueueTimeout) s; the store is not keeping up (check disk and fsync latency)"
                    )
                }
                // Polling with a growing pause keeps the drain path free of per-waiter bookkeeping.
                try? await Task.sleep(nanoseconds: pause)
                pause = min(pause * 2, 5_000_000)
            }
        }
    }

    // MARK: - Draining (drain thread only)

    private func drainLoop() {
        var batch: [Item] = []
        while true {
            queue.withLock { q in
                if q.items.isEmpty && q.dropped == 0 && !q.closing { q.drainerWaiting = true }
            }
            // While the store has failed, wake up to try reopening it even when nothing arrives.
            let failed = reopenScheduled && drainStore.writer.failure != nil
            let (dropped, closing, wakeSpace, depth) = queue.wait(
                until: { (!$0.items.isEmpty || $0.dropped > 0 || $0.closing) && (!$0.paused || $0.closing) },
                timeout: failed ? max(0.001, nextReopenAttempt - monotonicSeconds()) : nil
            ) { q in
                q.drainerWaiting = false
                swap(&batch, &q.items)
                let dropped = q.dropped
                q.dropped = 0
                return (dropped, q.closing, q.spaceWaiters > 0, batch.count)
            }
            if wakeSpace { queue.broadcast() }
            metrics.queueDepth.record(depth)
            var tally = Tally()
            if !closing { reopenIfDue(&tally) }
            if dropped > 0 { appendDropNotice(dropped, &tally) }
            for item in batch { drain(item, &tally) }
            batch.removeAll(keepingCapacity: true)
            tally.publish(to: self)
            metrics.noteStoreBytes(drainStore.writer.appendedBytes)
            if closing, storeDrops > 0 {
                reportToStandardError("auditq: \(storeDrops) log events were dropped because the store failed; the sink shut down before it could note them in the chain")
                storeDrops = 0
            }
            if closing, queue.withLock({ $0.items.isEmpty && $0.dropped == 0 }) { break }
        }
        queue.withLock { $0.drainerFinished = true }
    }

    /// What one batch did, published under one lock and one metric update per kind.
    struct Tally {
        var firstSeq: UInt64?
        var lastSeq: UInt64 = 0
        var appended = 0
        var logEvents = 0
        var auditEvents = 0

        func publish(to sink: AuditSink) {
            guard appended > 0 else { return }
            sink.queue.withLock { q in
                if q.firstSeq == nil { q.firstSeq = firstSeq }
                q.lastSeq = lastSeq
                q.appended += appended
            }
            if logEvents > 0 { sink.metrics.logEvents.increment(by: Int64(logEvents)) }
            if auditEvents > 0 { sink.metrics.auditEvents.increment(by: Int64(auditEvents)) }
        }
    }

    private func drain(_ item: Item, _ tally: inout Tally) {
        var now = 0.0
        if let key = item.idempotencyKey {
            now = monotonicSeconds()
            if let seq = drainIdempotency.seq(for: key, now: now) {
                metrics.duplicates.increment()
                item.completion?(.success(Appended(seq: seq, durability: drainStore.durability)))
                return
            }
        }
        do {
            let current = drainStore
            let redaction = item.redaction.isEmpty ? nil : item.redaction.jsonValue
            let seq: UInt64
            switch item.payload {
            case .event(let event): seq = try current.writer.append(event, redaction: redaction)
            case .encoded(let bytes, let timestamp, let members):
                seq = try current.writer.append(canonicalEvent: bytes, timestamp: timestamp, members: members, redaction: redaction)
            }
            if let key = item.idempotencyKey { drainIdempotency.remember(key, seq: seq, now: now) }
            if tally.firstSeq == nil { tally.firstSeq = seq }
            tally.lastSeq = seq
            tally.appended += 1
            if item.isAudit { tally.auditEvents += 1 } else { tally.logEvents += 1 }
            for (rule, count) in item.redaction.counts { metrics.redactions(rule: rule).increment(by: count) }
            item.completion?(.success(Appended(seq: seq, durability: current.durability)))
        } catch {
            if error.code == .invalidEvent {
                // This event only (its record is over the store's size limit); the store goes on.
                metrics.errors(kind: "invalid_event").increment()
                if item.completion == nil {
                    metrics.dropped.increment()
                    oversizedDrops += 1
                    if oversizedDrops % 10_000 == 1 {
                        reportToStandardError("auditq: a log event was not stored (\(oversizedDrops) so far): \(error.message)")
                    }
                }
                item.completion?(.failure(error))
                return
            }
            metrics.errors(kind: "append").increment()
            if item.completion == nil {
                // A log event the store could not take is dropped: counted like any other drop, and
                // noted in the chain once the store is reopened.
                metrics.dropped.increment()
                storeDrops += 1
                drainFailures += 1
                // The first failure and then one in 10,000: a failed store must not also flood stderr.
                if drainFailures % 10_000 == 1 {
                    reportToStandardError("auditq: log events are not being stored (\(drainFailures) so far): \(error)")
                }
            }
            item.completion?(.failure(error))
        }
    }

    /// After the store failed (a full disk, an I/O error): ``Configuration/storeReopenInterval`` seconds
    /// after the failure was seen, then after twice as long for each failed attempt, closes the failed
    /// writer and opens a new one on the store, which recovers it like a restart would (kept through the
    /// last acknowledged record, the recovery recorded in the chain). On success, notes in the chain how
    /// many log events were dropped meanwhile. Records appended to the failed writer and not kept are
    /// lost; their sequence numbers go to new records, so waits on them fail (``StoreSlot/isLost(_:)``)
    /// and their ids are forgotten by the idempotency window (a retried delivery is stored again).
    private func reopenIfDue(_ tally: inout Tally) {
        let failed = drainStore
        guard configuration.storeReopenInterval > 0, failed.writer.failure != nil else { return }
        let now = monotonicSeconds()
        // The first attempt comes one interval after the failure is seen: a disk that just filled up
        // is not freed within microseconds.
        guard reopenScheduled else {
            reopenScheduled = true
            reopenBackoff = configuration.storeReopenInterval
            nextReopenAttempt = now + reopenBackoff
            return
        }
        guard now >= nextReopenAttempt else { return }
        reopenBackoff = min(max(600, configuration.storeReopenInterval), reopenBackoff * 2)
        let next = failed.writer.nextSeq
        try? failed.writer.close()  // releases the store's writer lock; throws the failure again
        let writer: StoreWriter
        do {
            writer = try StoreWriter(path: reopen.path, key: reopen.key, configuration: reopen.store)
        } catch {
            metrics.errors(kind: "reopen").increment()
            reopenFailures += 1
            nextReopenAttempt = monotonicSeconds() + reopenBackoff
            reportToStandardError("auditq: the failed store cannot be reopened yet (attempt \(reopenFailures), next in \(reopenBackoff) s): \(error)")
            return
        }
        // What recovery kept: the acknowledged records (the failed writer cut its file back to them), or
        // more when that cut failed too.
        let kept = writer.recovery?.recoveredThroughSeq ?? (writer.nextSeq - 1)
        drainStore = .init(writer: writer, durability: DurabilityNotifier(writer: writer, metrics: metrics))
        slot.replace(with: drainStore, lost: next > kept + 1 ? (kept + 1)...(next - 1) : nil)
        failed.durability.stop()
        drainIdempotency.forget(above: kept)
        queue.withLock { q in
            q.acknowledgedBefore += q.acknowledged(through: kept)
            q.firstSeq = nil
            q.lastSeq = 0
            q.appended = 0
        }
        var detail = "records through \(kept) kept"
        if let recovery = writer.recovery { detail += ", recovery record seq \(recovery.recordSeq)" }
        reportToStandardError("auditq: the store is writable again after \(reopenFailures + 1) attempt(s) (\(detail)); \(storeDrops) log events were dropped while it had failed")
        reopenFailures = 0
        reopenScheduled = false
        drainFailures = 0
        if storeDrops > 0 {
            appendDropNotice(storeDrops, reason: "the store had failed", &tally)
            storeDrops = 0
        }
    }

    /// Writes the count of dropped log events into the chain, so a gap is itself on record.
    private func appendDropNotice(_ count: Int, reason: String = "the queue was full", _ tally: inout Tally) {
        var object: JSONObject = [
            AuditEvent.Field.ts: .string(Timestamp.now().description),
            AuditEvent.Field.action: "auditq.events.dropped",
            AuditEvent.Field.level: "warning",
            AuditEvent.Field.message: .string("\(count) log events dropped: \(reason)"),
            AuditEvent.Field.metadata: ["dropped": .number(Double(count))],
        ]
        if let source = configuration.source { object[AuditEvent.Field.source] = .string(source) }
        guard let event = try? AuditEvent(validating: object) else { return }
        drain(Item(payload: .event(event), redaction: RedactionReport(), idempotencyKey: nil, isAudit: true, completion: nil), &tally)
    }

    // MARK: - Acknowledgement and shutdown

    /// Why the store stopped accepting records (a full disk, an I/O error), or nil while it works: for
    /// a health check. While it has failed, audit records fail with `.store` and log events are dropped
    /// and counted. Every record acknowledged before the failure is durable, and the writer cut its
    /// segment back to the last of them, so the store holds exactly those. Every
    /// ``Configuration/storeReopenInterval`` seconds the sink tries to reopen the store; once the
    /// cause is fixed that succeeds, the new writer recovers the store (recording it in the chain),
    /// and this is nil again.
    public var storeFailure: AuditLoggingError? {
        writer.failure.map { AuditLoggingError(.store, "the store failed", cause: $0) }
    }

    /// How many records this sink appended that are durable now.
    public var acknowledgedCount: Int {
        let durable = writer.durableSeq
        return queue.withLock { $0.acknowledgedBefore + $0.acknowledged(through: durable) }
    }

    /// Holds or releases the drain thread, so tests can fill the queue deterministically.
    package func setDrainPaused(_ paused: Bool) {
        queue.withLock { $0.paused = paused }
        queue.broadcast()
    }

    var shutdownStatePhase: ShutdownPhase { shutdownState.withLock { $0 } }

    /// Events queued and not yet taken by the drain thread.
    package var pendingQueue: Int { queue.withLock { $0.items.count } }

    /// Log events dropped so far and not yet written as a drop notice.
    package var pendingDropped: Int { queue.withLock { $0.dropped } }

    /// Log events dropped because they arrived after shutdown began.
    package var droppedAfterShutdown: Int { queue.withLock { $0.droppedAfterClose } }

    /// Writes everything accepted, seals the open segment and signs a clean-shutdown checkpoint.
    /// Log events arriving afterwards are counted as dropped; audit records fail with `.closed`.
    /// Safe to call more than once and from several tasks: all return once the store is closed.
    public func shutdown() async throws(AuditLoggingError) {
        let result: AuditStoreError? = await withCheckedContinuation { continuation in
            DispatchQueue(label: "auditq.logging.shutdown").async { [self] in
                continuation.resume(returning: shutdownBlocking())
            }
        }
        if let result { throw AuditLoggingError(.store, "the store did not close cleanly", cause: result) }
    }

    /// ``shutdown()`` for synchronous callers (blocks the calling thread: not for the cooperative pool).
    @discardableResult
    public func shutdownBlocking() -> AuditStoreError? {
        let first = shutdownState.withLock { phase -> Bool in
            guard case .running = phase else { return false }
            phase = .closing
            return true
        }
        if first {
            queue.withLock { $0.closing = true }
            queue.broadcast()
            drainerDone.wait()
            var failure: AuditStoreError?
            let current = slot.current
            do { try current.writer.close() } catch { failure = error }
            current.durability.stop()
            shutdownState.withLock { $0 = .closed(failure) }
            shutdownState.broadcast()
        }
        return shutdownState.wait(until: { if case .closed = $0 { true } else { false } }, timeout: nil) { phase in
            if case .closed(let failure) = phase { return failure }
            return nil
        }
    }
}

func reportToStandardError(_ text: String) {
    var line = Array(text.utf8)
    line.append(0x0A)
    line.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
}
