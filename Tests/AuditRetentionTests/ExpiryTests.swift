import AuditCrypto
import AuditModel
import AuditRetention
import AuditStore
import AuditTestSupport
import AuditVerify
import Foundation
import Testing

@Suite("Expiry")
struct ExpiryTests {
    typealias S = MaintenanceStore

    /// Whether event `n` has expired at `now` under ``MaintenanceStore/policy(holds:other:)``, computed
    /// here from the periods (ledger 90 days, profile 30, other 60), not by the policy code.
    static func expired(_ n: Int, at now: String) -> Bool {
        let days: Int64 = switch S.action(n) {
        case "payment.capture": 90
        case "profile.updated": 30
        default: 60
        }
        return S.timestamp(n).microsecondsSinceEpoch + days * 86_400_000_000 <= S.time(now).microsecondsSinceEpoch
    }

    static func segment(of seq: UInt64) -> UInt64 { (seq - 1) / 10 + 1 }

    /// At this time segments 1 and 2 (events 1-20: no ledger records) have wholly expired; segments
    /// 3-6 hold some expired records and some that are still kept.
    static let now = "2025-03-25T00:00:00Z"

    @Test("whole expired segments are deleted, expired records in the rest become stubs, and the store verifies")
    func expiryThenVerify() throws {
        let store = try S()
        let storeID = try StoreReader(path: store.path).storeID
        let before = try store.records()
        let digests = try (3...6).reduce(into: [UInt64: SHA256Digest]()) { all, number in
            let segment = try SealedSegment.load(UInt64(number), layout: store.layout, storeID: storeID)
            for (i, digest) in segment.digests.enumerated() { all[segment.firstSeq + UInt64(i)] = digest }
        }
        let stubbed = (21...60).filter { Self.expired($0, at: Self.now) }.map(UInt64.init)
        #expect(stubbed.count == 18)
        #expect((1...20).allSatisfy { Self.expired($0, at: Self.now) })

        // The dry run changes nothing and says what the run then does.
        let snapshot = try store.snapshot()
        let runner = store.runner(Self.now)
        let plan = try runner.plan()
        #expect(try store.snapshot() == snapshot)
        #expect(plan.removedSegments == [1, 2])
        #expect(plan.removedSeqs == 1...20)
        #expect(plan.removedRecords == 20)
        #expect(plan.expired.mapValues { $0.keys.sorted() } == Dictionary(grouping: stubbed, by: Self.segment(of:)))
        #expect(plan.byCategory.values.reduce(0, +) == 20 + stubbed.count)
        #expect(plan.erased.isEmpty)

        let outcome = try runner.run()
        #expect(outcome.plan == plan)
        #expect(outcome.recordSeq == 61)
        #expect(!outcome.resumed)

        // The removed segments' files are gone; the signed retention state says where the store begins.
        #expect(try store.segmentFiles().allSatisfy { !$0.hasPrefix("segment-00000001.") && !$0.hasPrefix("segment-00000002.") })
        let state = try RetentionState(bytes: try FileSystem.readFile(store.layout.retentionState))
        #expect(state.document.isSigned(by: S.key.publicKey))
        #expect(state.firstSegment == 3 && state.firstSeq == 21)
        #expect(state.removals.map(\.segments) == [1...2])
        #expect(state.removals.map(\.seqs) == [1...20])
        #expect(state.removals.first?.time == S.time(Self.now))

        let report = store.verify()
        #expect(report.isIntact, "\(report.findings)")
        #expect(report.findings.allSatisfy { $0.severity == .info }, "\(report.findings.filter { $0.severity != .info })")
        #expect(report.findings(.missingFile).isEmpty)
        #expect(report.expiredThroughSeq == 20)
        let expired = report.findings(.expired)
        #expect(expired.contains { $0.seqRange == 1...20 && $0.file == store.layout.retentionState && $0.message.contains("test-short") })
        #expect(expired.compactMap(\.segment) == [3, 4, 5, 6])
        #expect(report.firstSeq == 21 && report.lastSeq == 61)

        // Each expired record is a stub that keeps its digest, its time and why it expired; every other
        // record is as it was. Its leaf key stays (docs/formats.md § Expired records: nothing is left to test a salt against).
        let after = try store.records()
        #expect(after.keys.sorted() == Array(21...61))
        for seq in UInt64(21)...60 {
            let record = try #require(after[seq])
            guard stubbed.contains(seq) else {
                #expect(record.storedBytes == before[seq]?.storedBytes, "record \(seq) was not due")
                continue
            }
            #expect(record.expiredDigest == digests[seq], "record \(seq)")
            #expect(Set(record.object.keys) == ["v", "seq", "ts", "expired"])
            #expect(record.timestamp == S.timestamp(Int(seq)))
            #expect(record.expiry?.policy == "test-short")
            #expect(record.expiry?.category == (S.action(Int(seq)) == "profile.updated" ? "profile" : "other"))
            let segment = Self.segment(of: seq)
            #expect(try store.header(segment).saltTree.leafKey(Int(seq - (segment - 1) * 10 - 1)) != nil)
        }
        let gone = ((1...20) + stubbed.map(Int.init)).map { "\"req_\($0)\"" }
        #expect(try store.scan(for: gone).isEmpty)

        // The run is in the chain before anything was removed.
        let record = try #require(after[61])
        #expect(record.event["action"] == "auditq.retention.applied")
        let metadata = try #require(record.event["metadata"]?.objectValue)
        #expect(metadata["removed_segments"] == [1, 2].map { JSONValue.number(Double($0)) }.asArray)
        #expect(metadata["removed_seqs"] == [1, 20].map { JSONValue.number(Double($0)) }.asArray)
        #expect(metadata["expired_records"]?.integerValue == Int64(stubbed.count))
        #expect(metadata["now"] == .string(S.time(Self.now).description))
    }

