@testable import AuditModel
import Testing

@Suite("Audit event validation")
struct AuditEventTests {
    func event(_ json: String) throws -> AuditEvent {
        guard case .object(let o) = try JSONParser().parse(json) else { throw EventValidationError(field: "", reason: "not an object") }
        return try AuditEvent(validating: o, makeID: { "generated" })
    }

    @Test("normalises ts, assigns an id and keeps unknown members")
    func normalises() throws {
        let e = try event(#"{"ts":"2026-11-20T11:00:00+01:00","action":"payment.capture","x_custom":{"deep":[1]}}"#)
        #expect(e.fields["ts"] == "2026-11-20T10:00:00.000000Z")
        #expect(e.id == "generated")
        #expect(e.fields["x_custom"] == ["deep": [1]])
    }

    @Test("leaves the id to the store when no generator is given")
    func noID() throws {
        guard case .object(let o) = try JSONParser().parse(#"{"ts":"2026-11-20T10:00:00Z","action":"a"}"#) else { return }
        var e = try AuditEvent(validating: o)
        #expect(e.id == nil)
        e.assignID("x-1")
        e.assignID("x-2")
        #expect(e.id == "x-1")
    }

    @Test("keeps a producer's id")
    func keepsID() throws {
        #expect(try event(#"{"ts":"2026-11-20T10:00:00Z","action":"a","id":"evt_1"}"#).id == "evt_1")
    }

    @Test(
        "names the field when a known field is wrong",
        arguments: [
            (#"{"action":"a"}"#, "ts"),
            (#"{"ts":"2026-11-20T10:00:00Z"}"#, "action"),
            (#"{"ts":12,"action":"a"}"#, "ts"),
            (#"{"ts":"2026-11-20","action":"a"}"#, "ts"),
            (#"{"ts":"2026-11-20T10:00:00Z","action":""}"#, "action"),
            (#"{"ts":"2026-11-20T10:00:00Z","action":"a","level":""}"#, "level"),
            (#"{"ts":"2026-11-20T10:00:00Z","action":"a","level":3}"#, "level"),
            (#"{"ts":"2026-11-20T10:00:00Z","action":"a","request_id":7}"#, "request_id"),
            (#"{"ts":"2026-11-20T10:00:00Z","action":"a","http":{"status":"200"}}"#, "http.status"),
            (#"{"ts":"2026-11-20T10:00:00Z","action":"a","http":{"status":99}}"#, "http.status"),
            (#"{"ts":"2026-11-20T10:00:00Z","action":"a","http":{"duration_ms":-1}}"#, "http.duration_ms"),
            (#"{"ts":"2026-11-20T10:00:00Z","action":"a","actor":"alice"}"#, "actor"),
            (#"{"ts":"2026-11-20T10:00:00Z","action":"a","actor":{"id":5}}"#, "actor.id"),
            (#"{"ts":"2026-11-20T10:00:00Z","action":"a","metadata":[]}"#, "metadata"),
            (#"{"ts":"2026-11-20T10:00:00Z","action":"a","error":{"code":1.5}}"#, "error.code"),
            (#"{"ts":"2026-11-20T10:00:00Z","action":"a","id":"has space"}"#, "id"),
            // Several wrong fields: the first in the documented check order is named, not the first in key order.
            (#"{"ts":"2026-11-20T10:00:00Z","action":"a","source":"","outcome":""}"#, "source"),
            (#"{"ts":"2026-11-20T10:00:00Z","action":"a","correlation_id":"","request_id":7,"level":""}"#, "level"),
            (#"{"ts":"2026-11-20T10:00:00Z","action":"a","metadata":[],"http":"x","actor":"y","message":1}"#, "message"),
            (#"{"ts":"2026-11-20T10:00:00Z","action":"","id":"has space","level":""}"#, "id"),
            (#"{"ts":"bad","id":"has space"}"#, "ts"),
        ]
    )
    func wrongField(json: String, field: String) {
        do {
            _ = try event(json)
            Issue.record("accepted \(json)")
        } catch let error as EventValidationError {
            #expect(error.field == field)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("a caller-formatted timestamp is taken when ts still holds its text, parsed otherwise")
    func formattedTimestamp() throws {
        let now = Timestamp(microsecondsSinceEpoch: 1_795_000_000_123_456)
        let object: JSONObject = ["ts": .string(now.description), "action": "log"]
        let e = try AuditEvent(validating: object, makeID: nil, formatted: now)
        #expect(e.timestamp == now)
        #expect(e == (try AuditEvent(validating: object)))

        // `ts` was changed after formatting (by redaction, say): the text is what counts.
        let changed: JSONObject = ["ts": "2026-11-20T11:00:00+01:00", "action": "log"]
        let f = try AuditEvent(validating: changed, makeID: nil, formatted: now)
        #expect(f.timestamp == Timestamp(rfc3339: "2026-11-20T10:00:00Z"))
        #expect(f.fields["ts"] == "2026-11-20T10:00:00.000000Z")
        #expect(throws: EventValidationError.self) {
            try AuditEvent(validating: ["ts": "[redacted]", "action": "log"], makeID: nil, formatted: now)
        }
    }

    @Test("an already normalised event is kept as it came")
    func normalisedUnchanged() throws {
        guard case .object(let o) = try JSONParser().parse(#"{"ts":"2026-11-20T10:00:00.000001Z","action":"a","id":"e1","z":[1]}"#) else { return }
        #expect(try AuditEvent(validating: o).fields == o)
    }
}
