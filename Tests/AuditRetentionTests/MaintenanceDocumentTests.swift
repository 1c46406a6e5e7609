import AuditCrypto
import AuditModel
import AuditRetention
import AuditStore
import AuditTestSupport
import Foundation
import Testing

/// The documents erasure and retention write, produced from a real store and validated against their
/// schemas (`docs/formats.md` § Erasure and expiry, § Segment rewrites, § Retention state, § Erasure
/// receipts and erasure logs), each with a wrong member that its schema must reject.
@Suite("Maintenance documents and their schemas")
struct MaintenanceDocumentTests {
    static let key = SigningKey(privateKey: try! Ed25519.PrivateKey(rawRepresentation: [UInt8](repeating: 9, count: 32)))

    static func time(_ text: String) -> Timestamp { Timestamp(rfc3339: text)! }

    /// 30 events from 2026-01-01, one a minute, in sealed segments of 10: payments (ledger, kept on
    /// erasure for 7 years), logins (access, 13 months) and webhooks (other, 1 year), alternating
    /// between two customers.
    static func store(in dir: TemporaryDirectory) throws -> String {
        let path = dir.child("store")
        var configuration = StoreWriter.Configuration()
        configuration.segmentMaxEvents = 10
        let writer = try StoreWriter(path: path, key: key, configuration: configuration)
        for n in 1...30 {
            let object: JSONObject = [
                "ts": .string(Timestamp(microsecondsSinceEpoch: time("2026-01-01T00:00:00Z").microsecondsSinceEpoch + Int64(n) * 60_000_000).description),
                "action": .string(["payment.capture", "auth.login", "webhook.received"][n % 3]),
                "customer_code": .string("CUS_\(n % 2)"), "transaction_id": .string("txn_\(n)"),
                "actor": ["type": "customer", "id": .string("usr_\(n)")], "metadata": ["ip": .string("10.0.0.\(n)")],
            ]
            try writer.appendDurably(try AuditEvent(validating: object))
        }
        try writer.close()
        return path
    }

    /// The default policy erasing only `customer_code` and `metadata.ip`: an erased record keeps its
    /// `actor.id`, with its salt in the line.
    static let narrowPolicy: RetentionPolicy = {
        let text = String(decoding: try! Data(contentsOf: SchemaValidation.root.appendingPathComponent("retention/default.yaml")), as: UTF8.self)
        let start = text.range(of: "personal_data:\n")!
        let end = text.range(of: "categories:", range: start.upperBound..<text.endIndex)!
        let narrowed = text.replacingCharacters(in: start.lowerBound..<end.lowerBound, with: "personal_data: [customer_code, metadata.ip]\n")
        return try! RetentionPolicy(yaml: Array(narrowed.utf8), source: "test")
    }()

    static func bytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

    static func object(_ bytes: [UInt8]) throws -> JSONObject {
        guard case .object(let o) = try JSONParser().parse(bytes) else { throw RecordError("not an object") }
        return o
    }

    static func expectValid(_ bytes: [UInt8], _ schema: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let problem = try SchemaValidation.validate(bytes, schema: schema)
        #expect(problem == nil, "\(what): \(problem ?? "")", sourceLocation: sourceLocation)
    }

    /// `document` with one member changed must fail its schema.
    static func expectRejected(_ document: [UInt8], _ schema: String, sourceLocation: SourceLocation = #_sourceLocation, change: (inout JSONObject) -> Void) throws {
        var o = try object(document)
        change(&o)
        #expect(try SchemaValidation.validate(CanonicalJSON.encode(.object(o)), schema: schema) != nil, sourceLocation: sourceLocation)
    }

    static func records(_ path: String) throws -> [[UInt8]] {
        var lines: [[UInt8]] = []
        try StoreReader(path: path).forEachRecordLine { lines.append(Array($0)) }
        return lines
    }

