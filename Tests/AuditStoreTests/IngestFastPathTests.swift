import AuditModel
import AuditRedaction
import AuditTestSupport
import Testing
@testable import AuditStore

/// Ingest's fast path (``EventIngestor/prepareEncoded(_:)``: tape, redaction checks, validation on the
/// tape) must only answer for lines the general path stores unchanged, and must then give the general
/// path's event bytes and time.
@Suite("Ingest without a tree")
struct IngestFastPathTests {
    let ingestor = EventIngestor()

    /// Checks one line; returns whether the fast path took it.
    @discardableResult
    func check(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let bytes = Array(line.utf8)
        guard let fast = bytes.withUnsafeBytes({ ingestor.prepareEncoded($0) }) else { return false }
        switch bytes.withUnsafeBytes({ ingestor.prepare($0) }) {
        case .failure(let rejection):
            Issue.record("the fast path took a line the general path rejects (\(rejection.reason)): \(line)", sourceLocation: sourceLocation)
        case .success(let (event, report)):
            #expect(report.isEmpty, "the fast path took a line the redactor changes: \(line)", sourceLocation: sourceLocation)
            #expect(String(decoding: fast.bytes, as: UTF8.self) == CanonicalJSON.string(.object(event.fields)), sourceLocation: sourceLocation)
            #expect(fast.timestamp == event.timestamp, sourceLocation: sourceLocation)
            // The members the encoder noted are where a scan of its bytes finds them.
            let scanned = fast.bytes.withUnsafeBytes { RawEvent(line: $0, event: 0..<$0.count) }
            #expect(scanned.map { $0.members.elementsEqual(fast.members) { $0 == $1 } } == true, "\(line)", sourceLocation: sourceLocation)
        }
        return true
    }

    /// The event as JSON text: canonical, or members reversed with spaces.
    static func render(_ object: JSONObject, reversed: Bool) -> String {
        guard reversed else { return CanonicalJSON.string(.object(object)) }
        let members = object.members.reversed().map { "\(CanonicalJSON.string(.string($0.key))) : \(CanonicalJSON.string($0.value))" }
        return "{ " + members.joined(separator: " , ") + " }"
    }

    @Test("valid events take the fast path and give the general path's bytes, in any member order, with or without an id")
    func validEvents() {
        var taken = 0
        for n in 0..<400 {
            var object = Fixtures.event(n).fields
            if n % 2 == 0 { object["id"] = .string("evt_\(n)") }
            if n % 5 == 0 { object["error"] = ["code": .number(Double(400 + n % 100)), "message": "declined"] }
            if n % 7 == 0 { object["error"] = ["code": "card_declined", "message": "declined"] }
            for reversed in [false, true] where check(Self.render(object, reversed: reversed)) { taken += 1 }
        }
        #expect(taken == 800, "the fast path declined valid, plain events")
    }

