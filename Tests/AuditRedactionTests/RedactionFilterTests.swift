import AuditModel
import Testing

@testable import AuditRedaction

@Suite("auditq redact line filter")
struct RedactionFilterTests {
    let filter = RedactionFilter(redactor: Redactor())

    func run(_ line: String, _ number: Int = 1) -> (String, String?) {
        let output = filter.process(Array(line.utf8), lineNumber: number)
        return (String(decoding: output.line, as: UTF8.self), output.error)
    }

    @Test("a valid event comes out canonical and redacted, with the report under redaction")
    func valid() {
        let (out, error) = run(#"{"ts":"2026-11-20T10:00:00Z","password":"hunter2", "redaction":{"forged":true}}"# + "\r")
        #expect(error == nil)
        #expect(out == #"{"password":"[REDACTED:password]","redaction":{"rules":{"password":1}},"ts":"2026-11-20T10:00:00Z"}"#)
    }

    @Test("a report from an earlier pass is kept and added to, so filtering twice is stable")
    func stable() {
        let (once, _) = run(#"{"password":"hunter2","m":"ok"}"#)
        #expect(once == #"{"m":"ok","password":"[REDACTED:password]","redaction":{"rules":{"password":1}}}"#)
        let (twice, _) = run(once)
        #expect(twice == once)
        let (more, _) = run(#"{"m":"ok","token":"t0k3n-abc","redaction":{"rules":{"jwt":1},"dropped":["a.b"]}}"#)
        #expect(more == #"{"m":"ok","redaction":{"dropped":["a.b"],"rules":{"jwt":1,"token":1}},"token":"[REDACTED:token]"}"#)
    }

    @Test("a redaction member that is not a report is redacted and replaced")
    func forged() {
        let (out, _) = run(#"{"m":"ok","redaction":{"rules":{"x":"sk_live_4eC39HqLyjWDarjtT1zdp7dc"}}}"#)
        #expect(out == #"{"m":"ok","redaction":{"rules":{"payment-provider-secret-key":1}}}"#)
        let (kept, _) = run(#"{"m":"ok","redaction":"nothing here"}"#)
        #expect(kept == #"{"m":"ok","redaction":"nothing here"}"#)
    }

    @Test("invalid lines give a placeholder and an error naming the line, never the input", arguments: [
        #"{"password":"hunter2""#,
        #"{"card":9111111111111111111}"#,
        #"{"sk_live_4eC39HqLyjWDarjtT1zdp7dc":1,"sk_live_4eC39HqLyjWDarjtT1zdp7dc":2}"#,
        "not json hunter2",
        "",
    ])
    func invalid(line: String) throws {
        let (out, error) = run(line, 7)
        let message = try #require(error)
        #expect(message.hasPrefix("line 7: "))
        for fragment in ["hunter2", "9111111111111111111", "sk_live", "not json"] {
            #expect(!out.contains(fragment))
            #expect(!message.contains(fragment))
        }
        guard case .object(let placeholder) = try JSONParser().parse(out) else {
            Issue.record("placeholder is not an object")
            return
        }
        #expect(placeholder["redaction"]?[path: "error"]?.stringValue?.hasPrefix("line 7: ") == true)
    }

    @Test("invalid UTF-8 and non-object JSON are rejected with a reason")
    func otherRejections() {
        let bad = filter.process([0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D], lineNumber: 2)
        #expect(bad.error?.contains("invalid UTF-8") == true)
        let (_, array) = run("[1,2]", 3)
        #expect(array == "line 3: not a JSON object (found array); each line must be one event object")
        let long = filter.overlong(lineNumber: 4, bytes: 20 << 20)
        #expect(long.error?.hasPrefix("line 4: line is 20971520 bytes or more") == true)
    }
}
