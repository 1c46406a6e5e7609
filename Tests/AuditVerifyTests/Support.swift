import AuditCrypto
import AuditModel
import AuditTestSupport
import Foundation
@testable import AuditStore

enum Fixtures {
    static func key(_ seed: UInt8 = 1) -> SigningKey {
        SigningKey(privateKey: try! Ed25519.PrivateKey(rawRepresentation: [UInt8](repeating: seed, count: 32)))
    }

    static func event(_ n: Int) -> AuditEvent {
        let object: JSONObject = [
            "ts": .string(Timestamp(microsecondsSinceEpoch: 1_763_632_800_000_000 + Int64(n) * 1000).description),
            "action": "payment.capture", "request_id": .string("req_\(n)"), "customer_code": .string("CUS_\(n % 7)"),
            "actor": ["type": "customer", "id": .string("usr_\(n % 5)")], "message": .string("event \(n)"),
            "metadata": ["amount": .number(Double(n)), "ip": "10.0.0.1"],
        ]
        return try! AuditEvent(validating: object)
    }

    static func configuration(_ change: (inout StoreWriter.Configuration) -> Void = { _ in }) -> StoreWriter.Configuration {
        var c = StoreWriter.Configuration()
        c.checkpointInterval = 0
        change(&c)
        return c
    }

    /// A closed store with `count` records in segments of `perSegment`.
    static func store(in dir: TemporaryDirectory, count: Int = 30, perSegment: Int = 10, key: SigningKey = key()) throws -> String {
        let path = dir.child("store")
        let writer = try StoreWriter(path: path, key: key, configuration: configuration { $0.segmentMaxEvents = perSegment })
        for n in 1...count { try writer.appendDurably(event(n)) }
        try writer.close()
        return path
    }

    static func records(_ path: String) throws -> [JSONObject] {
        var out: [JSONObject] = []
        try StoreReader(path: path).forEachRecordLine { line in
            guard case .object(let o) = try JSONParser().parse(Array(line)) else { return }
            out.append(o)
        }
        return out
    }
}

extension FileManager {
    func bytes(_ path: String) -> [UInt8] { Array(contents(atPath: path) ?? Data()) }
    func write(_ bytes: [UInt8], to path: String) { _ = createFile(atPath: path, contents: Data(bytes)) }
}
