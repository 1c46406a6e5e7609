import AuditCrypto
import AuditModel
import AuditStore

/// What an erasure or retention run works with: the store, its signing key, the policy and the time
/// the run judges against.
struct MaintenanceContext: Sendable {
    let layout: StoreLayout
    let descriptor: StoreDescriptor
    let key: SigningKey
    let policy: RetentionPolicy
    let now: Timestamp

    init(store path: String, key: SigningKey, policy: RetentionPolicy, now: Timestamp) throws(RetentionError) {
        let layout = StoreLayout(root: path)
        guard FileSystem.exists(layout.descriptor) else {
            throw RetentionError(.store, "not an auditq store (no store.json)", path: layout.root)
        }
        do {
            descriptor = try StoreDescriptor.load(layout)
        } catch {
            throw RetentionError(error)
        }
        // Only values stored with a salted commitment can be removed without breaking the chain.
        let committed = Set(descriptor.personalDataPaths)
        let missing = policy.personalData.filter { !committed.contains($0) }
        guard missing.isEmpty else {
            throw RetentionError(
                .policy,
                "policy '\(policy.name)' (\(policy.source)) names personal data this store does not commit to: \(missing.joined(separator: ", ")). "
                    + "Only the paths in store.json 'personal_data' (\(descriptor.personalDataPaths.joined(separator: ", "))) can be erased "
                    + "without breaking the chain; remove the others from the policy's personal_data",
                path: layout.descriptor
            )
        }
        self.layout = layout
        self.key = key
        self.policy = policy
        self.now = now
    }

    var control: WriterControl { WriterControl(layout: layout, key: key) }

    /// Appends a run's record to the chain (through the running writer, if any); its sequence number.
    func append(action: String, message: String, metadata: JSONObject) throws(RetentionError) -> UInt64 {
        do {
            return try control.append(action: action, level: "notice", message: message, metadata: metadata)
        } catch {
            throw RetentionError(error)
        }
    }

    /// Takes the maintenance lock: one erasure or retention run at a time.
    func lock() throws(RetentionError) -> StoreLock {
        do {
            return try StoreLock.maintenance(layout)
        } catch {
            throw RetentionError(error)
        }
    }

    /// The retention state, if retention has removed segments.
    func retentionState() throws(RetentionError) -> RetentionState? {
        guard FileSystem.exists(layout.retentionState) else { return nil }
        do {
            return try RetentionState(bytes: try FileSystem.readFile(layout.retentionState))
        } catch let error as RecordError {
            throw RetentionError(.store, "the retention state is unreadable: \(error); run 'auditq verify'", path: layout.retentionState)
        } catch {
            throw RetentionError(.store, "\(error)", path: layout.retentionState)
        }
    }

    /// The last record the signed checkpoint covers (0 without one): whatever is appended from now on
    /// comes after it.
    var checkpointSeq: UInt64 {
        (try? FileSystem.readFile(layout.head)).flatMap { try? Checkpoint(bytes: $0) }?.seq ?? 0
    }

    /// Sealed segments still in the store, oldest first, and the newest segment number.
    func sealedSegments() throws(RetentionError) -> (sealed: [UInt64], newest: UInt64?) {
        do {
            // The inventory leaves out segments the retention state removed.
            let inventory = try layout.inventory()
            let sealed = inventory.filter { $0.value.contains(.manifest) }.keys.sorted()
            return (sealed, inventory.keys.max())
        } catch {
            throw RetentionError(error)
        }
    }

    /// The generation each of `segments` is at now (0: as the writer sealed it), plus `advance`, as a
    /// run's record in the chain states it: `{"N": generation}`. A verifier flags a segment found at an
    /// older generation than the chain says it reached (an older copy restored, bringing back data).
    func generations(_ segments: [UInt64], advance: Int = 0) -> JSONValue {
        .object(segments.reduce(into: JSONObject()) { object, number in
            object[String(number)] = .number(Double((layout.current(number).rewrite?.generation ?? 0) + advance))
        })
    }

    /// Deletes what an interrupted rewrite left beside a sealed segment's current files: a superseded
    /// generation (which may still hold the values the rewrite removed) or an uncommitted one. A run
    /// killed after committing a segment's last rewrite would otherwise leave it forever, since a rerun
    /// has nothing more to rewrite there. The segment is loaded first, so the files kept are the ones
    /// its signed documents name.
    func removeStaleGenerations() throws(RetentionError) {
        let first = try retentionState()?.firstSegment ?? 1
        var stale: Set<UInt64> = []
        do {
            var current: [UInt64: Int] = [:]
            for name in try FileSystem.contents(of: layout.segmentsDirectory) {
                guard let parsed = StoreLayout.parseGeneration(fileName: name), parsed.number >= first,
                    parsed.kind == .segment || parsed.kind == .index, FileSystem.exists(layout.manifest(parsed.number))
                else { continue }
                let generation = current[parsed.number] ?? layout.current(parsed.number).rewrite?.generation ?? 0
                current[parsed.number] = generation
                if parsed.generation != generation { stale.insert(parsed.number) }
            }
            for number in stale.sorted() {
                try SealedSegment.removeSuperseded(number, current: try load(number).generation, layout: layout)
            }
        } catch let error as RetentionError {
            throw error
        } catch let error as AuditStoreError {
            throw RetentionError(error)
        } catch {
            throw RetentionError(.store, "\(error)", path: layout.segmentsDirectory)
        }
    }

