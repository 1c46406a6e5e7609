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
        /// The store after `auditq retention run` on ``erased``.
        var retained: RetentionFixture.Copy

        init(_ fixture: RetentionFixture) throws {
            self.fixture = fixture
            erased = try fixture.copy()
            let receiptPath = erased.directory.path("receipt.json")
            let erase = try fixture.erase(erased.store, now: RetentionCrashTests.eraseNow, receipt: receiptPath)
            try #require(erase.status == 0, "erase: \(erase.summary)")
            receipt = try Data(contentsOf: URL(fileURLWithPath: receiptPath))
            erasedRecords = try fixture.comparableRecords(erased.store)
            retained = try fixture.copy(of: erased.store)
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
    ///
    /// - Parameter writerInterrupted: the run may have stopped while a writer it opened was open (a
    ///   kill, a full disk): what that writer leaves is the next writer's to tidy up.
    static func checkRecovery(_ operation: Operation, _ reference: Reference, store: String, receipt: String, writerInterrupted killed: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let fixture = reference.fixture
        let interrupted = try fixture.verify(store)
        #expect(interrupted.errorKinds.isEmpty, "after the crash: \(interrupted.result.stdoutText)", sourceLocation: sourceLocation)

        let rerun = try run(operation, reference, store: store, receipt: receipt)
        try #require(rerun.status == 0, "rerun: \(rerun.summary)", sourceLocation: sourceLocation)
        let verify = try fixture.verify(store)
        #expect(verify.status == 0 && verify.intact == true, "after the rerun: \(verify.result.stdoutText)", sourceLocation: sourceLocation)
        // A writer killed with the run (it opens one to seal or append when none is running) may leave what
        // the next writer tidies up (a temporary file, a seal to complete): not the run's to remove.
        let writerLeftovers: Set<String> = killed ? ["temporary-file", "seal-in-progress", "torn-tail"] : []
        let unexpected = verify.findings.filter { $0["severity"] as? String != "info" && !writerLeftovers.contains($0["kind"] as? String ?? "") }
        #expect(unexpected.isEmpty, "after the rerun: \(unexpected)", sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: store + "/maintenance.json"), "the journal is still there", sourceLocation: sourceLocation)

        // A kill while a writer was open makes the rerun's writer append a recovery notice first; for an
        // erasure that can be before it seals, which moves its through_seq (and so its receipt) by one.
        let cat = try AuditQProcess.run("cat", "--store", store)
        let recovered = killed && cat.stdoutText.contains("auditq.store.recovered")
        let records = try fixture.comparableRecords(store, ignoringThroughSeq: recovered)
        let expected = recovered
            ? try fixture.comparableRecords(operation == .erase ? reference.erased.store : reference.retained.store, ignoringThroughSeq: true)
            : operation == .erase ? reference.erasedRecords : reference.retainedRecords
        #expect(records.count == expected.count, "\(records.count) records, uninterrupted \(expected.count)", sourceLocation: sourceLocation)
        for (got, want) in zip(records, expected) where got != want {
            Issue.record("first difference from the uninterrupted run:\n  got  \(got)\n  want \(want)", sourceLocation: sourceLocation)
            break
        }
        if operation == .erase, !recovered {
            #expect(try Data(contentsOf: URL(fileURLWithPath: receipt)) == reference.receipt, "the receipt differs", sourceLocation: sourceLocation)
        }
    }

    /// 3000 events in ten segments: the erasure rewrites all ten; the retention run removes segments
    /// 1-5 and rewrites 6-10. With how long each uninterrupted run took, to time the kills.
    static let large = Result { () throws -> (reference: Reference, seconds: [Operation: Double]) in
        let started = Date()
        let reference = try Reference(RetentionFixture(events: 3000, perSegment: 300, spacing: 900, ledgerFrom: 1501))
        // The reference ran ingest, erase and retention run; each maintenance run takes about a third.
        let third = Date().timeIntervalSince(started) / 3
        return (reference, [.erase: third, .retention: third])
    }

    @Test("kill -9 at a random moment: verify finds no error; a rerun completes it as if it had not been killed", arguments: [Operation.erase, .retention])
    func killAtRandom(_ operation: Operation) throws {
        let (reference, seconds) = try Self.large.get()
        var generator = SeededGenerator(seed: operation == .erase ? 0x5EED_E2A5 : 0x5EED_2E7E)
        var killed = 0
        for iteration in 0..<5 {
            let delay = Double.random(in: 0.02...max(0.05, seconds[operation]! * 0.9), using: &generator)
            let copy = try reference.fixture.copy(of: operation == .erase ? nil : reference.erased.store)
            let receipt = copy.directory.path("receipt.json")
            let fixture = reference.fixture
            let arguments = operation == .erase
                ? ["erase", "--store", copy.store, "--key", fixture.key, "--policy", fixture.policy, "--customer", RetentionFixture.customer, "--reference", "DSR-CLI-1", "--now", Self.eraseNow, "--receipt", receipt]
                : ["retention", "run", "--store", copy.store, "--key", fixture.key, "--policy", fixture.policy, "--now", Self.retentionNow]
            let child = try RunningAuditQ(arguments)
            usleep(UInt32(delay * 1_000_000))
            child.signal(SIGKILL)
            let ended = child.wait()
            if ended.signalled {
                #expect(ended.status == SIGKILL)
                killed += 1
            } else {
                #expect(ended.status == 0, "iteration \(iteration): \(ended.summary)")
            }
            try Self.checkRecovery(operation, reference, store: copy.store, receipt: receipt, writerInterrupted: true)
        }
        #expect(killed > 0, "no run was killed before it finished: the delays are too long")
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
