import AuditCrypto
import AuditModel
import AuditQuery
import AuditStore

/// Carries out a GDPR/NDPR erasure request: removes one customer's personal data from every segment,
/// except from records the policy must keep (legal retention, legal holds), which the receipt lists with
/// their legal basis and the date they become erasable. See `docs/retention.md` § Erasure.
///
/// The open segment is sealed first (by the running writer, through a request, or by a writer opened
/// for the purpose), so the request covers every record up to that point. Each affected segment is
/// rewritten as a new generation and committed atomically (``SealedSegment/rewrite(_:layout:key:time:)``);
/// every record keeps its digest, so the chain, the Merkle roots and every signature still verify. Then
/// the receipt is signed, kept in the store without the customer code, and the erasure is recorded in the
/// chain (`auditq.erasure.completed`). A rerun of a completed request changes nothing and returns the
/// same receipt; a rerun of an interrupted one completes it.
public struct Eraser: Sendable {
    public let store: String
    public let key: SigningKey
    public let policy: RetentionPolicy
    /// The time holds and retention periods are judged against (for a new request).
    public var now: Timestamp

    public init(store: String, key: SigningKey, policy: RetentionPolicy, now: Timestamp = .now()) {
        self.store = store
        self.key = key
        self.policy = policy
        self.now = now
    }

    /// One record's fate.
    public struct Item: Sendable, Hashable {
        public var seq: UInt64
        /// Nil for a record still in the open segment (a dry run; the real run seals it first).
        public var segment: UInt64?
        /// The personal-data paths erased (empty for a kept record).
        public var paths: [String]
        /// Why it is kept, as in the receipt (nil for an erased record).
        public var kept: JSONObject?
    }

    /// What the request erases and keeps.
    public struct Plan: Sendable, Hashable {
        public var erase: [Item] = []
        public var keep: [Item] = []
        public var valuesErased: Int { erase.reduce(0) { $0 + $1.paths.count } }
    }

    public struct Outcome: Sendable {
        public var receipt: ErasureReceipt
        /// True when the request had been completed before: nothing changed.
        public var alreadyComplete: Bool
        /// What this run erased (empty for a completed request).
        public var plan: Plan
    }

    /// What the request would do now, without changing anything.
    public func plan(customer: String, reference: String) throws(RetentionError) -> Plan {
        try Eraser.validate(customer: customer, reference: reference)
        let context = try MaintenanceContext(store: store, key: key, policy: policy, now: now)
        return try plan(customer: customer, reference: reference, context: context, throughSeq: nil, now: now)
    }

