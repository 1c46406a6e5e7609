import AuditCrypto
import AuditModel
import AuditQuery
import AuditRetention
import AuditStore
import AuditTestSupport
import AuditVerify
import Foundation
import Testing

@Suite("Erasure")
struct ErasureTests {
    typealias S = MaintenanceStore

    /// ``MaintenanceStore/erasePerson``'s events: every fifth. The ledger keeps 30, 40, 50 and 60.
    static let eraseSeqs: [UInt64] = [5, 10, 15, 20, 25, 35, 45, 55]
    static let keptSeqs: [UInt64] = [30, 40, 50, 60]
    /// ``MaintenanceStore/gonePerson``'s events (none of them kept).
    static let goneSeqs: [UInt64] = (0..<12).map { UInt64($0 * 5 + 1) }
    static let now = "2025-02-01T00:00:00Z"
    static let reference = "DSR-2025-0001"

    static func segment(of seq: UInt64) -> UInt64 { (seq - 1) / 10 + 1 }

    static func receiptObject(_ receipt: ErasureReceipt) throws -> JSONObject {
        try #require(try JSONParser().parse(receipt.documentBytes).objectValue)
    }

    @Test("erasure then verify: intact, an erased note per rewritten segment naming the reference, chain and manifests unchanged")
    func erasureThenVerify() throws {
        let store = try S()
        let storeID = try StoreReader(path: store.path).storeID
        let signedBefore = try store.files().filter { $0.key.hasSuffix(".manifest.json") || $0.key.hasSuffix(".manifest.sig") }
        let digestsBefore = try (1...6).map { try SealedSegment.load(UInt64($0), layout: store.layout, storeID: storeID).digests }

        let outcome = try store.eraser(Self.now).run(customer: S.erasePerson.code, reference: Self.reference)
        #expect(!outcome.alreadyComplete)
        #expect(outcome.receipt.recordsErased == 8)
        #expect(outcome.receipt.valuesErased == 32)
        #expect(outcome.receipt.recordsKept == 4)

        let report = store.verify()
        #expect(report.isIntact, "\(report.findings)")
        #expect(report.findings.allSatisfy { $0.severity == .info }, "\(report.findings.filter { $0.severity != .info })")
        let erased = report.findings(.erased)
        #expect(erased.map(\.segment) == [1, 2, 3, 4, 5, 6])
        #expect(erased.allSatisfy { $0.message.contains(Self.reference) }, "\(erased)")
        #expect(erased.map(\.message).joined().components(separatedBy: "personal-data value(s)").count == 7)
        #expect(report.recordsChecked == 61)
        #expect(report.lastSeq == 61)

        // Every record keeps its digest: the manifests the writer signed (chain heads, Merkle roots) still hold.
        let signedAfter = try store.files().filter { $0.key.hasSuffix(".manifest.json") || $0.key.hasSuffix(".manifest.sig") }
        #expect(signedAfter.filter { $0.key.contains("segment-0000000") && !$0.key.contains("segment-00000007") } == signedBefore)
        for number in 1...6 {
            let segment = try SealedSegment.load(UInt64(number), layout: store.layout, storeID: storeID)
            #expect(segment.generation == 1)
            #expect(segment.digests == digestsBefore[number - 1], "segment \(number)")
        }
        #expect(report.findings(.merkleRootMismatch).isEmpty && report.findings(.recordAltered).isEmpty)
    }

    @Test("a lookup finds exactly the kept records; erased records lose exactly the policy's personal data, nothing else changes")
    func lookupAndRecordContent() throws {
        let store = try S()
        let before = try store.records()
        let outcome = try store.eraser(Self.now).run(customer: S.erasePerson.code, reference: Self.reference)
        let after = try store.records()
        #expect(after.count == 61)

        let found = try Finder(path: store.path).find(FindQuery(keys: [.init(.customerCode, S.erasePerson.code)]))
        #expect(found.matches.map(\.seq) == Self.keptSeqs)
        #expect(Set(outcome.plan.keep.map(\.seq)) == Set(Self.keptSeqs))
        #expect(outcome.plan.erase.map(\.seq).sorted() == Self.eraseSeqs)

        for seq in 1...UInt64(60) {
            let old = try #require(before[seq]), new = try #require(after[seq])
            guard Self.eraseSeqs.contains(seq) else {
                #expect(new.storedBytes == old.storedBytes, "record \(seq) was not to be touched")
                continue
            }
            var expected = old.event
            for path in S.erasablePaths { expected.removeValue(atPath: path) }
            #expect(new.event == expected, "record \(seq): only the policy's personal-data values go")
            #expect(new.erasedReferences == Dictionary(uniqueKeysWithValues: S.erasablePaths.map { ($0, Self.reference) }))
            #expect(new.presentPersonalDataPaths == ["metadata.phone"])
            #expect(new.personalDataPaths == old.personalDataPaths)
            #expect(new.object["salts"]?.objectValue?.keys.sorted() == ["metadata.phone"])
            #expect(JSONValue.object(new.event)[path: "metadata.phone"] == .string(S.erasePerson.phone))
        }

        // The erasure's own record names the request and the receipt, never the customer.
        let record = try #require(after[61])
        #expect(record.event["action"] == "auditq.erasure.completed")
        let metadata = try #require(record.event["metadata"]?.objectValue)
        #expect(metadata["reference"] == .string(Self.reference))
        #expect(metadata["receipt_sha256"] == .string(SHA256.hash(outcome.receipt.documentBytes).hex))
        #expect(metadata["through_seq"]?.integerValue == 60)
        #expect(metadata["records_erased"]?.integerValue == 8 && metadata["values_erased"]?.integerValue == 32 && metadata["records_kept"]?.integerValue == 4)
        #expect(!record.storedBytes.contains(Array(S.erasePerson.code.utf8)))
    }

