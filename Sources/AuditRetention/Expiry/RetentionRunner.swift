import AuditCrypto
import AuditModel
import AuditStore

/// Applies a retention policy: removes what has outlived its retention, and completes erasures whose
/// kept records have become erasable. See `docs/retention.md` § Expiry.
///
/// - Whole sealed segments whose every record has expired are deleted, oldest first, as long as each
///   is the oldest left; a newer segment always remains, the one the run's own record (appended first)
///   goes to, and the chain continues from it. The signed retention state (`retention.json`) records
///   where the store now begins, so verification starts there and reports the removed range as
///   expired under the policy, not missing.
/// - Inside segments that are still needed, each expired record is replaced by a stub that keeps its
///   sequence number, time and digest (the segment is rewritten as a new generation).
/// - Records an erasure kept (legal retention, holds) whose reason has lapsed lose their personal data
///   under the erasure's reference.
///
/// Every run appends an `auditq.retention.applied` record saying what it removes, before removing it.
/// The open segment is never touched.
public struct RetentionRunner: Sendable {
    public let store: String
    public let key: SigningKey
    public let policy: RetentionPolicy
    public var now: Timestamp

    public init(store: String, key: SigningKey, policy: RetentionPolicy, now: Timestamp = .now()) {
        self.store = store
        self.key = key
        self.policy = policy
        self.now = now
    }

    /// What a run removes.
    public struct Plan: Sendable, Hashable {
        /// Whole segments deleted, oldest first, and the records they hold.
        public var removedSegments: [UInt64] = []
        public var removedSeqs: ClosedRange<UInt64>?
        /// `h(last removed seq)`: the chain hash the store continues from after the removal.
        public var lastHashBeforeCut: SHA256Digest?
        public var removedRecords = 0
        /// Records expired inside segments that stay: segment → record → category.
        public var expired: [UInt64: [UInt64: String]] = [:]
        /// Records expired in each category (removed or stubbed).
        public var byCategory: [String: Int] = [:]
        /// Deferred erasures completed: record → reference, by segment.
        public var erased: [UInt64: [UInt64: (reference: String, paths: [String])]] = [:]

        public var expiredRecords: Int { expired.values.reduce(0) { $0 + $1.count } }
        public var erasedRecords: Int { erased.values.reduce(0) { $0 + $1.count } }
        public var isEmpty: Bool { removedSegments.isEmpty && expired.isEmpty && erased.isEmpty }

        public static func == (a: Plan, b: Plan) -> Bool {
            a.removedSegments == b.removedSegments && a.removedSeqs == b.removedSeqs && a.expired == b.expired
                && a.byCategory == b.byCategory && a.erased.mapValues { $0.mapValues(\.reference) } == b.erased.mapValues { $0.mapValues(\.reference) }
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(removedSegments)
            hasher.combine(expired)
        }
    }

    public struct Outcome: Sendable {
        public var plan: Plan
        /// The sequence number of the run's `auditq.retention.applied` record (nil when nothing was due).
        public var recordSeq: UInt64?
        /// True when this run completed an interrupted earlier one (planned at its time).
        public var resumed: Bool

        public init(plan: Plan, recordSeq: UInt64?, resumed: Bool) {
            self.plan = plan
            self.recordSeq = recordSeq
            self.resumed = resumed
        }
    }

    /// What a run would remove now, without changing anything.
    public func plan() throws(RetentionError) -> Plan {
        let context = try MaintenanceContext(store: store, key: key, policy: policy, now: now)
        return try plan(context, now: now)
    }

    public func run() throws(RetentionError) -> Outcome {
        let context = try MaintenanceContext(store: store, key: key, policy: policy, now: now)
        let lock = try context.lock()
        defer { lock.release() }
        let layout = context.layout
        var journal: MaintenanceJournal
        var resumed = false
        if let existing = try MaintenanceJournal.load(layout) {
            guard existing.operation == .retention else {
                throw RetentionError(.interrupted, "the erasure request '\(existing.reference ?? "?")', started \(existing.started), was interrupted; run it again to complete it before a retention run", path: layout.maintenanceJournal)
            }
            guard existing.policySHA256 == policy.sha256 else {
                throw RetentionError(.interrupted, "an interrupted retention run (started \(existing.started)) used another policy (sha256 \(existing.policySHA256.hex.prefix(12))…); rerun it with that policy first", path: layout.maintenanceJournal)
            }
            journal = existing
            resumed = true
        } else {
            journal = MaintenanceJournal(operation: .retention, started: now, policySHA256: policy.sha256)
        }
        let runTime = journal.started
        try context.removeStaleGenerations()
        let plan = try self.plan(context, now: runTime)
        try removeLeftovers(context)
        guard !plan.isEmpty || journal.chainSeq != nil || resumed else {
            return Outcome(plan: plan, recordSeq: nil, resumed: false)
        }
        if journal.chainSeq == nil {
            let metadata = self.metadata(plan, context: context, time: runTime)
            // A run killed between appending its record and noting it here must not append it twice.
            if resumed, let seq = try context.findRecord(action: RetentionRunner.action, metadata: metadata, after: journal.throughSeq ?? 0) {
                journal.chainSeq = seq
            } else {
                if !resumed { journal.throughSeq = context.checkpointSeq }
                try journal.save(layout)
                CrashPoint.hit("journal-written")
                journal.chainSeq = try record(plan, metadata: metadata, context: context)
                CrashPoint.hit("chain-record-appended")
            }
            try journal.save(layout)
        }
        try apply(plan, context: context, time: runTime)
        CrashPoint.hit("before-journal-removed")
        try MaintenanceJournal.remove(layout)
        return Outcome(plan: plan, recordSeq: journal.chainSeq, resumed: resumed)
    }

