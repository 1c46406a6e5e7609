import AuditModel
import AuditRetention
import AuditStore
import AuditTestSupport
import AuditVerify
import Foundation
import Synchronization
import Testing

@Suite("Erasure and retention while a writer appends")
struct ConcurrentMaintenanceTests {
    typealias S = MaintenanceStore

    /// Appends events from a thread of its own to a writer the test holds open (so an erasure or a
    /// retention run must go through the writer's requests), until stopped.
    final class Appender: Sendable {
        private let stopped = Atomic<Bool>(false)
        private let seqs = Mutex<[UInt64]>([])
        private let failure = Mutex<String?>(nil)
        private let done = DispatchSemaphore(value: 0)

        /// Event `i` (0, 1, …) of the appender; its request id is `live_i`.
        init(_ writer: StoreWriter, event: @escaping @Sendable (Int) -> AuditEvent) {
            let thread = Thread { [self] in
                var i = 0
                while !stopped.load(ordering: .acquiring) {
                    do {
                        let seq = try writer.append(event(i))
                        seqs.withLock { $0.append(seq) }
                    } catch {
                        failure.withLock { $0 = "\(error)" }
                        break
                    }
                    i += 1
                    usleep(300)
                }
                done.signal()
            }
            thread.start()
        }

        var count: Int { seqs.withLock { $0.count } }

        /// Waits until at least `n` events were appended.
        func wait(for n: Int) {
            while count < n, failure.withLock({ $0 }) == nil { usleep(1_000) }
        }

        /// Stops appending; returns the sequence numbers appended and the error that stopped it, if any.
        func stop() -> (seqs: [UInt64], failure: String?) {
            stopped.store(true, ordering: .releasing)
            done.wait()
            return (seqs.withLock { $0 }, failure.withLock { $0 })
        }
    }

    static func live(_ i: Int, at base: String) -> AuditEvent {
        let ts = Timestamp(microsecondsSinceEpoch: S.time(base).microsecondsSinceEpoch + Int64(i) * 1_000_000)
        return S.event(i, at: ts, person: i % 2 == 0 ? S.erasePerson : S.others[0], action: "login.success", requestPrefix: "live")
    }

    /// Every appended event is in the store once, in order, after the 60 written first.
    static func checkAppended(_ records: [UInt64: AuditStore.Record], seqs: [UInt64]) {
        #expect(seqs == seqs.sorted() && Set(seqs).count == seqs.count)
        for (i, seq) in seqs.enumerated() {
            #expect(records[seq]?.event["request_id"] == .string("live_\(i)"), "live_\(i) at \(seq)")
        }
        let ids = records.values.compactMap { $0.event["request_id"]?.stringValue }.filter { $0.hasPrefix("live_") }
        #expect(ids.count == seqs.count && Set(ids).count == ids.count)
    }

    /// Runs `body` while a writer of `store` appends live events (timed from `base`), from 25 events
    /// before until 25 after; returns what `body` returned and the appended events' sequence numbers.
    static func whileAppending<T>(to store: MaintenanceStore, from base: String, _ body: () throws -> T) throws -> (T, seqs: [UInt64]) {
        let writer = try StoreWriter(path: store.path, key: S.key, configuration: S.configuration(perSegment: 10))
        let appender = Appender(writer) { Self.live($0, at: base) }
        appender.wait(for: 25)
        let result = Result { try body() }
        appender.wait(for: appender.count + 25)
        let (seqs, failure) = appender.stop()
        try writer.close()
        #expect(failure == nil, "\(failure ?? "")")
        #expect(FileSystem.isDirectory(store.layout.requestsDirectory), "the writer holds the lock: the run must ask it")
        return (try result.get(), seqs)
    }

    @Test("an erasure seals and appends through the running writer; appended records are all there once, later ones untouched")
    func erasureWhileAppending() throws {
        let store = try S()
        let (outcome, seqs) = try Self.whileAppending(to: store, from: "2025-01-31T12:00:00Z") {
            try store.eraser("2025-02-01T00:00:00Z").run(customer: S.erasePerson.code, reference: "DSR-LIVE")
        }
        let through = try #require(try JSONParser().parse(outcome.receipt.documentBytes).objectValue?["through_seq"]?.integerValue).magnitude

        let records = try store.records()
        #expect(records.keys.sorted() == Array(1...UInt64(records.count)))
        Self.checkAppended(records, seqs: seqs)
        let erasureRecords = records.values.filter { $0.event["action"] == "auditq.erasure.completed" }
        #expect(erasureRecords.map(\.seq) == [try #require(erasureRecords.first?.seq)])
        #expect(try #require(erasureRecords.first?.seq) > through)

        var erasedLive = 0, untouchedLive = 0
        for record in records.values where record.personalDataPaths.contains("customer_code") {
            let isCustomer = record.event["customer_code"] == .string(S.erasePerson.code) || record.erasedReferences["customer_code"] == "DSR-LIVE"
            guard isCustomer, record.event["action"] != "payment.capture" else { continue }
            if record.seq <= through {
                #expect(record.erasedReferences["customer_code"] == "DSR-LIVE", "record \(record.seq) is covered by the erasure")
                if record.seq > 60 { erasedLive += 1 }
            } else {
                #expect(record.erasedReferences.isEmpty && record.event["customer_code"] == .string(S.erasePerson.code), "record \(record.seq) came after it")
                untouchedLive += 1
            }
        }
        #expect(erasedLive > 0 && untouchedLive > 0, "erased \(erasedLive), untouched \(untouchedLive)")
        let report = store.verify()
        #expect(report.isIntact, "\(report.errors)")
        #expect(report.findings(.staleFile).isEmpty)
    }

    @Test("a retention run appends its record through the running writer and removes segments while it writes")
    func retentionWhileAppending() throws {
        let store = try S()
        let (outcome, seqs) = try Self.whileAppending(to: store, from: "2025-03-20T00:00:00Z") { try store.runner(ExpiryTests.now).run() }

        #expect(outcome.plan.removedSegments == [1, 2])
        let recordSeq = try #require(outcome.recordSeq)
        let records = try store.records()
        #expect(records.keys.sorted() == Array(21...UInt64(records.count + 20)))
        Self.checkAppended(records, seqs: seqs)
        #expect(records[recordSeq]?.event["action"] == "auditq.retention.applied")
        #expect(seqs.allSatisfy { records[$0]?.expiredDigest == nil })
        let report = store.verify()
        #expect(report.isIntact, "\(report.errors)")
        #expect(report.expiredThroughSeq == 20)
        #expect(report.findings(.staleFile).isEmpty)
    }
}
