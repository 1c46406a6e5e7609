import Foundation
import Testing

@Suite("auditq ingest and cat round trip")
struct IngestRoundTripTests {
    /// Members a producer sent that auditq does not know: they must come back exactly.
    static let unknownMembers = #""tenant":"acme","custom":{"nested":{"list":[1,"two",true,null,2.5,-7]},"text":"Zürich ✓ \"quoted\" \\ back","empty":{}}"#

    static let inputLines: [String] = {
        var lines = [
            #"{"ts":"2026-11-20T15:00:00.123456789+01:00","action":"login","request_id":"req-0",\#(unknownMembers)}"#,
            #"{"ts":"2026-11-20T14:00:01Z","action":"logout","request_id":"req-1"}"#,
        ]
        for i in 2..<25 { lines.append(StoreFixture.event(i)) }
        return lines
    }()

    @Test("N events in, N records out in order with seq 1…N, unknown members kept, ts normalised to UTC microseconds")
    func roundTrip() throws {
        let fixture = try StoreFixture()
        let ingest = try fixture.ingestCleanly(Self.inputLines)
        #expect(ingest.stderr.contains("stored 25 events"), "\(ingest.stderr)")

        let records = try fixture.records()
        #expect(records.map(\.seq) == Array(1...25).map(Optional.some))
        #expect(records.map(\.requestID) == (0..<25).map { "req-\($0)" })
        for record in records {
            #expect(record.object["v"] as? NSNumber == 1)
            #expect(record.event["id"] is String, "an id is assigned: \(record.line)")
        }

        let first = try #require(records.first)
        #expect(first.event["ts"] as? String == "2026-11-20T14:00:00.123456Z")
        #expect(records[1].event["ts"] as? String == "2026-11-20T14:00:01.000000Z")
        let sent = try JSONSerialization.jsonObject(with: Data("{\(Self.unknownMembers)}".utf8)) as? [String: Any]
        for (name, value) in try #require(sent) {
            let stored = try #require(first.event[name], "member \(name) was dropped: \(first.line)")
            #expect(NSDictionary(dictionary: [name: stored]).isEqual(to: [name: value]), "member \(name) changed: \(first.line)")
        }

        let verify = try fixture.verify()
        #expect(verify.status == 0, "\(verify.result.summary)")
        #expect(verify.intact == true)
        #expect(verify.errorKinds.isEmpty)
    }

    @Test("gzip -dc of the sealed segment shows the header line, then exactly the records cat prints")
    func segmentIsPlainGzip() throws {
        let fixture = try StoreFixture()
        try fixture.ingestCleanly(Self.inputLines)
        let catLines = try fixture.records().map(\.line)

        let segment = fixture.segmentPath(1)
        #expect(FileManager.default.fileExists(atPath: fixture.segmentPath(1, ".manifest.json")), "the segment is sealed at end of input")
        let unzipped = try AuditQProcess.runTool("gzip", "-dc", segment)
        #expect(unzipped.status == 0, "gzip -dc: \(unzipped.summary)")
        let lines = unzipped.stdoutLines
        try #require(lines.count == catLines.count + 1, "\(lines.count) lines")
        let header = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
        #expect(header?["auditq"] as? String == "auditq-segment")
        #expect(header?["first_seq"] as? NSNumber == 1)
        #expect(Array(lines.dropFirst()) == catLines)

        // jq, a third parser, reads the same sequence numbers.
        let jq = try AuditQProcess.runTool("jq", "-c", "select(.seq) | .seq", stdin: unzipped.stdout)
        #expect(jq.status == 0, "jq: \(jq.summary)")
        #expect(jq.stdoutLines == (1...25).map(String.init))
    }

    @Test("--print-acks prints increasing `durable SEQ` lines ending at the last record")
    func printAcks() throws {
        let fixture = try StoreFixture()
        let result = try fixture.ingestCleanly((0..<300).map { StoreFixture.event($0) }, options: ["--print-acks"])
        let acks = result.stdoutLines.map { line in line.hasPrefix("durable ") ? Int(line.dropFirst(8)) : nil }
        #expect(!acks.isEmpty && acks.allSatisfy { $0 != nil }, "\(result.stdoutText.prefix(300))")
        let values = acks.compactMap { $0 }
        #expect(values == values.sorted() && Set(values).count == values.count, "acknowledgements increase")
        #expect(values.last == 300)
    }

    @Test("a second ingest continues the same store at the next sequence number")
    func appendsAcrossRuns() throws {
        let fixture = try StoreFixture()
        try fixture.ingestCleanly((0..<5).map { StoreFixture.event($0) })
        try fixture.ingestCleanly((5..<8).map { StoreFixture.event($0) })

        let records = try fixture.records()
        #expect(records.map(\.seq) == Array(1...8).map(Optional.some))
        #expect(records.map(\.requestID) == (0..<8).map { "req-\($0)" })
        #expect(try fixture.segmentFiles().filter { $0.hasSuffix(".manifest.sig") }.count == 2)
        #expect(try fixture.verify().status == 0)
    }
}
