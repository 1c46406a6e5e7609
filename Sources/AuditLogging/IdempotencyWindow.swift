import AuditStore

/// Producer event ids seen recently, with the sequence number each was stored under.
///
/// Bounded by count and by age: an id is remembered for ``AuditSink/Configuration/idempotencyWindow``
/// seconds or until ``AuditSink/Configuration/idempotencyMaxEntries`` newer ids push it out, whichever
/// comes first. Touched only by the sink's drain thread, so it needs no lock.
struct IdempotencyWindow {
    private var seqs: [String: UInt64] = [:]
    private var order: [(id: String, at: Double)] = []
    private var head = 0
    let window: Double
    let maxEntries: Int

    init(window: Double, maxEntries: Int) {
        self.window = window
        self.maxEntries = max(0, maxEntries)
    }

    var count: Int { seqs.count }

    mutating func seq(for id: String, now: Double) -> UInt64? {
        evict(now: now)
        return seqs[id]
    }

    mutating func remember(_ id: String, seq: UInt64, now: Double) {
        guard maxEntries > 0, seqs[id] == nil else { return }
        seqs[id] = seq
        order.append((id, now))
        evict(now: now)
    }

    /// Forgets the ids stored above `seq`: records a store failure lost, whose retried delivery must be
    /// stored again, not answered with a sequence number that now belongs to another record.
    mutating func forget(above seq: UInt64) {
        seqs = seqs.filter { $0.value <= seq }
        order = order[head...].filter { seqs[$0.id] != nil }
        head = 0
    }

    private mutating func evict(now: Double) {
        while head < order.count, order.count - head > maxEntries || now - order[head].at > window {
            seqs[order[head].id] = nil
            head += 1
        }
        if head > 4096, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
