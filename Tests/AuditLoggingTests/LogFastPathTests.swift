import AuditModel
import AuditRedaction
import AuditStore
import AuditTestSupport
import AuditVerify
import Foundation
import Logging
import Testing
@testable import AuditLogging

/// The log path without a tree (``AuditSink/encodeLog(level:message:source:logger:metadata:now:)``)
/// must write exactly what the general path writes, and must decline every event the general path
/// would change (redact, re-map, mark as sensitive).
@Suite("Log events encoded without a tree")
struct LogFastPathTests {
    /// What the general path stores for the event: its canonical bytes and redaction report.
    static func general(_ sink: AuditSink, message: String, metadata: Logger.Metadata, now: Timestamp) -> (bytes: [UInt8], redacted: Bool)? {
        let base = AuditSink.logEvent(level: "info", message: message, source: "payments", logger: "svc", error: nil, now: now)
        guard let (event, report) = sink.prepare(base, metadata: metadata, formatted: now) else { return nil }
        var bytes: [UInt8] = []
        CanonicalJSON.encode(event.fields, into: &bytes)
        return (bytes, !report.isEmpty)
    }

    static func fast(_ sink: AuditSink, message: String, metadata: Logger.Metadata, now: Timestamp) -> [UInt8]? {
        sink.encodeLog(level: "info", message: message, source: "payments", logger: "svc", metadata: metadata, now: now)?.bytes
    }

