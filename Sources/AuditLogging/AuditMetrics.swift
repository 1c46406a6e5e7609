import Metrics
import Synchronization

/// The backend's swift-metrics instruments (names in docs/logging.md). Handles are created once and
/// cached: creating one per event would ask the metrics factory every time.
final class AuditMetrics: Sendable {
    static let prefix = "auditq_logging"

    let factory: any MetricsFactory
    let logEvents: Counter
    let auditEvents: Counter
    let bytes: Counter
    let dropped: Counter
    let duplicates: Counter
    let queueDepth: Recorder
    /// From an audit record's append to its durability (covers the group-commit wait and the fsync).
    let durableLatency: Timer
    /// Each fsync that acknowledges records (group commit: one per batch).
    let fsyncLatency: Timer

    private let byRule = Mutex<[String: Counter]>([:])
    private let byError = Mutex<[String: Counter]>([:])
    private let lastBytes = Mutex<UInt64>(0)

    /// - Parameter factory: where the instruments come from; nil for the one `MetricsSystem` was
    ///   bootstrapped with.
    init(factory: (any MetricsFactory)?) {
        let factory = factory ?? MetricsSystem.factory
        self.factory = factory
        logEvents = Counter(label: "\(Self.prefix)_events_total", dimensions: [("kind", "log")], factory: factory)
        auditEvents = Counter(label: "\(Self.prefix)_events_total", dimensions: [("kind", "audit")], factory: factory)
        bytes = Counter(label: "\(Self.prefix)_bytes_total", factory: factory)
        dropped = Counter(label: "\(Self.prefix)_dropped_total", factory: factory)
        duplicates = Counter(label: "\(Self.prefix)_duplicates_total", factory: factory)
        queueDepth = Recorder(label: "\(Self.prefix)_queue_depth", aggregate: false, factory: factory)
        durableLatency = Timer(label: "\(Self.prefix)_durable_ack_seconds", factory: factory)
        fsyncLatency = Timer(label: "\(Self.prefix)_fsync_seconds", factory: factory)
    }

    func events(audit: Bool) -> Counter { audit ? auditEvents : logEvents }

    func redactions(rule: String) -> Counter {
        byRule.withLock { cache in
            if let counter = cache[rule] { return counter }
            let counter = Counter(label: "\(Self.prefix)_redactions_total", dimensions: [("rule", rule)], factory: factory)
            cache[rule] = counter
            return counter
        }
    }

    func errors(kind: String) -> Counter {
        byError.withLock { cache in
            if let counter = cache[kind] { return counter }
            let counter = Counter(label: "\(Self.prefix)_errors_total", dimensions: [("kind", kind)], factory: factory)
            cache[kind] = counter
            return counter
        }
    }

    /// Adds the growth of the writer's byte total since the last call.
    func noteStoreBytes(_ total: UInt64) {
        let delta = lastBytes.withLock { last -> UInt64 in
            defer { last = max(last, total) }
            return total > last ? total - last : 0
        }
        if delta > 0 { bytes.increment(by: Int64(delta)) }
    }
}
