import AuditTestSupport
import AuditCrypto
import AuditModel
import Foundation
@testable import AuditQuery
@testable import AuditStore


/// Payment events like the benchmark workload, small and deterministic: transactions of 1–7 events
/// interleaved 8 at a time (so they cross block and segment boundaries), customers skewed so that
/// CUS_0 is in about a quarter of the events, a unique request_id per event, ~10% failures.
struct Workload {
    static let start: Int64 = 1_763_632_800_000_000  // 2025-11-20T10:00:00Z

    var generator: SeededGenerator
    var slots: [(txn: String, customer: String, correlation: String, left: Int)?] = Array(repeating: nil, count: 8)
    var transactions = 0
    var n = 0

    init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    static func time(_ n: Int) -> Timestamp { Timestamp(microsecondsSinceEpoch: start + Int64(n) * 1000) }

    mutating func next() -> AuditEvent {
        n += 1
        let slot = Int(generator.next() % 8)
        if slots[slot] == nil {
            transactions += 1
            let r = Int(generator.next() % 100)
            let customer = r < 25 ? "CUS_0" : r < 40 ? "CUS_1" : "CUS_\(2 + Int(generator.next() % 300))"
            slots[slot] = ("txn_\(transactions)", customer, String(format: "%032x", transactions), 1 + Int(generator.next() % 7))
        }
        let tx = slots[slot]!
        slots[slot]!.left -= 1
        if slots[slot]!.left == 0 { slots[slot] = nil }
        let failed = generator.next() % 10 == 0
        var object: JSONObject = [
            "ts": .string(Workload.time(n).description),
            "action": .string(["payment.authorize", "payment.capture", "webhook.received", "refund.create"][Int(generator.next() % 4)]),
            "outcome": .string(failed ? "failure" : "success"),
            "request_id": .string("req_\(n)"),
            "transaction_id": .string(tx.txn),
            "customer_code": .string(tx.customer),
            "correlation_id": .string(tx.correlation),
            "message": .string("event \(n)"),
            "http": ["method": "POST", "path": "/v1/payments", "status": failed ? 402 : 201],
            "metadata": ["amount": .number(Double(n)), "note": .string("transaction_id \(tx.txn) mentioned in passing")],
        ]
        if failed { object["error"] = ["code": "card_declined", "message": "Issuer declined the card"] }
        if n % 50 == 0 { object["transaction_id"] = nil }  // some events have no transaction
        if n % 97 == 0 { object["metadata"] = ["transaction_id": .string(tx.txn)] }  // same name, nested: never a match
        return try! AuditEvent(validating: object)
    }
}

enum Fixtures {
    static func key() -> SigningKey {
        SigningKey(privateKey: try! Ed25519.PrivateKey(rawRepresentation: [UInt8](repeating: 3, count: 32)))
    }

    static func configuration(perSegment: Int = 400, blockBytes: Int = 4096) -> StoreWriter.Configuration {
        var c = StoreWriter.Configuration()
        c.checkpointInterval = 0
        c.segmentMaxEvents = perSegment
        c.blockBytes = blockBytes
        return c
    }

    /// A store with `sealed` events in sealed segments and `open` more in an open segment (the writer is
    /// returned still running; close it when done).
    static func store(_ dir: TemporaryDirectory, sealed: Int, open: Int, seed: UInt64 = 42) throws -> (path: String, writer: StoreWriter) {
        let path = dir.child("store")
        var workload = Workload(seed: seed)
        var writer = try StoreWriter(path: path, key: key(), configuration: configuration())
        for _ in 0..<sealed { try writer.append(workload.next()) }
        try writer.close()
        writer = try StoreWriter(path: path, key: key(), configuration: configuration(perSegment: 1_000_000))
        var last: UInt64 = 0
        for _ in 0..<open { last = try writer.append(workload.next()) }
        if open > 0 { try writer.waitUntilDurable(last) }
        return (path, writer)
    }

    /// Every record, parsed, by reading the whole store.
    static func allRecords(_ path: String) throws -> [(seq: UInt64, event: JSONObject)] {
        var out: [(UInt64, JSONObject)] = []
        try StoreReader(path: path).forEachRecordLine { line in
            guard case .object(let o) = try JSONParser().parse(Array(line)) else { throw RecordError("not an object") }
            out.append((UInt64(o["seq"]!.integerValue!), o["event"]!.objectValue!))
        }
        return out
    }

    /// The brute-force answer, written independently of the query engine.
    static func bruteForce(_ records: [(seq: UInt64, event: JSONObject)], _ query: FindQuery) -> [UInt64] {
        records.filter { record in
            for key in query.keys where record.event[key.field.rawValue] != .string(key.value) { return false }
            if let action = query.action, record.event["action"] != .string(action) { return false }
            if let outcome = query.outcome, record.event["outcome"] != .string(outcome) { return false }
            let ts = Timestamp(rfc3339: record.event["ts"]!.stringValue!)!
            if let since = query.since, ts < since { return false }
            if let until = query.until, ts >= until { return false }
            return true
        }.map(\.seq)
    }
}
