import AuditCrypto
import AuditModel
import AuditTestSupport
import Foundation
@testable import AuditStore

enum Fixtures {
    /// A deterministic key from a seed byte.
    static func key(_ seed: UInt8 = 1) -> SigningKey {
        SigningKey(privateKey: try! Ed25519.PrivateKey(rawRepresentation: [UInt8](repeating: seed, count: 32)))
    }

    /// A realistic event with personal data, deterministic for `n`.
    static func event(_ n: Int, customer: String? = nil, extra: JSONObject = [:]) -> AuditEvent {
        var object: JSONObject = [
            "ts": .string(Timestamp(microsecondsSinceEpoch: 1_763_632_800_000_000 + Int64(n) * 1000).description),
            "action": n % 3 == 0 ? "payment.capture" : "payment.authorize",
            "level": "info",
            "source": "payments-api",
            "outcome": n % 7 == 0 ? "failure" : "success",
            "actor": ["type": "customer", "id": .string("usr_\(n % 13)")],
            "request_id": .string("req_\(n)"),
            "transaction_id": .string("txn_\(n / 4)"),
            "customer_code": .string(customer ?? "CUS_\(n % 17)"),
            "message": .string("event number \(n) with ünïcödé"),
            "http": ["method": "POST", "path": "/v1/payments", "status": 200, "duration_ms": .number(Double(n % 900) + 0.5)],
            "metadata": ["amount": .number(Double(n) * 1.25), "currency": "NGN", "ip": .string("10.0.\(n % 255).1"), "email": .string("user\(n)@example.com")],
        ]
        for member in extra { object[member.key] = member.value }
        return try! AuditEvent(validating: object)
    }

    static func configuration(_ change: (inout StoreWriter.Configuration) -> Void = { _ in }) -> StoreWriter.Configuration {
        var c = StoreWriter.Configuration()
        c.checkpointInterval = 0.01
        change(&c)
        return c
    }

    /// Every record line of a store, parsed.
    static func records(_ path: String) throws -> [JSONObject] {
        var out: [JSONObject] = []
        try StoreReader(path: path).forEachRecordLine { line in
            guard case .object(let o) = try JSONParser().parse(Array(line)) else { throw RecordError("not an object") }
            out.append(o)
        }
        return out
    }

    static func segmentFiles(_ path: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path + "/segments").filter { $0.hasSuffix(".jsonl.gz") }.sorted().map { path + "/segments/" + $0 }
    }
}