    // MARK: - Planning

    private func plan(_ context: MaintenanceContext, now: Timestamp) throws(RetentionError) -> Plan {
        var plan = Plan()
        let sealed = try context.sealedSegments().sealed
        // Records an erasure kept, by the segment that holds them.
        var deferred: [UInt64: [UInt64: String]] = [:]
        for log in try ErasureLog.all(context.layout) {
            for entry in log.receipt["kept"]?.arrayValue ?? [] {
                guard let seq = entry.objectValue?["seq"]?.integerValue, let segment = entry.objectValue?["segment"]?.integerValue else { continue }
                deferred[UInt64(segment), default: [:]][UInt64(seq)] = log.reference
            }
        }
        var prefix = true
        let wanted = Set(policy.personalData)
        for number in sealed {
            // Nothing in a segment can have expired when even its oldest record would expire after `now`
            // in every category (manifests are read, segments only when something is due). Expiry is
            // computed per category from that time, not as a fixed length: a month or a year is not one.
            if deferred[number] == nil, let summary = try? SegmentManifest(bytes: FileSystem.readFile(context.layout.manifest(number))),
                let oldest = summary.minTimestamp, let earliest = policy.categories.compactMap({ $0.expiry(of: oldest) }).min(),
                earliest > now
            {
                prefix = false
                continue
            }
            let segment = try context.load(number)
            var expired: [UInt64: String] = [:]
            var categories: [String: Int] = [:]
            var erased: [UInt64: (reference: String, paths: [String])] = [:]
            var allGone = true
            var failure: RetentionError?
            segment.forEachLine { seq, line in
                guard failure == nil else { return }
                let record: Record
                do {
                    record = try Record(line: line)
                } catch {
                    failure = RetentionError(.store, "segment \(number), record \(seq): \(error); run 'auditq verify'", path: context.layout.segment(number))
                    return
                }
                if record.expiredDigest != nil { return }
                let event = record.event
                let category = policy.category(for: event)
                let ts = record.timestamp
                let held = !policy.activeHolds(customer: event["customer_code"]?.stringValue, transaction: event["transaction_id"]?.stringValue, at: now).isEmpty
                if !held, let ts, let expiry = category.expiry(of: ts), expiry <= now {
                    expired[seq] = category.name
                    categories[category.name, default: 0] += 1
                    return
                }
                allGone = false
                if let reference = deferred[number]?[seq], KeepDecision.decide(event, policy: policy, now: now) == nil {
                    let paths = record.presentPersonalDataPaths.filter { wanted.contains($0) }
                    if !paths.isEmpty { erased[seq] = (reference, paths) }
                }
            }
            if let failure { throw failure }
            // The run's own record is appended before anything is removed, and always after every sealed
            // segment, so the chain continues from a segment that stays even when this one is the newest.
            if prefix, allGone {
                plan.removedSegments.append(number)
                plan.removedRecords += segment.manifest.recordCount
                let first = plan.removedSeqs?.lowerBound ?? segment.manifest.firstSeq
                plan.removedSeqs = first...segment.manifest.lastSeq
                plan.lastHashBeforeCut = segment.manifest.chainHead
                for (name, count) in categories { plan.byCategory[name, default: 0] += count }
                continue
            }
            prefix = false
            if !expired.isEmpty { plan.expired[number] = expired }
            if !erased.isEmpty { plan.erased[number] = erased }
            for (name, count) in categories { plan.byCategory[name, default: 0] += count }
        }
        return plan
    }

    // MARK: - Applying

    static let action = "auditq.retention.applied"

    /// The run's record in the chain, appended before anything is removed.
    private func record(_ plan: Plan, metadata: JSONObject, context: MaintenanceContext) throws(RetentionError) -> UInt64 {
        try context.append(
            action: RetentionRunner.action,
            message: "Retention under policy \(policy.name): \(plan.removedRecords) record(s) in \(plan.removedSegments.count) segment(s) removed, \(plan.expiredRecords) record(s) expired in place, \(plan.erasedRecords) kept record(s) erased",
            metadata: metadata
        )
    }

