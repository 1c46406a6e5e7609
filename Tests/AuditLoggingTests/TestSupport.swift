import AuditCrypto
import AuditModel
import AuditStore
import Foundation
@testable import AuditLogging

enum Fixtures {
    static func key(_ seed: UInt8 = 7) -> SigningKey {
        SigningKey(privateKey: try! Ed25519.PrivateKey(rawRepresentation: [UInt8](repeating: seed, count: 32)))
    }

    static func sink(_ path: String, _ change: (inout AuditSink.Configuration) -> Void = { _ in }) throws -> AuditSink {
        var configuration = AuditSink.Configuration()
        configuration.store.checkpointInterval = 0.01
        change(&configuration)
        return try AuditSink(path: path, key: key(), configuration: configuration)
    }

    /// Every stored event (the `event` member of each record), in sequence order, with its seq.
    static func events(_ path: String) throws -> [(seq: UInt64, event: JSONObject)] {
        var out: [(UInt64, JSONObject)] = []
        try StoreReader(path: path).forEachRecordLine { line in
            guard case .object(let record) = try JSONParser().parse(Array(line)),
                case .object(let event)? = record["event"],
                let seq = record["seq"]?.integerValue
            else { throw AuditLoggingError(.invalidEvent, "unreadable record") }
            out.append((UInt64(seq), event))
        }
        return out
    }

    /// Events this library wrote (not the store's own startup and recovery records).
    static func producerEvents(_ path: String) throws -> [(seq: UInt64, event: JSONObject)] {
        try events(path).filter { let a = $0.event["action"]?.stringValue ?? ""; return !a.hasPrefix("auditq.store.") && !a.hasPrefix("auditq.key.") }
    }
}
