import Foundation
import Testing

@Suite("Reading a store while it is written")
struct LiveReadTests {
    @Test("verify and cat of a store that ingest is writing (and rotating) report no errors")
    func readWhileWriting() throws {
        let fixture = try StoreFixture()
        let child = try RunningAuditQ(["ingest", "--print-acks", "--store", fixture.store, "--key", fixture.key, "--segment-max-events", "5"])
        // About 500 events a second: a seal (manifest, signature, checkpoint) every 10 ms, without a backlog.
        // At most 4000 (800 segments), so that on a loaded machine the store a round reads stays bounded.
        let feeder = EventFeeder(child, pauseMicroseconds: 2_000, limit: 4_000) { StoreFixture.event($0) }
        try #require(child.waitForLine(timeout: 20) { $0.hasPrefix("durable ") } != nil, "no acknowledgement")

        var failures: [String] = []
        for round in 1...12 {
            let verify = try fixture.verify()
            if verify.status != 0 { failures.append("round \(round) verify exit \(verify.status): \(verify.errorKinds) \(verify.findings.first?["message"] ?? "")") }
            let cat = try AuditQProcess.run("cat", "--store", fixture.store)
            if cat.status != 0 { failures.append("round \(round) cat exit \(cat.status): \(cat.stderr)") }
            let seqs = cat.stdoutLines.compactMap { try? StoredRecord(line: $0).seq }
            let gap = seqs.enumerated().first { $0.element != $0.offset + 1 }
            #expect(gap == nil, "round \(round): cat shows records 1…n, but record \(gap.map { String($0.element) } ?? "") is at position \(gap.map { String($0.offset + 1) } ?? "") of \(seqs.count)")
        }
        #expect(failures.isEmpty, "readers of a live store reported errors:\n\(failures.joined(separator: "\n"))")

        let sent = feeder.stop()
        child.closeStdin()
        let finished = child.wait()
        #expect(finished.status == 0, "\(finished.summary)")
        #expect(try fixture.records().count == sent)
        #expect(try fixture.verify().status == 0)
    }

    /// A rotation creates the next segment file, then writes its header: a reader can find it empty.
    /// (A kill at that instant leaves the same file behind.)
    static func storeWithEmptyNewestSegment() throws -> StoreFixture {
        let fixture = try StoreFixture()
        try fixture.ingestCleanly((0..<20).map { StoreFixture.event($0) }, options: ["--segment-max-events", "10"])
        try Data().write(to: URL(fileURLWithPath: fixture.segmentPath(3)))
        return fixture
    }

    @Test("cat prints every record and exits 0 when the newest segment file is still empty")
    func catWithEmptyNewestSegment() throws {
        let fixture = try Self.storeWithEmptyNewestSegment()
        let cat = try AuditQProcess.run("cat", "--store", fixture.store)
        #expect(cat.stdoutLines.count == 20)
        #expect(cat.status == 0, "\(cat.summary)")
    }

    @Test("verify reports no error when the newest segment file is still empty (nothing signed is missing)")
    func verifyWithEmptyNewestSegment() throws {
        let fixture = try Self.storeWithEmptyNewestSegment()
        let verify = try fixture.verify()
        #expect(verify.status == 0, "\(verify.errorKinds): \(verify.result.stdoutText.prefix(600))")
    }
}
