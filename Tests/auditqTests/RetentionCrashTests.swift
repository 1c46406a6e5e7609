import AuditStore
import AuditTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

@Suite("auditq erase and retention run killed at every step, then rerun")
struct RetentionCrashTests {
    static let eraseNow = "2025-02-01T00:00:00Z"
    static let retentionNow = "2025-03-25T00:00:00Z"

    /// What uninterrupted runs leave: the reference every interrupted-then-rerun case must reach.
    struct Reference: Sendable {
        var fixture: RetentionFixture
        /// The store after `auditq erase` (the starting point of the retention cases).
        var erased: RetentionFixture.Copy
        var erasedRecords: [String]
        var receipt: Data
        var retainedRecords: [String]

        init(_ fixture: RetentionFixture) throws {
            self.fixture = fixture
            erased = try fixture.copy()
            let receiptPath = erased.directory.path("receipt.json")
            let erase = try fixture.erase(erased.store, now: RetentionCrashTests.eraseNow, receipt: receiptPath)
            try #require(erase.status == 0, "erase: \(erase.summary)")
            receipt = try Data(contentsOf: URL(fileURLWithPath: receiptPath))
            erasedRecords = try fixture.comparableRecords(erased.store)
            let retained = try fixture.copy(of: erased.store)
            let retention = try fixture.retention(retained.store, now: RetentionCrashTests.retentionNow)
            try #require(retention.status == 0, "retention run: \(retention.summary)")
            retainedRecords = try fixture.comparableRecords(retained.store)
        }
    }

    /// 60 events in six segments: the erasure rewrites all six; the retention run removes segments 1-2
    /// (five files each after the erasure) and rewrites 3-6.
    static let small = Result { try Reference(RetentionFixture(events: 60, perSegment: 10, spacing: 43_200, ledgerFrom: 21)) }

    enum Operation: String, Sendable {
        case erase
        case retention
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var operation: Operation
        /// `AUDITQ_CRASH_AT`: a point, or `point#N` for its N-th time.
        var point: String
        var testDescription: String { "\(operation.rawValue) at \(point)" }
    }

    static let cases: [Case] =
        [
            "journal-written", "sealed",
            "rewrite-segment-written", "rewrite-segment-written#3", "rewrite-segment-written#6",
            "rewrite-index-written", "rewrite-index-written#6",
            "rewrite-committed", "rewrite-committed#2", "rewrite-committed#6",
            "rewrite-cleaned", "rewrite-cleaned#6",
            "erasure-log-written", "chain-record-appended", "before-journal-removed",
        ].map { Case(operation: .erase, point: $0) }
        + [
            "journal-written", "chain-record-appended",
            "rewrite-segment-written", "rewrite-segment-written#4",
            "rewrite-index-written#2",
            "rewrite-committed", "rewrite-committed#4",
            "rewrite-cleaned#2", "rewrite-cleaned#4",
            "retention-state-committed",
            "leftover-removed", "leftover-removed#5", "leftover-removed#10",
            "before-journal-removed",
        ].map { Case(operation: .retention, point: $0) }

    @Test("the cases go through every crash point")
    func everyPoint() {
        let named = Set(Self.cases.map { String($0.point.split(separator: "#")[0]) })
        #expect(named == Set(CrashPoint.all))
    }

    /// Runs the operation on `store` (with `environment`), as the reference did.
    static func run(_ operation: Operation, _ reference: Reference, store: String, receipt: String, environment: [String: String] = [:]) throws -> AuditQProcess.Result {
        switch operation {
        case .erase: try reference.fixture.erase(store, now: eraseNow, receipt: receipt, environment: environment)
        case .retention: try reference.fixture.retention(store, now: retentionNow, environment: environment)
        }
    }

    /// After a crash: no error (warnings for what the interrupted run left are expected). After the
    /// rerun: intact with no warning at all, and the records (and receipt) the uninterrupted run gave.
    static func checkRecovery(_ operation: Operation, _ reference: Reference, store: String, receipt: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let fixture = reference.fixture
        let interrupted = try fixture.verify(store)
        #expect(interrupted.errorKinds.isEmpty, "after the crash: \(interrupted.result.stdoutText)", sourceLocation: sourceLocation)

        let rerun = try run(operation, reference, store: store, receipt: receipt)
        try #require(rerun.status == 0, "rerun: \(rerun.summary)", sourceLocation: sourceLocation)
        let verify = try fixture.verify(store)
        #expect(verify.status == 0 && verify.intact == true, "after the rerun: \(verify.result.stdoutText)", sourceLocation: sourceLocation)
        let unexpected = verify.findings.filter { $0["severity"] as? String != "info" }
        #expect(unexpected.isEmpty, "after the rerun: \(unexpected)", sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: store + "/maintenance.json"), "the journal is still there", sourceLocation: sourceLocation)

        let records = try fixture.comparableRecords(store)
        let expected = operation == .erase ? reference.erasedRecords : reference.retainedRecords
        #expect(records.count == expected.count, "\(records.count) records, uninterrupted \(expected.count)", sourceLocation: sourceLocation)
        for (got, want) in zip(records, expected) where got != want {
            Issue.record("first difference from the uninterrupted run:\n  got  \(got)\n  want \(want)", sourceLocation: sourceLocation)
            break
        }
        if operation == .erase {
            #expect(try Data(contentsOf: URL(fileURLWithPath: receipt)) == reference.receipt, "the receipt differs", sourceLocation: sourceLocation)
        }
    }

    @Test("killed at a crash point: verify finds no error; a rerun completes it as if it had not been interrupted", arguments: cases)
    func crashThenRerun(_ c: Case) throws {
        let reference = try Self.small.get()
        let copy = try reference.fixture.copy(of: c.operation == .erase ? nil : reference.erased.store)
        let receipt = copy.directory.path("receipt.json")
        let crashed = try Self.run(c.operation, reference, store: copy.store, receipt: receipt, environment: ["AUDITQ_CRASH_AT": c.point])
        try #require(crashed.status == 137 && !crashed.signalled, "the point was not reached: \(crashed.summary)")
        try Self.checkRecovery(c.operation, reference, store: copy.store, receipt: receipt)
    }
}