    /// Carries out (or completes, or repeats) the request.
    public func run(customer: String, reference: String) throws(RetentionError) -> Outcome {
        try Eraser.validate(customer: customer, reference: reference)
        let context = try MaintenanceContext(store: store, key: key, policy: policy, now: now)
        let lock = try context.lock()
        defer { lock.release() }
        let layout = context.layout
        let mac = try context.customerMAC(customer)
        let logPath = ErasureLog.path(reference, layout: layout)
        try context.removeStaleGenerations()

        if var log = try ErasureLog.load(logPath) {
            guard log.keyID == key.keyID else {
                throw RetentionError(.invalidRequest, "erasure '\(reference)' was carried out with key \(log.keyID), not \(key.keyID): rerun it with that key to recognise the request and reproduce its receipt (the store names the customer only by a MAC keyed by it)", path: logPath)
            }
            guard log.customerMAC == mac else {
                throw RetentionError(.invalidRequest, "reference '\(reference)' was already used for an erasure of another customer; give each request its own reference", path: logPath)
            }
            let receipt = try ErasureReceipt(body: log.receipt, customer: customer, key: key)
            let complete = log.chainSeq != nil
            if !complete {
                // The record may be in the chain already: appended by a run killed before it noted it here.
                let throughSeq = log.receipt["through_seq"]?.integerValue.map(UInt64.init) ?? 0
                if let seq = try context.findRecord(action: Eraser.action, metadata: metadata(receipt, log: log, context: context), after: throughSeq) {
                    log.chainSeq = seq
                } else {
                    log.chainSeq = try record(receipt, log: log, context: context)
                }
                try log.save(layout)
            }
            // Also when the log was complete: the run may have been killed just before removing the journal.
            if let journal = try MaintenanceJournal.load(layout), journal.operation == .erase, journal.reference == reference {
                try MaintenanceJournal.remove(layout)
            }
            return Outcome(receipt: receipt, alreadyComplete: complete, plan: Plan())
        }

        var journal: MaintenanceJournal
        if let existing = try MaintenanceJournal.load(layout) {
            guard existing.operation == .erase, existing.reference == reference else {
                let what = existing.operation == .erase ? "the erasure request '\(existing.reference ?? "?")'" : "a retention run"
                throw RetentionError(.interrupted, "\(what), started \(existing.started), was interrupted; run it again to complete it before starting another", path: layout.maintenanceJournal)
            }
            guard existing.customerMAC == mac else {
                throw RetentionError(.invalidRequest, "the interrupted erasure '\(reference)' was for another customer; rerun it with the same customer code", path: layout.maintenanceJournal)
            }
            guard existing.policySHA256 == policy.sha256 else {
                throw RetentionError(.interrupted, "the interrupted erasure '\(reference)' used another policy (sha256 \(existing.policySHA256.hex.prefix(12))…); rerun it with that policy to complete it", path: layout.maintenanceJournal)
            }
            journal = existing
        } else {
            journal = MaintenanceJournal(operation: .erase, started: now, policySHA256: policy.sha256)
            journal.reference = reference
            journal.customerMAC = mac
            try journal.save(layout)
            CrashPoint.hit("journal-written")
        }
        if journal.throughSeq == nil {
            do {
                journal.throughSeq = try context.control.sealOpenSegment().lastSeq
            } catch {
                throw RetentionError(error)
            }
            try journal.save(layout)
            CrashPoint.hit("sealed")
        }
        let throughSeq = journal.throughSeq ?? 0
        let plan = try self.plan(customer: customer, reference: reference, context: context, throughSeq: throughSeq, now: journal.started)

        // Rewrite each affected segment: one atomic commit per segment.
        let bySegment = Dictionary(grouping: plan.erase, by: { $0.segment ?? 0 })
        for number in bySegment.keys.sorted() {
            let segment = try context.load(number)
            var changes: [UInt64: RecordChange] = [:]
            for item in bySegment[number]! { changes[item.seq] = .erase(paths: item.paths, reference: reference) }
            do {
                _ = try segment.rewrite(changes, layout: layout, key: key, time: .now())
            } catch {
                throw RetentionError(error)
            }
        }

        // The receipt counts what was erased under this reference in every segment (also by an
        // interrupted earlier attempt), from the signed rewrite documents.
        var records = 0
        var values = 0
        var segments: [UInt64] = []
        for number in try context.sealedSegments().sealed {
            guard let erasure = layout.current(number).rewrite?.erasures.first(where: { $0.reference == reference }) else { continue }
            records += erasure.records
            values += erasure.values
            segments.append(number)
        }
        let body: JSONObject = [
            "format": .string(ErasureReceipt.format),
            "version": .number(Double(ErasureReceipt.version)),
            "store_id": .string(context.descriptor.storeID),
            "reference": .string(reference),
            "time": .string(journal.started.description),
            "through_seq": .number(Double(throughSeq)),
            "policy": ["name": .string(policy.name), "sha256": .string(policy.sha256.hex)],
            "personal_data": .array(policy.personalData.map(JSONValue.string)),
            "records_erased": .number(Double(records)),
            "values_erased": .number(Double(values)),
            "segments": .array(segments.map { .number(Double($0)) }),
            "records_kept": .number(Double(plan.keep.count)),
            "kept": .array(plan.keep.map { item in
                var entry = item.kept ?? [:]
                entry["seq"] = .number(Double(item.seq))
                entry["segment"] = .number(Double(item.segment ?? 0))
                return .object(entry)
            }),
        ]
        let receipt = try ErasureReceipt(body: body, customer: customer, key: key)
        var log = ErasureLog(reference: reference, customerMAC: mac, keyID: key.keyID, receipt: body, chainSeq: nil)
        try log.save(layout)
        CrashPoint.hit("erasure-log-written")
        log.chainSeq = try record(receipt, log: log, context: context)
        CrashPoint.hit("chain-record-appended")
        try log.save(layout)
        CrashPoint.hit("before-journal-removed")
        try MaintenanceJournal.remove(layout)
        return Outcome(receipt: receipt, alreadyComplete: false, plan: plan)
    }