    /// Events the fast path must take, and must encode as the general path does.
    static let common: [(String, Logger.Metadata)] = [
        ("payment captured", [
            "request_id": "req_1", "transaction_id": "txn_1", "customer_code": "CUS_1", "amount": "10.5",
            "currency": "NGN", "institution": "paystack", "ip": "10.0.1.2",
        ]),
        ("no metadata", [:]),
        ("names around `metadata`", ["a": "1", "metadatb": "2", "meta": "3", "zzz": "4", "m": "5"]),
        ("trace id becomes the correlation id", ["trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"]),
        ("an explicit correlation id wins", ["trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "correlation_id": "corr-1"]),
        ("mapped action and outcome replace the handler's", ["action": "payment.refund", "outcome": "success"]),
        ("values outside ASCII: Zürich, 東京, emoji 💳", ["city": "Zürich", "note": "東京 💳"]),
        ("string-convertible values", ["count": .stringConvertible(42), "ratio": .stringConvertible(0.25)]),
        ("personal data", ["email": "ada@example.com", "phone": "+2348012345678", "name": "Ada"]),
        ("a quote \" and a backslash \\ in the message", ["note": "line1\nline2\u{1}"]),
        ("index keys that need escapes", ["request_id": "req \"1\"", "customer_code": "CUS\\1", "transaction_id": "t\n1"]),
    ]

    @Test("the fast path writes exactly the general path's bytes for common events", arguments: 0..<common.count)
    func matchesGeneralPath(_ index: Int) throws {
        do {
            let dir = TemporaryDirectory()
            let sink = try Fixtures.sink(dir.child("store"))
            defer { sink.shutdownBlocking() }
            let (message, metadata) = Self.common[index]
            let now = Timestamp.now()
            let general = try #require(Self.general(sink, message: message, metadata: metadata, now: now))
            #expect(!general.redacted)
            let fast = try #require(Self.fast(sink, message: message, metadata: metadata, now: now), "the fast path declined \(metadata)")
            #expect(String(decoding: fast, as: UTF8.self) == String(decoding: general.bytes, as: UTF8.self))
            // The members it notes for the writer are where a scan of its bytes finds them.
            let noted = try #require(sink.encodeLog(level: "info", message: message, source: "payments", logger: "svc", metadata: metadata, now: now))
            let scanned = try #require(noted.bytes.withUnsafeBytes { RawEvent(line: $0, event: 0..<$0.count) })
            #expect(scanned.members.elementsEqual(noted.members) { $0 == $1 }, "\(metadata)")
        }
    }

    @Test("events the general path changes, re-maps or cannot keep as they are take the general path")
    func declinesWhatTheGeneralPathChanges() throws {
        do {
            let dir = TemporaryDirectory()
            let sink = try Fixtures.sink(dir.child("store"))
            defer { sink.shutdownBlocking() }
            let declined: [(String, Logger.Metadata)] = [
                ("a secret name", ["password": "hunter2-hunter2"]),
                ("a bearer token in a value", ["detail": "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"]),
                ("a card number", ["pan": "4111 1111 1111 1111"]),
                ("declared sensitive", ["otp": "\("123456", sensitivity: .sensitive)"]),
                ("an empty request_id (kept under metadata)", ["request_id": ""]),
                ("an overlong customer_code", ["customer_code": .string(String(repeating: "C", count: 300))]),
                ("a producer event id (an idempotency key)", ["event_id": "evt_1"]),
                ("a nested value", ["http": ["status": "200"]]),
                ("a list", ["tags": ["a", "b"]]),
                ("a name outside ASCII", ["größe": "1"]),
                ("a name with a quote", ["say \"hi\"": "1"]),
                ("a name with a control character", ["tab\there": "1"]),
            ]
            for (message, metadata) in declined {
                let now = Timestamp.now()
                #expect(Self.fast(sink, message: message, metadata: metadata, now: now) == nil, "\(message)")
                // ... and the general path still stores them.
                #expect(Self.general(sink, message: message, metadata: metadata, now: now) != nil, "\(message)")
            }
        }
    }

    @Test("rules that name one of the event's own members send events down the general path")
    func customRulesOnOwnMembers() throws {
        let dir = TemporaryDirectory()
        let rules = try RedactionRules(
            json: Array(#"{"version":1,"fieldNames":[{"rule":"acme-logger","names":["logger"]},{"rule":"acme-ref","names":["request_id"]}]}"#.utf8),
            source: "test.json"
        )
        let sink = try Fixtures.sink(dir.child("store")) { $0.redactionRules = rules }
        defer { sink.shutdownBlocking() }
        #expect(!sink.redactor.nameIsInert("logger"))
        for metadata: Logger.Metadata in [[:], ["request_id": "req_1"], ["amount": "10"]] {
            let now = Timestamp.now()
            #expect(Self.fast(sink, message: "m", metadata: metadata, now: now) == nil, "\(metadata)")
            #expect(Self.general(sink, message: "m", metadata: metadata, now: now)?.redacted == true, "\(metadata)")
        }
    }

    @Test("random metadata: whenever the fast path answers, its bytes are the general path's, and it never skips a redaction")
    func randomMetadata() throws {
        do {
            let dir = TemporaryDirectory()
            let sink = try Fixtures.sink(dir.child("store"))
            defer { sink.shutdownBlocking() }
            var rng = SeededGenerator(seed: 2026)
            let keys = ["request_id", "transaction_id", "customer_code", "correlation_id", "trace_id", "action", "outcome", "amount",
                        "ip", "email", "token", "api_key", "note", "a", "metadata", "message", "zz", "key", "code", "id",
                        "name", "value", "header", "event_id", "Ünïcode", "tab\tkey", "password_hint", "x-api-key"]
            let values = ["", "x", "NGN", "10.0.0.1", "4111111111111111", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "plain words here",
                          "Bearer abcdefghijklmnopqrstuvwxyz0123456789", "café", "a\"b", "ZXlKaGJHY2lPaUpJVXpJMU5pSjk=",
                          "https://x.example/cb?access_token=abcdefghijklmnop1234", String(repeating: "n", count: 257),
                          "line\nbreak\u{0}nul", "東京 💳 €", "\\back\\slash", "authorization", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
                          "+2348012345678", "ada@example.com", "\u{7F}\u{1F}"]
            var taken = 0
            for _ in 0..<6000 {
                var metadata: Logger.Metadata = [:]
                for _ in 0..<Int(rng.next() % 6) {
                    metadata[keys[Int(rng.next() % UInt64(keys.count))]] = .string(values[Int(rng.next() % UInt64(values.count))])
                }
                let now = Timestamp.now()
                guard let fast = Self.fast(sink, message: "event", metadata: metadata, now: now) else { continue }
                taken += 1
                let general = try #require(Self.general(sink, message: "event", metadata: metadata, now: now))
                #expect(!general.redacted, "\(metadata)")
                #expect(fast == general.bytes, "\(metadata)")
            }
            #expect(taken > 500)
        }
    }

    @Test("log events stored through the fast path verify (the verifier rebuilds each index from the records) and carry their ids")
    func storedEventsVerifyAndAreIndexed() throws {
        do {
            let dir = TemporaryDirectory()
            let sink = try Fixtures.sink(dir.child("store"))
            let logger = Logger(label: "svc") { AuditLogHandler(label: $0, sink: sink) }
            for n in 0..<50 {
                logger.info("payment captured", metadata: ["request_id": "req_\(n)", "customer_code": "CUS_\(n % 5)", "ip": "10.0.0.\(n)"])
            }
            // Index keys with escapes: the writer reads them as the record model does.
            logger.info("quoted", metadata: ["request_id": "req \"q\"", "transaction_id": "t\\1"])
            sink.shutdownBlocking()
            let events = try Fixtures.producerEvents(dir.child("store"))
            #expect(events.count == 51)
            #expect(events.allSatisfy { $0.event["id"]?.stringValue != nil })
            #expect(events.map { $0.event["request_id"]?.stringValue } == (0..<50).map { "req_\($0)" } + ["req \"q\""])
            let report = Verifier(path: dir.child("store"), trustedKeys: [Fixtures.key().publicKey]).run()
            #expect(report.isIntact)
        }
    }
}

