import Foundation
import Testing

@Suite("Redaction on ingest")
struct RedactionOnIngestTests {
    static let secrets = ["hunter2secret", "hunter2bearer", "hunter2apikey"]

    @Test("password, headers.authorization and api_key never reach the store; the record says what was redacted")
    func secretsAreRemoved() throws {
        let fixture = try StoreFixture()
        let lines = [
            StoreFixture.event(0),
            #"{"ts":"2026-11-20T14:00:01Z","action":"user.login","request_id":"req-1","password":"hunter2secret","headers":{"authorization":"Bearer hunter2bearer","accept":"*/*"},"metadata":{"api_key":"hunter2apikey"}}"#,
            StoreFixture.event(2),
        ]
        try fixture.ingestCleanly(lines)

        let records = try fixture.records()
        try #require(records.count == 3)
        let redacted = records[1]
        for secret in Self.secrets {
            #expect(!redacted.line.contains(secret), "cat shows \(secret): \(redacted.line)")
        }
        #expect(redacted.event["password"] is String, "the member stays, its value replaced: \(redacted.line)")
        #expect((redacted.event["headers"] as? [String: Any])?["accept"] as? String == "*/*", "other members are kept")
        let redaction = try #require(redacted.object["redaction"] as? [String: Any], "no redaction member: \(redacted.line)")
        #expect(!redaction.isEmpty)
        #expect(records[0].object["redaction"] == nil, "a clean event has no redaction member")

        // Nowhere on disk either: every file of the store, segments decompressed.
        let unzipped = try AuditQProcess.runTool("gzip", "-dc", fixture.segmentPath(1))
        #expect(unzipped.status == 0)
        #expect(unzipped.stdoutText.contains("[REDACTED"), "the decompressed segment holds the redacted record")
        var texts = [unzipped.stdoutText]
        let files = try #require(FileManager.default.enumerator(atPath: fixture.store))
        for case let name as String in files {
            if let data = FileManager.default.contents(atPath: fixture.store + "/" + name) { texts.append(String(decoding: data, as: UTF8.self)) }
        }
        for text in texts {
            for secret in Self.secrets { #expect(!text.contains(secret)) }
        }
        #expect(try fixture.verify().status == 0)
    }
}