    static let action = "auditq.erasure.completed"

    /// Appends the erasure's record to the chain: the reference and the receipt's SHA-256, never the customer.
    private func record(_ receipt: ErasureReceipt, log: ErasureLog, context: MaintenanceContext) throws(RetentionError) -> UInt64 {
        try context.append(
            action: Eraser.action,
            message: "Erasure request \(log.reference): \(receipt.valuesErased) personal-data value(s) in \(receipt.recordsErased) record(s) erased, \(receipt.recordsKept) record(s) kept",
            metadata: metadata(receipt, log: log, context: context)
        )
    }

    private func metadata(_ receipt: ErasureReceipt, log: ErasureLog, context: MaintenanceContext) -> JSONObject {
        [
            "reference": .string(log.reference),
            "receipt_sha256": .string(SHA256.hash(receipt.documentBytes).hex),
            "records_erased": .number(Double(receipt.recordsErased)),
            "values_erased": .number(Double(receipt.valuesErased)),
            "records_kept": .number(Double(receipt.recordsKept)),
            "through_seq": log.receipt["through_seq"] ?? .null,
            "segments": log.receipt["segments"] ?? .array([]),
            "generations": context.generations((log.receipt["segments"]?.arrayValue ?? []).compactMap { $0.integerValue.map(UInt64.init) }),
        ]
    }

    /// The customer's records (through `throughSeq`, or all for a dry run) and what happens to each.
    private func plan(customer: String, reference: String, context: MaintenanceContext, throughSeq: UInt64?, now: Timestamp) throws(RetentionError) -> Plan {
        let finder: Finder
        let outcome: Finder.Outcome
        do {
            finder = try Finder(path: context.layout.root)
            outcome = try finder.find(FindQuery(keys: [.init(.customerCode, customer)]))
        } catch {
            throw RetentionError(.store, "cannot look up the customer's records: \(error)", path: context.layout.root)
        }
        var plan = Plan()
        let wanted = Set(policy.personalData)
        for match in outcome.matches {
            if let throughSeq, match.seq > throughSeq { continue }
            guard let record = try? Record(stored: match.record), record.expiredDigest == nil else { continue }
            let sealed = FileSystem.exists(context.layout.manifest(match.segment))
            if let keep = KeepDecision.decide(record.event, policy: policy, now: now) {
                plan.keep.append(Item(seq: match.seq, segment: sealed ? match.segment : nil, paths: [], kept: keep.json))
                continue
            }
            let paths = record.presentPersonalDataPaths.filter { wanted.contains($0) }
            guard !paths.isEmpty else { continue }
            plan.erase.append(Item(seq: match.seq, segment: sealed ? match.segment : nil, paths: paths, kept: nil))
        }
        return plan
    }

    static func validate(customer: String, reference: String) throws(RetentionError) {
        func clean(_ s: String) -> Bool { !s.unicodeScalars.contains { $0.properties.generalCategory == .control } }
        guard !customer.isEmpty, customer.utf8.count <= 256, clean(customer) else {
            throw RetentionError(.invalidRequest, "the customer code must be 1 to 256 bytes without control characters")
        }
        guard !reference.isEmpty, reference.utf8.count <= 200, clean(reference), reference.first != " ", reference.last != " " else {
            throw RetentionError(.invalidRequest, "the reference must be 1 to 200 bytes, without control characters or surrounding spaces (e.g. DSR-2026-0042)")
        }
    }
}
