import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Ctrl-C (SIGINT) or SIGTERM during `auditq ingest` with input still open: what was read is stored and
/// sealed, the exit status is 128 + the signal, and the message names the line to go on from.
@Suite("ingest interrupted")
struct InterruptTests {
    @Test("what was read is stored and sealed; the message names the next line", arguments: [SIGINT, SIGTERM])
    func interrupted(_ signal: Int32) throws {
        let fixture = try StoreFixture()
        let child = try RunningAuditQ(["ingest", "--print-acks", "--store", fixture.store, "--key", fixture.key])
        let lines = (0..<50).map { StoreFixture.event($0) } + ["{not json"] + (50..<60).map { StoreFixture.event($0) }
        #expect(child.send(Array(lines.map { $0 + "\n" }.joined().utf8)))
        #expect(child.waitForLine(timeout: 30) { $0 == "durable 60" } != nil, "the 60 events were not acknowledged")
        child.signal(signal)
        let result = child.wait()
        #expect(!result.signalled && result.status == 128 + signal, "\(result.summary)")
        #expect(result.stderr.contains("input lines 1-61 were stored or reported as rejected"), "\(result.summary)")
        #expect(result.stderr.contains("tail -n +62"), "\(result.summary)")

        // Sealed, not left for recovery: verify finds every segment sealed, and the next writer recovers nothing.
        let verify = try fixture.verify()
        #expect(verify.result.status == 0, "\(verify.result.summary)")
        #expect(try fixture.records().count == 60)
        let next = try fixture.ingest([StoreFixture.event(60)])
        #expect(next.status == 0 && !next.stderr.contains("recovered"), "\(next.summary)")
    }
}