    static func rewrites(_ path: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path + "/segments").filter { $0.hasSuffix(".rewrite.json") }.sorted().map { path + "/segments/" + $0 }
    }

    @Test("erasure: rewrite documents, erased records with salts, the receipt and the erasure log")
    func erasureDocuments() throws {
        let dir = TemporaryDirectory()
        let path = try Self.store(in: dir)
        let outcome = try Eraser(store: path, key: Self.key, policy: Self.narrowPolicy, now: Self.time("2026-02-01T00:00:00Z")).run(customer: "CUS_1", reference: "DSR-2026-0001")
        #expect(outcome.receipt.recordsErased == 10 && outcome.receipt.valuesErased == 20 && outcome.receipt.recordsKept == 5)

        let receipt = outcome.receipt.documentBytes
        try Self.expectValid(receipt, "erasure-receipt", "receipt")
        try Self.expectRejected(receipt, "erasure-receipt") { $0["kept"] = [["seq": 3, "segment": 1, "category": "ledger", "legal_basis": "x", "reason": "because", "holds": [], "erasable_from": .null]] }

        let logs = try FileManager.default.contentsOfDirectory(atPath: path + "/erasures")
        #expect(logs == [String(SHA256.hash(Array("DSR-2026-0001".utf8)).hex.prefix(32)) + ".json"])
        let log = try Self.bytes(path + "/erasures/" + logs[0])
        try Self.expectValid(log, "erasure-log", "erasure log")
        #expect(!String(decoding: log, as: UTF8.self).contains("CUS_1"), "the store keeps no customer code")
        // The customer code in a stored log is exactly what its schema exists to keep out.
        try Self.expectRejected(log, "erasure-log") { o in
            var receipt = o["receipt"]!.objectValue!
            receipt["customer"] = "CUS_1"
            o["receipt"] = .object(receipt)
        }

        let rewrites = try Self.rewrites(path)
        #expect(rewrites.count == 3)
        for rewrite in rewrites { try Self.expectValid(try Self.bytes(rewrite), "segment-rewrite", rewrite) }
        try Self.expectRejected(try Self.bytes(rewrites[0]), "segment-rewrite") { $0["generation"] = 0 }

        let lines = try Self.records(path)
        let texts = lines.map { String(decoding: $0, as: UTF8.self) }
        #expect(texts.contains { $0.contains(#""erased":"#) && $0.contains(#""salts":{"actor.id":"#) })
        for (line, text) in zip(lines, texts) { try Self.expectValid(line, "record", text) }
        let erased = try #require(lines.first { String(decoding: $0, as: UTF8.self).contains(#""salts":"#) })
        try Self.expectRejected(erased, "record") { $0["salts"] = ["actor.id": "not a salt"] }
    }

    @Test("retention: expired stubs and rewrite generations, then the retention state")
    func retentionDocuments() throws {
        let dir = TemporaryDirectory()
        let path = try Self.store(in: dir)
        _ = try Eraser(store: path, key: Self.key, policy: Self.narrowPolicy, now: Self.time("2026-02-01T00:00:00Z")).run(customer: "CUS_1", reference: "DSR-2026-0001")

        // A year on, the webhooks (category other) have expired inside segments that stay.
        let inPlace = try RetentionRunner(store: path, key: Self.key, policy: .default, now: Self.time("2027-01-15T00:00:00Z")).run()
        #expect(inPlace.plan.expiredRecords == 10 && inPlace.plan.removedSegments.isEmpty)
        for rewrite in try Self.rewrites(path) { try Self.expectValid(try Self.bytes(rewrite), "segment-rewrite", rewrite) }
        let lines = try Self.records(path)
        let stubs = lines.filter { String(decoding: $0, as: UTF8.self).hasPrefix(#"{"expired":"#) }
        #expect(stubs.count == 10)
        for line in lines { try Self.expectValid(line, "record", String(decoding: line, as: UTF8.self)) }
        // A stub has nothing but its digest, time and reason.
        try Self.expectRejected(stubs[0], "record") { $0["event"] = ["action": "webhook.received"] }
        let generation2 = try Self.bytes(path + "/segments/segment-00000001.rewrite.json")
        #expect(try Self.object(generation2)["generation"] == 2)

        // Years later everything the events started has expired: segments 1 to 3 go.
        let removal = try RetentionRunner(store: path, key: Self.key, policy: .default, now: Self.time("2034-01-15T00:00:00Z")).run()
        #expect(removal.plan.removedSegments == [1, 2, 3])
        let state = try Self.bytes(path + "/retention.json")
        try Self.expectValid(state, "retention-state", "retention state")
        let parsed = try Self.object(state)
        #expect(parsed["first_segment"] == 4 && parsed["first_seq"] == 31)
        try Self.expectRejected(state, "retention-state") { $0["first_segment"] = 1 }
        try Self.expectRejected(state, "retention-state") { $0["removed"] = [] }
    }
}