    @Test("raw bytes: after erasure no file under the store holds the customer's code, email, ip or actor id, and the salts are gone")
    func rawBytesScan() throws {
        let store = try S()
        let values = S.gonePerson.erasable
        // The scan sees every value before the erasure: it would fail an erasure that did nothing.
        let before = try store.scan(for: values + [S.gonePerson.phone])
        #expect(Set(before.map(\.value)) == Set(values + [S.gonePerson.phone]))

        let outcome = try store.eraser(Self.now).run(customer: S.gonePerson.code, reference: "DSR-GONE")
        #expect(outcome.receipt.recordsErased == 12 && outcome.receipt.recordsKept == 0)

        let after = try store.scan(for: values)
        #expect(after.isEmpty, "erased values still on disk: \(after)")
        // The value the policy does not name is still there, in the same files the scan read.
        #expect(try store.scan(for: [S.gonePerson.phone]).count >= 6)

        // Nothing left in the store can recompute an erased value's salt: its leaf key is punctured, and
        // no explicit salt is kept for an erased path.
        let records = try store.records()
        for seq in Self.goneSeqs {
            let segment = Self.segment(of: seq)
            let tree = try store.header(segment).saltTree
            let index = Int(seq - (segment - 1) * 10 - 1)
            #expect(tree.leafKey(index) == nil, "record \(seq): leaf key still derivable")
            #expect(tree.leafKey(index == 0 ? 1 : index - 1) != nil, "the neighbour of record \(seq) lost its key")
            let record = try #require(records[seq])
            let salts = record.object["salts"]?.objectValue ?? [:]
            #expect(Set(salts.keys) == ["metadata.phone"], "record \(seq)")
            #expect(Set(record.erasedReferences.keys) == Set(S.erasablePaths))
        }
        #expect(store.verify().isIntact)
    }

    @Test("records a category keeps are listed in the signed receipt with their legal basis and the date they become erasable")
    func legalRetentionInReceipt() throws {
        let store = try S()
        let policy = S.policy()
        let outcome = try store.eraser(Self.now).run(customer: S.erasePerson.code, reference: Self.reference)
        let receipt = try Self.receiptObject(outcome.receipt)

        let document = try SignedDocument(bytes: outcome.receipt.documentBytes, format: ErasureReceipt.format, version: ErasureReceipt.version, what: "receipt")
        #expect(document.isSigned(by: S.key.publicKey))
        #expect(!document.isSigned(by: S.otherKey.publicKey))
        #expect(receipt["customer"] == .string(S.erasePerson.code))
        #expect(receipt["reference"] == .string(Self.reference))
        #expect(receipt["key_id"] == .string(S.key.keyID))
        #expect(receipt["time"] == .string(S.time(Self.now).description))
        #expect(receipt["through_seq"]?.integerValue == 60)
        #expect(receipt["records_erased"]?.integerValue == 8 && receipt["values_erased"]?.integerValue == 32 && receipt["records_kept"]?.integerValue == 4)
        #expect(receipt["segments"] == .array((1...6).map { .number(Double($0)) }))
        #expect(receipt["policy"]?.objectValue?["sha256"] == .string(policy.sha256.hex))
        #expect(receipt["personal_data"] == .array(policy.personalData.map(JSONValue.string)))

        let kept = try #require(receipt["kept"]?.arrayValue).compactMap(\.objectValue)
        #expect(kept.map { UInt64($0["seq"]?.integerValue ?? 0) } == Self.keptSeqs)
        for entry in kept {
            let seq = UInt64(entry["seq"]?.integerValue ?? 0)
            let erasableFrom = Timestamp(microsecondsSinceEpoch: S.timestamp(Int(seq)).microsecondsSinceEpoch + 90 * 86_400_000_000)
            #expect(entry["segment"]?.integerValue == Int64(Self.segment(of: seq)))
            #expect(entry["category"] == "ledger")
            #expect(entry["legal_basis"] == "AML record-keeping (test period: 90 days)")
            #expect(entry["reason"] == "legal-retention")
            #expect(entry["holds"] == .array([]))
            #expect(entry["erasable_from"] == .string(erasableFrom.description), "record \(seq)")
        }
    }

