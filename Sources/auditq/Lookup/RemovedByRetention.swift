import AuditStore

/// Why a lookup finds nothing: retention removed the oldest segments. Read from the signed retention
/// state (`retention.json`) to explain an absence; `auditq verify` is what checks its signature.
enum RemovedByRetention {
    /// For record `seq`: the removal that took it, if any.
    static func note(seq: UInt64, store: String) -> String? {
        guard let state = StoreLayout(root: store).unverifiedRetentionState, seq < state.firstSeq, let removal = state.removals.first(where: { $0.seqs.contains(seq) }) else { return nil }
        return "retention removed it, with segments \(removal.segments.lowerBound)-\(removal.segments.upperBound) (seq \(removal.seqs.lowerBound)-\(removal.seqs.upperBound)), under policy '\(removal.policy)' on \(removal.time) (retention.json; the store now begins at seq \(state.firstSeq))"
    }

    /// For a lookup that found nothing: what retention removed, if anything.
    static func note(store: String) -> String? {
        guard let state = StoreLayout(root: store).unverifiedRetentionState, let last = state.removals.last else { return nil }
        return "retention removed every record before seq \(state.firstSeq), most recently under policy '\(last.policy)' on \(last.time) (retention.json): lookups cannot see them"
    }
}
