import AuditModel
import AuditTestSupport
import AuditVerify
import Testing
@testable import AuditStore

/// Event times that go backwards are not tampering (order is by sequence number), and concurrent
/// producers hand events over a little out of order all the time: only steps back of more than
/// ``Verifier/clockTolerance`` are worth a warning, one per segment.
@Suite("Verify and event times that go backwards")
struct ClockTests {
    let key = Fixtures.key()

    /// A closed store whose records have these event times (microseconds after a fixed instant), in
    /// segments of `perSegment`.
    func store(_ offsets: [Int64], perSegment: Int, in dir: TemporaryDirectory) throws -> String {
        let path = dir.child("store")
        let writer = try StoreWriter(path: path, key: key, configuration: Fixtures.configuration { $0.segmentMaxEvents = perSegment })
        for (n, offset) in offsets.enumerated() {
            let object: JSONObject = [
                "ts": .string(Timestamp(microsecondsSinceEpoch: 1_763_632_800_000_000 + offset).description),
                "action": "payment.capture", "request_id": .string("req_\(n)"),
            ]
            try writer.appendDurably(try AuditEvent(validating: object))
        }
        try writer.close()
        return path
    }

    func clockFindings(_ path: String) -> [Finding] {
        let report = Verifier(path: path, trustedKeys: [key.publicKey]).run()
        #expect(report.isIntact, "\(report.findings)")
        return report.findings.filter { $0.kind == .clockWentBackwards }
    }

    @Test("interleaving of concurrent producers (steps back up to the tolerance) is not reported")
    func interleaving() throws {
        let dir = TemporaryDirectory()
        // Steps back of 1 µs, 999 ms and exactly the tolerance, within and across segments.
        let offsets: [Int64] = [0, 10, 9, 2_000_000, 1_000_001, 3_000_000, 2_000_000, 2_500_000, 4_000_000, 3_000_000]
        #expect(clockFindings(try store(offsets, perSegment: 3, in: dir)).isEmpty)
    }

    @Test("steps back beyond the tolerance: one warning per segment, with the count and the largest step")
    func stepsBack() throws {
        let dir = TemporaryDirectory()
        // Segment 1 (seq 1-5): seq 3 is 5 s back, seq 4 still 2 s behind the latest (seq 2), seq 5 catches up.
        // Segment 2 (seq 6-10): seq 9 is 1.5 s back. Segment 3 (seq 11-12): its first record is 30 s back
        // from segment 2's latest.
        let offsets: [Int64] = [
            0, 10_000_000, 5_000_000, 8_000_000, 11_000_000,
            12_000_000, 13_000_000, 14_000_000, 12_500_000, 15_000_000,
            -15_000_000, -14_000_000,
        ]
        let findings = clockFindings(try store(offsets, perSegment: 5, in: dir))
        let bySegment = Dictionary(grouping: findings, by: { $0.segment })
        #expect(findings.allSatisfy { $0.severity == .warning }, "\(findings)")
        let first = try #require(bySegment[1]?.first, "\(findings)")
        #expect(bySegment[1]?.count == 1 && first.seqRange == 3...4, "\(findings)")
        #expect(first.message.contains("2 record(s)") && first.message.contains("5.000 s, at seq 3"), "\(first.message)")
        let second = try #require(bySegment[2]?.first, "\(findings)")
        #expect(second.seqRange == 9...9 && second.message.contains("1.500 s"), "\(second.message)")
        // Segment 3: its first record against segment 2's latest (30 s), and its own records are in order.
        #expect(bySegment[3]?.count == 1 && bySegment[3]?.first?.message.contains("previous segment's latest") == true, "\(findings)")
    }
}
