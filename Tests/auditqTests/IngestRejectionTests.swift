import Foundation
import Testing

@Suite("auditq ingest rejects bad lines")
struct IngestRejectionTests {
    /// Appears in every bad line: stderr must never echo it (a rejected line may carry a secret).
    static let marker = "s3cr3t-MARKER-7f1c"
    /// A value redaction removes: not even the rejects file may hold it.
    static let password = "hunter2-rejected-password"

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var line: [UInt8]
        var options: [String] = []
        /// Part of the reason auditq must give.
        var reason: String
        /// The line is a JSON object, so the rejects file carries the (redacted) event.
        var carriesEvent: Bool
        var testDescription: String { name }
    }

    static let ts = #""ts":"2026-11-20T14:00:00Z""#
    static let secretMembers = #""note":"\#(marker)","password":"\#(password)""#

    static let cases: [Case] = [
        Case(name: "malformed JSON", line: Array(#"{\#(ts),"action":"x",\#(secretMembers),"oops": }"#.utf8), reason: "invalid JSON", carriesEvent: false),
        Case(
            name: "invalid UTF-8", line: Array(#"{\#(ts),"action":"x","note":"\#(marker)"#.utf8) + [0xFF, 0xFE, 0xC3] + Array(#"","password":"\#(password)"}"#.utf8),
            reason: "UTF-8", carriesEvent: false
        ),
        Case(
            name: "over --max-event-bytes", line: Array(#"{\#(ts),"action":"x",\#(secretMembers),"pad":"\#(String(repeating: marker, count: 40))"}"#.utf8),
            options: ["--max-event-bytes", "512"], reason: "over the limit of 512 bytes", carriesEvent: false
        ),
        Case(
            name: "far over the size limit (longer than the read buffer)",
            line: Array(#"{\#(ts),"action":"x",\#(secretMembers),"pad":"\#(String(repeating: marker, count: 120_000))"}"#.utf8),
            reason: "over the limit", carriesEvent: false
        ),
        Case(
            name: "deeper than --max-depth", line: Array(#"{\#(ts),"action":"x",\#(secretMembers),"m":[[[[[[[[["\#(marker)"]]]]]]]]]}"#.utf8),
            options: ["--max-depth", "8"], reason: "nesting deeper than 8", carriesEvent: false
        ),
        Case(
            name: "100k-deep nesting",
            line: Array(#"{\#(ts),"action":"\#(marker)","password":"\#(password)","m":\#(String(repeating: "[", count: 100_000))\#(String(repeating: "]", count: 100_000))}"#.utf8),
            reason: "nesting deeper than", carriesEvent: false
        ),
        Case(name: "http.status as a string", line: Array(#"{\#(ts),"action":"x",\#(secretMembers),"http":{"status":"\#(marker)"}}"#.utf8), reason: "http.status", carriesEvent: true),
        Case(name: "ts unparseable", line: Array(#"{"ts":"\#(marker)","action":"x","password":"\#(password)"}"#.utf8), reason: "'ts'", carriesEvent: true),
        Case(name: "request_id a number", line: Array(#"{\#(ts),"action":"x",\#(secretMembers),"request_id":12345}"#.utf8), reason: "request_id", carriesEvent: true),
        Case(name: "action missing", line: Array(#"{\#(ts),\#(secretMembers)}"#.utf8), reason: "'action'", carriesEvent: true),
        Case(name: "an array, not an object", line: Array(#"["\#(marker)",{"password":"\#(password)"}]"#.utf8), reason: "must be a JSON object", carriesEvent: false),
        Case(name: "a string, not an object", line: Array(#""\#(marker) \#(password)""#.utf8), reason: "must be a JSON object", carriesEvent: false),
    ]

    @Test("a bad line among good ones: exit 1, reported by line number without its text, good lines stored", arguments: cases)
    func badLine(_ badCase: Case) throws {
        let fixture = try StoreFixture()
        let rejects = fixture.directory.path("rejects.jsonl")
        // Lines 3 and 6 are bad; line 5 is empty (ignored); the rest are good.
        let good = (0..<4).map { Array(StoreFixture.event($0).utf8) }
        let input = [good[0], good[1], badCase.line, good[2], [], badCase.line, good[3]].map { $0 + [0x0A] }.joined()

        let result = try fixture.ingest(bytes: Array(input), options: badCase.options + ["--rejects", rejects])
        #expect(result.status == 1 && !result.signalled, "\(result.summary)")

        let reported = result.stderr.split(separator: "\n").filter { $0.hasPrefix("auditq: line ") }
        #expect(reported.count == 2, "\(result.stderr)")
        #expect(reported.first?.hasPrefix("auditq: line 3: ") == true, "\(result.stderr)")
        #expect(reported.last?.hasPrefix("auditq: line 6: ") == true, "\(result.stderr)")
        #expect(reported.allSatisfy { $0.contains(badCase.reason) }, "reason should mention '\(badCase.reason)': \(result.stderr)")
        #expect(!result.stderr.contains(Self.marker), "stderr quotes the rejected line")
        #expect(!result.stderr.contains("hunter2"), "stderr quotes the rejected line")

        let records = try fixture.records()
        #expect(records.map(\.requestID) == (0..<4).map { "req-\($0)" })
        #expect(records.map(\.seq) == [1, 2, 3, 4])
        let verify = try fixture.verify()
        #expect(verify.status == 0, "\(verify.result.summary)")

        let mode = try FileManager.default.attributesOfItem(atPath: rejects)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        let rejectsText = try String(contentsOfFile: rejects, encoding: .utf8)
        #expect(!rejectsText.contains("hunter2"), "the rejects file holds a secret that redaction removes: \(rejectsText.prefix(500))")
        let entries = try rejectsText.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(entries.compactMap { ($0["line"] as? NSNumber)?.intValue } == [3, 6])
        for entry in entries {
            #expect((entry["reason"] as? String)?.contains(badCase.reason) == true, "\(entry)")
            let event = entry["event"] as? [String: Any]
            #expect((event != nil) == badCase.carriesEvent, "event member: \(String(describing: event))")
            if let event, event["password"] != nil {
                #expect((event["password"] as? String)?.hasPrefix("[REDACTED") == true)
            }
        }
    }

    @Test("a --rejects file that already exists (mode 0644) ends up mode 0600")
    func existingRejectsFileMode() throws {
        let fixture = try StoreFixture()
        let rejects = fixture.directory.path("rejects.jsonl")
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: rejects))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: rejects)

        let bad = #"{"ts":"not a time","action":"x","customer_code":"\#(Self.marker)"}"#
        let result = try fixture.ingest([StoreFixture.event(0), bad], options: ["--rejects", rejects])
        #expect(result.status == 1, "\(result.summary)")
        let text = try String(contentsOfFile: rejects, encoding: .utf8)
        #expect(text.contains(Self.marker) && !text.hasPrefix("old"), "the rejects file is rewritten: \(text)")
        let mode = try FileManager.default.attributesOfItem(atPath: rejects)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600, "rejected events (personal data) are left readable by others: mode \(String(mode?.intValue ?? 0, radix: 8))")
    }

    @Test("empty and blank lines are ignored, a final line without newline is stored: exit 0, no report")
    func blankLines() throws {
        let fixture = try StoreFixture()
        let input = "\n" + StoreFixture.event(0) + "\n\n   \n\t\n\r\n" + StoreFixture.event(1) + "\r\n\n" + StoreFixture.event(2)
        let result = try fixture.ingest(bytes: Array(input.utf8))
        #expect(result.status == 0, "\(result.summary)")
        #expect(!result.stderr.contains("auditq: line"), "\(result.stderr)")
        #expect(try fixture.records().map(\.requestID) == ["req-0", "req-1", "req-2"])
    }

    @Test("100k-deep nesting at the highest --max-depth is rejected, never a crash; a higher limit is a usage error")
    func deepNestingWithRaisedLimit() throws {
        let fixture = try StoreFixture()
        let deep = #"{\#(Self.ts),"action":"x","m":\#(String(repeating: "[", count: 100_000))\#(String(repeating: "]", count: 100_000))}"#
        let result = try fixture.ingest(
            [StoreFixture.event(0), deep, StoreFixture.event(1)], options: ["--max-depth", "256", "--max-event-bytes", "1000000"]
        )
        let crashed = result.signalled
        try #require(!crashed, "ingest crashed with signal \(result.status): \(result.stderr.prefix(400))")
        #expect(result.status == 1, "\(result.stderr.prefix(400))")
        #expect(result.stderr.contains("line 2"), "\(result.stderr.prefix(400))")
        #expect(try fixture.records().map(\.requestID).filter { $0 != nil } == ["req-0", "req-1"])

        let tooHigh = try fixture.ingest([StoreFixture.event(2)], options: ["--max-depth", "1000000"])
        #expect(tooHigh.status == 64, "\(tooHigh.summary)")
        #expect(tooHigh.stderr.contains("--max-depth must be from 1 to 256"), "\(tooHigh.stderr)")
    }

    @Test("an event accepted under a raised --max-depth is readable by verify")
    func acceptedDepthVerifies() throws {
        let fixture = try StoreFixture()
        // 1 (event object) + 63 arrays = depth 64, within --max-depth 100.
        let deep = #"{\#(Self.ts),"action":"x","m":\#(String(repeating: "[", count: 63))\#(String(repeating: "]", count: 63))}"#
        try fixture.ingestCleanly([StoreFixture.event(0), deep], options: ["--max-depth", "100"])
        #expect(try fixture.records().count == 2)
        let verify = try fixture.verify()
        #expect(verify.status == 0, "a store holding only accepted events fails verification: \(verify.errorKinds)")
    }
}
