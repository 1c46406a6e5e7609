import Foundation
import Testing

@Suite("Segment rotation")
struct RotationTests {
    @Test("--segment-max-events 10 with 35 events: 4 sealed segments, each manifest signed (openssl agrees), verify intact")
    func rotatesAndSigns() throws {
        let fixture = try StoreFixture()
        try fixture.ingestCleanly((0..<35).map { StoreFixture.event($0) }, options: ["--segment-max-events", "10"])

        let expected = (1...4).flatMap { n in
            [".index", ".jsonl.gz", ".manifest.json", ".manifest.sig"].map { URL(fileURLWithPath: fixture.segmentPath(n, $0)).lastPathComponent }
        }
        #expect(try fixture.segmentFiles() == expected.sorted())

        let ranges = [(1, 10), (11, 20), (21, 30), (31, 35)]
        for (index, range) in ranges.enumerated() {
            let number = index + 1
            let manifestPath = fixture.segmentPath(number, ".manifest.json")
            let manifest = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifestPath))) as? [String: Any]
            )
            #expect((manifest["first_seq"] as? NSNumber)?.intValue == range.0, "segment \(number)")
            #expect((manifest["last_seq"] as? NSNumber)?.intValue == range.1, "segment \(number)")
            #expect((manifest["record_count"] as? NSNumber)?.intValue == range.1 - range.0 + 1, "segment \(number)")

            let openssl = try AuditQProcess.runTool(
                "openssl", "pkeyutl", "-verify", "-pubin", "-inkey", fixture.publicKey, "-rawin",
                "-in", manifestPath, "-sigfile", fixture.segmentPath(number, ".manifest.sig")
            )
            #expect(openssl.status == 0, "segment \(number): \(openssl.summary)")
        }

        let records = try fixture.records()
        #expect(records.map(\.requestID) == (0..<35).map { "req-\($0)" })
        let verify = try fixture.verify()
        #expect(verify.status == 0, "\(verify.result.summary)")
        #expect((verify.report?["sealed_segments"] as? NSNumber)?.intValue == 4)
        #expect((verify.report?["records_checked"] as? NSNumber)?.intValue == 35)
    }
}
