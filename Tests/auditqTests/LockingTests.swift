import Foundation
import Testing

@Suite("One writer per store")
struct LockingTests {
    @Test("a second ingest on a store being written exits 2 naming the other process; the first finishes and the store verifies")
    func secondWriterIsRefused() throws {
        let fixture = try StoreFixture()
        let first = try RunningAuditQ(["ingest", "--print-acks", "--store", fixture.store, "--key", fixture.key])
        #expect(first.send(Array((StoreFixture.event(0) + "\n").utf8)))
        // Once record 1 is durable the first writer certainly holds the lock.
        let acked = first.waitForLine(timeout: 20) { $0 == "durable 1" }
        try #require(acked != nil, "the first ingest never acknowledged record 1; stdout \(first.lines)")

        let second = try fixture.ingest([StoreFixture.event(1)])
        #expect(second.status == 2, "\(second.summary)")
        #expect(second.stderr.contains("another process"), "\(second.stderr)")
        #expect(second.stderr.contains("pid \(first.pid)"), "the message names the writer: \(second.stderr)")

        first.closeStdin()
        let finished = first.wait()
        #expect(finished.status == 0 && !finished.signalled, "\(finished.summary)")

        #expect(try fixture.records().map(\.requestID) == ["req-0"], "the refused writer stored nothing")
        let verify = try fixture.verify()
        #expect(verify.status == 0, "\(verify.result.summary)")

        // The lock is released with the process: the next writer proceeds.
        try fixture.ingestCleanly([StoreFixture.event(1)])
        #expect(try fixture.records().map(\.requestID) == ["req-0", "req-1"])
    }
}