    @Test("holds by customer and by transaction keep erasable records; once they end, a retention run erases them under the original reference")
    func holdsAndDeferredErasure() throws {
        let store = try S()
        let policy = S.policy(holds: S.holds)
        let disputeEnd = S.time("2025-02-06T00:00:00Z")

        // A customer under a dispute hold: every record kept, the ledger's for both reasons.
        let held = try store.eraser(Self.now, policy: policy).run(customer: S.heldPerson.code, reference: "DSR-HOLD-1")
        #expect(held.receipt.recordsErased == 0 && held.receipt.recordsKept == 12)
        let heldKept = try #require(try Self.receiptObject(held.receipt)["kept"]?.arrayValue).compactMap(\.objectValue)
        for entry in heldKept {
            let seq = Int(entry["seq"]?.integerValue ?? 0)
            let hold: JSONValue = ["id": "dispute-7", "reason": "Chargeback dispute 7", "until": .string(disputeEnd.description)]
            #expect(entry["holds"] == .array([hold]), "record \(seq)")
            if S.action(seq) == "payment.capture" {
                #expect(entry["reason"] == "legal-retention+legal-hold")
                let ledgerEnd = Timestamp(microsecondsSinceEpoch: S.timestamp(seq).microsecondsSinceEpoch + 90 * 86_400_000_000)
                #expect(entry["erasable_from"] == .string(ledgerEnd.description))
            } else {
                #expect(entry["reason"] == "legal-hold")
                #expect(entry["category"] == .string(S.action(seq) == "profile.updated" ? "profile" : "other"))
                #expect(entry["erasable_from"] == .string(disputeEnd.description), "record \(seq)")
            }
        }
        let heldBefore = try store.records()

        // A transaction under an inquiry hold: record 45 is kept, the customer's other erasable records go.
        let erase = try store.eraser(Self.now, policy: policy).run(customer: S.erasePerson.code, reference: "DSR-HOLD-2")
        #expect(erase.receipt.recordsErased == 7 && erase.receipt.recordsKept == 5)
        let txnKept = try #require(try Self.receiptObject(erase.receipt)["kept"]?.arrayValue).compactMap(\.objectValue).first { $0["seq"]?.integerValue == 45 }
        #expect(txnKept?["reason"] == "legal-hold")
        #expect(txnKept?["holds"] == .array([["id": "txn-inquiry", "reason": "Regulator inquiry into one transfer", "until": "2025-02-09T00:00:00.000000Z"]]))
        #expect(txnKept?["erasable_from"] == "2025-02-09T00:00:00.000000Z")
        #expect(try store.records()[45]?.storedBytes == heldBefore[45]?.storedBytes)
        #expect(store.verify().isIntact)

        // Both holds over: the retention run completes both requests. Record 12 (profile, 30 days) has
        // expired by then and becomes a stub instead; the ledger's records stay.
        let runner = store.runner("2025-02-10T00:00:00Z", policy: policy)
        let plan = try runner.plan()
        let deferred = plan.erased.values.reduce(into: [UInt64: String]()) { all, segment in
            for (seq, item) in segment { all[seq] = item.reference }
        }
        #expect(deferred == [2: "DSR-HOLD-1", 7: "DSR-HOLD-1", 17: "DSR-HOLD-1", 27: "DSR-HOLD-1", 37: "DSR-HOLD-1", 47: "DSR-HOLD-1", 57: "DSR-HOLD-1", 45: "DSR-HOLD-2"])
        #expect(plan.expired.values.contains { $0[12] != nil })
        let outcome = try runner.run()
        #expect(outcome.plan == plan)

        let after = try store.records()
        for (seq, reference) in deferred {
            let record = try #require(after[seq])
            #expect(record.erasedReferences == Dictionary(uniqueKeysWithValues: S.erasablePaths.map { ($0, reference) }), "record \(seq)")
            #expect(record.event["customer_code"] == nil && record.event["metadata"]?.objectValue?["email"] == nil)
        }
        #expect(after[12]?.expiredDigest != nil)
        for seq: UInt64 in [22, 32, 42, 52] { #expect(after[seq]?.storedBytes == heldBefore[seq]?.storedBytes) }
        let report = store.verify()
        #expect(report.isIntact, "\(report.findings)")
        #expect(report.findings(.erased).contains { $0.message.contains("DSR-HOLD-1") && $0.segment == 6 })

        // Rerunning either request changes nothing and returns the receipt it returned first.
        let snapshot = try store.snapshot()
        let again = try store.eraser("2025-03-01T00:00:00Z", policy: policy).run(customer: S.heldPerson.code, reference: "DSR-HOLD-1")
        #expect(again.alreadyComplete)
        #expect(again.receipt.documentBytes == held.receipt.documentBytes)
        #expect(try store.eraser(Self.now, policy: policy).run(customer: S.erasePerson.code, reference: "DSR-HOLD-2").receipt.documentBytes == erase.receipt.documentBytes)
        #expect(try store.snapshot() == snapshot)
        #expect(try runner.plan().isEmpty)
    }

    @Test("a rerun returns the same receipt bytes and changes nothing; the same reference for another customer is refused")
    func idempotentRerun() throws {
        let store = try S()
        let first = try store.eraser(Self.now).run(customer: S.erasePerson.code, reference: Self.reference)
        let snapshot = try store.snapshot()

        let again = try store.eraser("2025-06-01T00:00:00Z").run(customer: S.erasePerson.code, reference: Self.reference)
        #expect(again.alreadyComplete)
        #expect(again.plan.erase.isEmpty && again.plan.keep.isEmpty)
        #expect(again.receipt.documentBytes == first.receipt.documentBytes)
        #expect(try store.snapshot() == snapshot)

        let error = #expect(throws: RetentionError.self) {
            try store.eraser(Self.now).run(customer: S.gonePerson.code, reference: Self.reference)
        }
        #expect(error?.code == .invalidRequest)
        #expect(try store.snapshot() == snapshot)
        #expect(try store.records().values.filter { $0.event["customer_code"] == .string(S.gonePerson.code) }.count == 12)

        // With another signing key the request cannot be recognised: refused, naming the key it was carried out with.
        let otherKey = SigningKey(privateKey: try Ed25519.PrivateKey())
        let rotated = Eraser(store: store.path, key: otherKey, policy: S.policy(), now: S.time(Self.now))
        let keyError = #expect(throws: RetentionError.self) { try rotated.run(customer: S.erasePerson.code, reference: Self.reference) }
        #expect(keyError?.code == .invalidRequest)
        #expect(keyError?.message.contains(S.key.keyID) == true)
        #expect(try store.snapshot() == snapshot)
    }