    private func metadata(_ plan: Plan, context: MaintenanceContext, time: Timestamp) -> JSONObject {
        var metadata: JSONObject = [
            "policy": .string(policy.name),
            "policy_sha256": .string(policy.sha256.hex),
            "now": .string(time.description),
            "removed_records": .number(Double(plan.removedRecords)),
            "expired_records": .number(Double(plan.expiredRecords)),
            "expired_segments": .array(plan.expired.keys.sorted().map { .number(Double($0)) }),
            "categories": .object(plan.byCategory.reduce(into: JSONObject()) { $0[$1.key] = .number(Double($1.value)) }),
            // The generation each rewritten segment will have once the run is applied.
            "generations": context.generations(Set(plan.expired.keys).union(plan.erased.keys).sorted(), advance: 1),
            "deferred_erasures": .array(
                Dictionary(grouping: plan.erased.values.flatMap { $0.values.map(\.reference) }, by: { $0 })
                    .sorted { $0.key < $1.key }
                    .map { ["reference": .string($0.key), "records": .number(Double($0.value.count))] }
            ),
        ]
        if let first = plan.removedSegments.first, let last = plan.removedSegments.last, let seqs = plan.removedSeqs {
            metadata["removed_segments"] = [.number(Double(first)), .number(Double(last))]
            metadata["removed_seqs"] = [.number(Double(seqs.lowerBound)), .number(Double(seqs.upperBound))]
            metadata["last_hash_before_cut"] = plan.lastHashBeforeCut.map { .string($0.hex) } ?? .null
        }
        return metadata
    }

    private func apply(_ plan: Plan, context: MaintenanceContext, time: Timestamp) throws(RetentionError) {
        let layout = context.layout
        for number in Set(plan.expired.keys).union(plan.erased.keys).sorted() {
            let segment = try context.load(number)
            var changes: [UInt64: RecordChange] = [:]
            for (seq, deferred) in plan.erased[number] ?? [:] { changes[seq] = .erase(paths: deferred.paths, reference: deferred.reference) }
            for (seq, category) in plan.expired[number] ?? [:] {
                changes[seq] = .expire(policy: policy.name, policySHA256: policy.sha256, category: category)
            }
            do {
                _ = try segment.rewrite(changes, layout: layout, key: key, time: .now())
            } catch {
                throw RetentionError(error)
            }
        }
        guard let first = plan.removedSegments.first, let last = plan.removedSegments.last, let seqs = plan.removedSeqs else { return }
        do {
            let lastManifestBytes = try FileSystem.readFile(layout.manifest(last))
            let lastManifest = try SegmentManifest(bytes: lastManifestBytes)
            let previous = try context.retentionState()
            let removal = RetentionState.Removal(segments: first...last, seqs: seqs, records: plan.removedRecords, policy: policy.name, policySHA256: policy.sha256, time: time)
            let state = try RetentionState(
                storeID: context.descriptor.storeID, firstSegment: last + 1, firstSeq: lastManifest.lastSeq + 1, prevHash: lastManifest.chainHead,
                prevManifestSHA256: SHA256.hash(lastManifestBytes), removals: (previous?.removals ?? []) + [removal], time: .now(), keyID: key.keyID
            ).signed(with: key)
            // The commit: from here the store begins after the removed segments; then their files go.
            try FileSystem.writeAtomically(state.document.documentBytes, to: layout.retentionState)
            CrashPoint.hit("retention-state-committed")
        } catch let error as RetentionError {
            throw error
        } catch let error as AuditStoreError {
            throw RetentionError(error)
        } catch {
            throw RetentionError(.store, "\(error)", path: layout.manifest(last))
        }
        try removeLeftovers(context)
    }

    /// Deletes the files of segments the retention state says were removed (an interrupted run's, or
    /// this run's after its commit).
    private func removeLeftovers(_ context: MaintenanceContext) throws(RetentionError) {
        guard let first = try context.retentionState()?.firstSegment else { return }
        let layout = context.layout
        do {
            var removed = false
            // The manifest goes last: a segment without one is not mistaken for a sealed one meanwhile.
            let names = try FileSystem.contents(of: layout.segmentsDirectory).sorted { a, b in
                (a.hasSuffix(StoreLayout.manifestSuffix) ? 1 : 0, a) < (b.hasSuffix(StoreLayout.manifestSuffix) ? 1 : 0, b)
            }
            for name in names {
                guard let parsed = StoreLayout.parseGeneration(fileName: name), parsed.number < first else { continue }
                try FileSystem.remove(FileSystem.join(layout.segmentsDirectory, name))
                CrashPoint.hit("leftover-removed")
                removed = true
            }
            if removed { try FileSystem.syncDirectory(layout.segmentsDirectory) }
        } catch {
            throw RetentionError(error)
        }
    }
}
