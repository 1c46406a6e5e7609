import Foundation
import Testing

/// An erasure for a customer with tens of thousands of records under legal retention (a merchant, say):
/// its receipt and erasure log list every kept record, about 300 bytes each, so 60,000 of them make an
/// 18 MB log, past the JSON parser's 16 MiB default. Rerunning the request and every later retention run
/// read that log back.
@Suite("an erasure that keeps 60,000 records")
struct LargeErasureTests {
    @Test("the rerun returns the same receipt, retention runs and verify still work")
    func largeKeptList() throws {
        let fixture = try StoreFixture()
        let lines = (1...60_000).map { n in
            #"{"ts":"2026-01-01T00:00:00Z","action":"payment.capture","outcome":"success","request_id":"req_\#(n)","transaction_id":"txn_\#(n)","customer_code":"CUS_BIG","actor":{"type":"customer","id":"usr_big"},"metadata":{"amount":\#(n),"email":"big@example.com"}}"#
        }
        try fixture.ingestCleanly(lines)
        let receipt = fixture.directory.path("receipt.json")
        let erase = ["erase", "--store", fixture.store, "--key", fixture.key, "--customer", "CUS_BIG", "--reference", "DSR-BIG",
                     "--now", "2026-06-01T00:00:00Z", "--receipt", receipt]
        let first = try AuditQProcess.run(erase)
        try #require(first.status == 0, "\(first.summary)")
        let logs = try FileManager.default.contentsOfDirectory(atPath: fixture.store + "/erasures")
        let logSize = try #require(try logs.first.map { try FileManager.default.attributesOfItem(atPath: fixture.store + "/erasures/" + $0)[.size] as? Int } ?? nil)
        #expect(logSize > 16 << 20, "the log is \(logSize) bytes: the case no longer tests a log past 16 MiB")
        let firstReceipt = try Data(contentsOf: URL(fileURLWithPath: receipt))

        let rerun = try AuditQProcess.run(erase)
        #expect(rerun.status == 0, "\(rerun.summary)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: receipt)) == firstReceipt)
        let retention = try AuditQProcess.run("retention", "run", "--store", fixture.store, "--key", fixture.key, "--now", "2026-06-01T00:00:00Z")
        #expect(retention.status == 0, "\(retention.summary)")
        let verify = try fixture.verify()
        #expect(verify.result.status == 0, "\(verify.result.summary)")
    }
}