    @Test("events the general path rejects, redacts or rewrites are declined", arguments: [
        #"{"ts":"2026-11-20T10:00:00.000000Z"}"#,  // no action
        #"{"action":"a"}"#,  // no ts
        #"{"action":"","ts":"2026-11-20T10:00:00.000000Z"}"#,
        #"{"action":"a","ts":"2026-11-20T10:00:00Z"}"#,  // valid, but validation rewrites ts
        #"{"action":"a","ts":"2026-11-20T11:00:00.000000+01:00"}"#,
        #"{"action":"a","ts":"2026-11-20T23:59:60.000000Z"}"#,  // the stored form's length, but a leap second is held at :59.999999
        #"{"action":"a","ts":"2026-11-20t10:00:00.000000z"}"#,  // the stored form's length, lower-case T and Z
        #"{"action":"a","ts":"not a time"}"#,
        #"{"action":"a","ts":"2026-11-20T10:00:00.000000Z","id":"has space"}"#,
        #"{"action":"a","ts":"2026-11-20T10:00:00.000000Z","id":""}"#,
        #"{"action":"a","ts":"2026-11-20T10:00:00.000000Z","id":7}"#,
        #"{"action":"a","ts":"2026-11-20T10:00:00.000000Z","request_id":""}"#,
        #"{"action":"a","ts":"2026-11-20T10:00:00.000000Z","level":3}"#,
        #"{"action":"a","ts":"2026-11-20T10:00:00.000000Z","message":["x"]}"#,
        #"{"action":"a","ts":"2026-11-20T10:00:00.000000Z","metadata":"x"}"#,
        #"{"action":"a","ts":"2026-11-20T10:00:00.000000Z","actor":"x"}"#,
        #"{"action":"a","ts":"2026-11-20T10:00:00.000000Z","actor":{"id":5}}"#,
        #"{"action":"a","ts":"2026-11-20T10:00:00.000000Z","http":{"status":700}}"#,
        #"{"action":"a","ts":"2026-11-20T10:00:00.000000Z","http":{"status":200.5}}"#,
        #"{"action":"a","ts":"2026-11-20T10:00:00.000000Z","http":{"status":99}}"#,
        #"{"action":"a","ts":"2026-11-20T10:00:00.000000Z","http":{"status":"200"}}"#,
        #"{"action":"a","ts":"2026-11-20T10:00:00.000000Z","http":{"duration_ms":-0.5}}"#,
        #"{"action":"a","ts":"2026-11-20T10:00:00.000000Z","http":{"duration_ms":"5"}}"#,
        #"{"action":"a","ts":"2026-11-20T10:00:00.000000Z","http":{"duration_ms":-1}}"#,
        #"{"action":"a","ts":"2026-11-20T10:00:00.000000Z","http":{"method":""}}"#,
        #"{"action":"a","ts":"2026-11-20T10:00:00.000000Z","error":{"code":1.5}}"#,
        #"{"action":"a","ts":"2026-11-20T10:00:00.000000Z","error":{"message":1}}"#,
        #"{"action":"a","ts":"2026-11-20T10:00:00.000000Z","password":"hunter2hunter2"}"#,
        #"{"action":"a","ts":"2026-11-20T10:00:00.000000Z","note":"Bearer abcdefghijklmnopqrstuvwxyz0123456789"}"#,
        #"{"action":"a","ts":"2026-11-20T10:00:00.000000Z","a":1,"a":2}"#,  // duplicate names
        #"{"action":"a\"b","ts":"2026-11-20T10:00:00.000000Z"}"#,  // escapes: outside the tape's subset
        #"["not an object"]"#,
    ])
    func declined(line: String) {
        #expect(!check(line), "\(line)")
    }

    @Test("mutated lines: whenever the fast path answers, the general path stores the same bytes")
    func mutated() {
        var generator = SeededGenerator(seed: 2026)
        let alphabet = Array(#"{}[]":,0123456789.-eE tnrufalsZ+\"#.utf8)
        var taken = 0
        for n in 0..<4000 {
            var bytes = Array(Self.render(Fixtures.event(n % 50).fields, reversed: n % 2 == 1).utf8)
            for _ in 0..<Int(generator.next() % 3 + 1) {
                let i = Int(generator.next() % UInt64(bytes.count))
                switch generator.next() % 3 {
                case 0: bytes[i] = alphabet[Int(generator.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: i)
                default: bytes.insert(alphabet[Int(generator.next() % UInt64(alphabet.count))], at: i)
                }
            }
            if check(String(decoding: bytes, as: UTF8.self)) { taken += 1 }
        }
        // Most mutations break the JSON or its validity; some keep a valid event (a digit changed).
        #expect(taken > 100)
    }

    @Test("ingest stores the same records through either path")
    func sameRecords() throws {
        let dir = TemporaryDirectory()
        let key = Fixtures.key()
        // Events with their own ids, so that two stores hold the same records.
        let lines = (0..<200).map { n -> [UInt8] in
            var object = Fixtures.event(n).fields
            object["id"] = .string("evt_\(n)")
            return Array(CanonicalJSON.encode(.object(object)))
        }
        var stores: [[String]] = []
        for fast in [true, false] {
            let path = dir.child(fast ? "fast" : "tree")
            let writer = try StoreWriter(path: path, key: key, configuration: Fixtures.configuration())
            for line in lines {
                let prepared = line.withUnsafeBytes { raw in
                    fast ? ingestor.prepareForAppend(raw) : ingestor.prepare(raw).map { EventIngestor.Prepared.event($0.0, $0.1) }
                }
                #expect(throws: Never.self) { _ = try prepared.get().append(to: writer) }
            }
            try writer.close()
            stores.append(try Fixtures.records(path).map { CanonicalJSON.string(.object($0)) }.filter { $0.contains("evt_") })
        }
        #expect(stores[0].count == 200)
        #expect(stores[0] == stores[1])
    }
}