    @Test("a rerun at the same time removes nothing more and changes no byte")
    func rerunAtTheSameTime() throws {
        let store = try S()
        _ = try store.runner(Self.now).run()
        let snapshot = try store.snapshot()
        let plan = try store.runner(Self.now).plan()
        #expect(plan.isEmpty, "\(plan)")
        let again = try store.runner(Self.now).run()
        #expect(again.plan.isEmpty)
        #expect(again.recordSeq == nil)
        #expect(try store.snapshot() == snapshot)
    }

    @Test("holds keep records from expiring, and so keep the segments that hold them")
    func holdsPreventExpiry() throws {
        let store = try S()
        let before = try store.records()
        let policy = S.policy(holds: """
            holds:
              - id: litigation-3
                customer: CUS_HELD
                reason: "Litigation hold"
            """)
        let outcome = try store.runner(Self.now, policy: policy).run()
        #expect(outcome.plan.removedSegments.isEmpty)
        let held = (1...60).filter { S.person($0) == S.heldPerson }.map(UInt64.init)
        #expect(outcome.plan.expired.values.allSatisfy { Set($0.keys).isDisjoint(with: held) })
        #expect(outcome.plan.expired.keys.sorted() == [1, 2, 3, 4, 5, 6])

        let after = try store.records()
        #expect(after.count == 61)
        for seq in held { #expect(after[seq]?.storedBytes == before[seq]?.storedBytes, "held record \(seq)") }
        #expect(after[1]?.expiredDigest != nil)
        #expect(store.verify().isIntact)
    }

    @Test("once every data segment has expired, all are removed; the chain continues in the run's own record, and a writer extends it")
    func everythingExpired() throws {
        let store = try S()
        let later = "2025-06-01T00:00:00Z"
        #expect((1...60).allSatisfy { Self.expired($0, at: later) })
        let outcome = try store.runner(later).run()
        #expect(outcome.plan.removedSegments == [1, 2, 3, 4, 5, 6])
        #expect(outcome.recordSeq == 61)
        #expect(try store.records().keys.sorted() == [61])
        // The newest segment, which holds the run's own record, stays: the chain continues from it.
        #expect(try store.segmentFiles().filter { $0.hasSuffix(".manifest.json") } == ["segment-00000007.manifest.json"])
        #expect(try RetentionState(bytes: FileSystem.readFile(store.layout.retentionState)).firstSegment == 7)
        #expect(try store.runner(later).plan().isEmpty)

        let writer = try StoreWriter(path: store.path, key: S.key, configuration: S.configuration(perSegment: 10))
        for n in 62...64 { _ = try writer.append(S.event(n, at: S.time("2025-06-01T00:00:00Z"), person: S.others[0], action: "login.success")) }
        try writer.close()
        #expect(try store.records().keys.sorted() == [61, 62, 63, 64])
        let report = store.verify()
        #expect(report.isIntact, "\(report.findings)")
        #expect(report.expiredThroughSeq == 60)
    }

    @Test("a month is a calendar month: records from February expire 28 days on")
    func calendarMonths() throws {
        let february1 = S.time("2025-02-01T00:00:00Z").microsecondsSinceEpoch, february20 = S.time("2025-02-20T00:00:00Z").microsecondsSinceEpoch
        let store = try S(count: 20) { n in
            let base = n <= 10 ? february1 : february20
            return S.event(n, at: Timestamp(microsecondsSinceEpoch: base + Int64(n) * 60_000_000), person: S.others[1], action: "login.success")
        }
        let policy = S.policy(other: "1mo")
        let plan = try store.runner("2025-03-01T01:00:00Z", policy: policy).plan()
        #expect(plan.removedSegments == [1])
        #expect(plan.removedSeqs == 1...10)
        #expect(try store.runner("2025-03-01T00:00:00Z", policy: policy).plan().removedSegments.isEmpty)
    }
}

extension Array where Element == JSONValue {
    var asArray: JSONValue { .array(self) }
}