    @Test("a dry run writes nothing and plans exactly what the run then does")
    func dryRun() throws {
        let store = try S()
        let snapshot = try store.snapshot()
        let plan = try store.eraser(Self.now).plan(customer: S.erasePerson.code, reference: Self.reference)
        #expect(try store.snapshot() == snapshot)
        #expect(plan.erase.map(\.seq) == Self.eraseSeqs)
        #expect(plan.erase.allSatisfy { Set($0.paths) == Set(S.erasablePaths) && $0.segment == Self.segment(of: $0.seq) })
        #expect(plan.keep.map(\.seq) == Self.keptSeqs)
        #expect(plan.valuesErased == 32)

        let outcome = try store.eraser(Self.now).run(customer: S.erasePerson.code, reference: Self.reference)
        #expect(outcome.plan == plan)
        #expect(outcome.receipt.valuesErased == plan.valuesErased)
    }

    @Test("bad requests are refused before anything is written", arguments: [
        ("", "DSR-1"), ("CUS_ERASE", ""), ("CUS_ERASE", " DSR-1"), ("CUS\u{7}", "DSR-1"), ("CUS_ERASE", String(repeating: "R", count: 201)),
    ])
    func badRequests(customer: String, reference: String) throws {
        let store = try S()
        let snapshot = try store.snapshot()
        let error = #expect(throws: RetentionError.self) { try store.eraser(Self.now).run(customer: customer, reference: reference) }
        #expect(error?.code == .invalidRequest)
        #expect(try store.snapshot() == snapshot)
    }

    @Test("a policy naming personal data the store does not commit to is refused with the paths")
    func uncommittedPersonalData() throws {
        let directory = TemporaryDirectory()
        let path = directory.child("store")
        var configuration = S.configuration(perSegment: 10)
        configuration.personalDataPaths = ["customer_code"]
        let writer = try StoreWriter(path: path, key: S.key, configuration: configuration)
        _ = try writer.append(S.event(5))
        try writer.close()
        let error = #expect(throws: RetentionError.self) {
            try Eraser(store: path, key: S.key, policy: S.policy(), now: S.time(Self.now)).run(customer: S.erasePerson.code, reference: "DSR-1")
        }
        #expect(error?.code == .policy)
        #expect(error?.message.contains("actor.id, metadata.email, metadata.ip") == true, "\(String(describing: error))")
    }
}
