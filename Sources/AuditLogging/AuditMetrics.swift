import Metrics
import Synchronization

/// The backend's swift-metrics instruments (names in docs/logging.md). Handles are created once and
/// cached: creating one per event would ask the metrics factory every time.
final class AuditMetrics: Sendable {
    static let prefix = "auditq_logging"

    let logEvents = Counter(label: "\(prefix)_events_total", dimensions: [("kind", "log")])
    let auditEvents = Counter(label: "\(prefix)_events_total", dimensions: [("kind", "audit")])
    let bytes = Counter(label: "\(prefix)_bytes_total")
    let dropped = Counter(label: "\(prefix)_dropped_total")
    let duplicates = Counter(label: "\(prefix)_duplicates_total")
    let queueDepth = Recorder(label: "\(prefix)_queue_depth", aggregate: false)
    /// From an audit record's append to its durability (covers the group-commit wait and the fsync).
    let durableLatency = Timer(label: "\(prefix)_durable_ack_seconds")

    private let byRule = Mutex<[String: Counter]>([:])
    private let byError = Mutex<[String: Counter]>([:])
    private let lastBytes = Mutex<UInt64>(0)

    func events(audit: Bool) -> Counter { audit ? auditEvents : logEvents }

    func redactions(rule: String) -> Counter {
        byRule.withLock { cache in
            if let counter = cache[rule] { return counter }
            let counter = Counter(label: "\(Self.prefix)_redactions_total", dimensions: [("rule", rule)])
            cache[rule] = counter
            return counter
        }
    }

    func errors(kind: String) -> Counter {
        byError.withLock { cache in
            if let counter = cache[kind] { return counter }
            let counter = Counter(label: "\(Self.prefix)_errors_total", dimensions: [("kind", kind)])
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