    /// The sequence number of the record `action` with exactly `metadata` after record `afterSeq`, if
    /// any: the record of an interrupted run that was appended before the run could note it, which a
    /// rerun must not append again. Reads the newest segments back to `afterSeq`.
    func findRecord(action: String, metadata: JSONObject, after afterSeq: UInt64) throws(RetentionError) -> UInt64? {
        let needle = Array("\"action\":\"\(action)\"".utf8)
        do {
            let reader = try StoreReader(path: layout.root)
            for number in try reader.segmentNumbers().reversed() {
                var found: UInt64?
                try reader.forEachRecordLine(inSegment: number) { line in
                    guard found == nil, line.firstRange(of: needle) != nil else { return }
                    let record = try Record(line: line)
                    if record.seq > afterSeq, record.event["action"] == .string(action), record.event["metadata"] == .object(metadata) {
                        found = record.seq
                    }
                }
                if let found { return found }
                if let manifest = try? SegmentManifest(bytes: FileSystem.readFile(layout.manifest(number))), manifest.firstSeq <= afterSeq + 1 { break }
            }
            return nil
        } catch let error as AuditStoreError {
            throw RetentionError(error)
        } catch {
            throw RetentionError(.store, "cannot look for the interrupted run's record: \(error)", path: layout.root)
        }
    }

    func load(_ number: UInt64) throws(RetentionError) -> SealedSegment {
        do {
            return try SealedSegment.load(number, layout: layout, storeID: descriptor.storeID)
        } catch {
            throw RetentionError(error)
        }
    }

    /// A keyed fingerprint of a customer code, so that a stored erasure log and the journal can recognise
    /// a rerun of the same request without holding the code: HMAC-SHA-256 under a key only the signing
    /// key's holder can derive (the SHA-256 of a deterministic Ed25519 signature over a fixed label).
    func customerMAC(_ customer: String) throws(RetentionError) -> SHA256Digest {
        do {
            let label = Array("auditq-erasure-customer-mac:\(descriptor.storeID)".utf8)
            let macKey = SHA256.hash(try key.sign(label)).bytes
            return HMACSHA256.authenticationCode(for: Array(customer.utf8), key: macKey)
        } catch {
            throw RetentionError(error)
        }
    }
}

/// Why a record's personal data is kept when an erasure asks for it, and until when.
struct KeepDecision: Sendable, Hashable {
    var category: Category
    /// Kept for the category's record-keeping period (the category says `on_erasure: keep`).
    var legalRetention: Bool
    var holds: [Hold]
    /// When nothing keeps it any more (nil: not foreseeable — a category kept forever or an open-ended hold).
    var erasableFrom: Timestamp?

    /// Nil when the record may be erased now.
    static func decide(_ event: JSONObject, policy: RetentionPolicy, now: Timestamp) -> KeepDecision? {
        let category = policy.category(for: event)
        let ts = event["ts"]?.stringValue.flatMap(Timestamp.init(rfc3339:))
        let holds = policy.activeHolds(customer: event["customer_code"]?.stringValue, transaction: event["transaction_id"]?.stringValue, at: now)
        var legal = false
        var until: [Timestamp?] = []
        if category.onErasure == .keepUntilExpiry {
            let expiry = ts.flatMap { category.expiry(of: $0) }
            if category.retention == nil || ts == nil || expiry.map({ $0 > now }) == true {
                legal = true
                until.append(category.retention == nil || ts == nil ? nil : expiry)
            }
        }
        until += holds.map(\.until)
        guard legal || !holds.isEmpty else { return nil }
        let erasableFrom: Timestamp? = until.contains { $0 == nil } ? nil : until.compactMap { $0 }.max()
        return KeepDecision(category: category, legalRetention: legal, holds: holds, erasableFrom: erasableFrom)
    }

    var json: JSONObject {
        [
            "category": .string(category.name),
            "legal_basis": .string(category.legalBasis),
            "reason": .string(legalRetention ? (holds.isEmpty ? "legal-retention" : "legal-retention+legal-hold") : "legal-hold"),
            "holds": .array(holds.map { ["id": .string($0.id), "reason": .string($0.reason), "until": $0.until.map { .string($0.description) } ?? .null] }),
            "erasable_from": erasableFrom.map { .string($0.description) } ?? .null,
        ]
    }
}
