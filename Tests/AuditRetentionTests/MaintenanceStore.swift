import AuditCompression
import AuditCrypto
import AuditModel
import AuditRetention
import AuditStore
import AuditTestSupport
import AuditVerify
import Foundation
import Testing

/// A closed store of payments events whose times, customers and personal data the erasure and expiry
/// tests know exactly, and what those tests do with it (verify, read back, hash, scan raw bytes).
///
/// Event `n` (1…count) happens at 2025-01-01T00:00:00Z + n × 12 h, so the default 60 events span
/// January 2025, ten to a segment (segment `s` holds events 10s−9…10s). Its customer is chosen by
/// `n % 5`: 0 ``erasePerson``, 1 ``gonePerson``, 2 ``heldPerson``, else one of three others. From event
/// 21 on, even events are `payment.capture` (the ledger, kept on erasure) except ``gonePerson``'s; of
/// the rest, multiples of 3 are `profile.updated` and the others `login.success` (both erasable).
/// Event 45 (``erasePerson``, `profile.updated`) has the transaction id `txn_hold_1`.
final class MaintenanceStore: Sendable {
    /// One customer's personal data: every value is unique to the customer.
    struct Person: Sendable, Hashable {
        var code: String
        var actor: String
        var email: String
        var ip: String
        /// Committed to by the store but not named by ``policy(holds:other:)``: an erasure leaves it.
        var phone: String

        /// The values an erasure under ``policy(holds:other:)`` removes.
        var erasable: [String] { [code, actor, email, ip] }
    }

    static let erasePerson = Person(code: "CUS_ERASE", actor: "usr_erase_41b2", email: "erase.41b2@example.com", ip: "198.51.100.41", phone: "+2348000000041")
    static let gonePerson = Person(code: "CUS_GONE", actor: "usr_gone_7f3a", email: "gone.7f3a@example.com", ip: "198.51.100.73", phone: "+2348000000073")
    static let heldPerson = Person(code: "CUS_HELD", actor: "usr_held_9c0d", email: "held.9c0d@example.com", ip: "198.51.100.90", phone: "+2348000000090")
    static let others = (0..<3).map { i in
        Person(code: "CUS_OTHER_\(i)", actor: "usr_other_\(i)", email: "other.\(i)@example.com", ip: "192.0.2.\(10 + i)", phone: "+234800000010\(i)")
    }

    /// The policy paths ``Person/erasable`` stands for, in the order of its values.
    static let erasablePaths = ["customer_code", "actor.id", "metadata.email", "metadata.ip"]

    static let key = SigningKey(privateKey: try! Ed25519.PrivateKey(rawRepresentation: [UInt8](repeating: 7, count: 32)))
    static let otherKey = SigningKey(privateKey: try! Ed25519.PrivateKey(rawRepresentation: [UInt8](repeating: 8, count: 32)))

    static let start = Timestamp(rfc3339: "2025-01-01T00:00:00Z")!

    static func time(_ text: String) -> Timestamp { Timestamp(rfc3339: text)! }

    static func timestamp(_ n: Int) -> Timestamp {
        Timestamp(microsecondsSinceEpoch: start.microsecondsSinceEpoch + Int64(n) * 12 * 3_600_000_000)
    }

    static func person(_ n: Int) -> Person {
        switch n % 5 {
        case 0: erasePerson
        case 1: gonePerson
        case 2: heldPerson
        default: others[n % 3]
        }
    }

    static func action(_ n: Int) -> String {
        if person(n) != gonePerson, n >= 21, n % 2 == 0 { return "payment.capture" }
        return n % 3 == 0 ? "profile.updated" : "login.success"
    }

    static func event(_ n: Int) -> AuditEvent {
        event(n, at: timestamp(n), person: person(n), action: action(n))
    }

    static func event(_ n: Int, at ts: Timestamp, person: Person, action: String, requestPrefix: String = "req") -> AuditEvent {
        let object: JSONObject = [
            "ts": .string(ts.description),
            "action": .string(action),
            "level": "info",
            "source": "payments-api",
            "outcome": "success",
            "actor": ["type": "customer", "id": .string(person.actor)],
            "request_id": .string("\(requestPrefix)_\(n)"),
            "transaction_id": .string(n == 45 ? "txn_hold_1" : "txn_\(n)"),
            "customer_code": .string(person.code),
            "message": .string("event \(n)"),
            "http": ["method": "POST", "path": "/v1/payments", "status": 200],
            "metadata": ["amount": .number(Double(n) * 1.5), "currency": "NGN", "email": .string(person.email), "ip": .string(person.ip), "phone": .string(person.phone)],
        ]
        return try! AuditEvent(validating: object)
    }

    /// The test policy (``RetentionTestPolicy``): short periods, so that a `now` a few weeks on crosses them.
    static func policy(holds: String = "holds: []", other: String = "60d") -> RetentionPolicy {
        try! RetentionPolicy(yaml: Array(RetentionTestPolicy.yaml(name: "test-short", other: other, holds: holds).utf8), source: "test-short.yaml")
    }

    /// A dispute hold on ``heldPerson`` through 2025-02-05 and an inquiry hold on `txn_hold_1` through 2025-02-08.
    static let holds = """
        holds:
          - id: dispute-7
            customer: CUS_HELD
            reason: "Chargeback dispute 7"
            until: 2025-02-05
          - id: txn-inquiry
            transaction: txn_hold_1
            reason: "Regulator inquiry into one transfer"
            until: 2025-02-08
        """

    let directory: TemporaryDirectory
    let path: String
    var layout: StoreLayout { StoreLayout(root: path) }

    /// Writes events `1…count` (``event(_:)`` unless `events` says otherwise) and closes the store.
    init(count: Int = 60, perSegment: Int = 10, events: (Int) -> AuditEvent = MaintenanceStore.event) throws {
        directory = TemporaryDirectory(prefix: "auditq-retention")
        path = directory.child("store")
        let writer = try StoreWriter(path: path, key: Self.key, configuration: Self.configuration(perSegment: perSegment))
        for n in 1...count { _ = try writer.append(events(n)) }
        try writer.close()
    }

    private init(copying other: MaintenanceStore) throws {
        directory = TemporaryDirectory(prefix: "auditq-retention")
        path = directory.child("store")
        try FileManager.default.copyItem(atPath: other.path, toPath: path)
    }

    /// An independent copy of the store as it is now.
    func copy() throws -> MaintenanceStore { try MaintenanceStore(copying: self) }

    static func configuration(perSegment: Int) -> StoreWriter.Configuration {
        var c = StoreWriter.Configuration()
        c.segmentMaxEvents = perSegment
        c.checkpointInterval = 0.05
        c.requestPollInterval = 0.005
        return c
    }

    func eraser(_ now: String, policy: RetentionPolicy = MaintenanceStore.policy()) -> Eraser {
        Eraser(store: path, key: Self.key, policy: policy, now: Self.time(now))
    }

    func runner(_ now: String, policy: RetentionPolicy = MaintenanceStore.policy()) -> RetentionRunner {
        RetentionRunner(store: path, key: Self.key, policy: policy, now: Self.time(now))
    }

    func verify(trusting keys: [SigningKey] = [MaintenanceStore.key]) -> VerificationReport {
        Verifier(path: path, trustedKeys: keys.map(\.publicKey)).run()
    }

    /// Every record, by sequence number, as stored now.
    func records() throws -> [UInt64: Record] {
        var out: [UInt64: Record] = [:]
        try StoreReader(path: path).forEachRecordLine { line in
            let record = try Record(line: line)
            #expect(out[record.seq] == nil, "record \(record.seq) appears twice")
            out[record.seq] = record
        }
        return out
    }

    /// Every file under the store directory: its path relative to the store, and its bytes.
    func files() throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        let root = URL(fileURLWithPath: path)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else { return out }
        for case let url as URL in walker where (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
            let relative = String(url.path.dropFirst(root.path.count + 1))
            out[relative] = Array(try Data(contentsOf: url))
        }
        return out
    }

    /// SHA-256 of every file, by relative path: equal snapshots mean no byte of the store changed.
    func snapshot() throws -> [String: String] {
        try files().mapValues { SHA256.hash($0).hex }
    }

    /// Where any of `values` occurs: in the raw bytes of every file, and in the decompressed content of
    /// every gzip file (every member).
    func scan(for values: [String]) throws -> [(file: String, value: String)] {
        var found: [(String, String)] = []
        for (name, bytes) in try files().sorted(by: { $0.key < $1.key }) {
            var contents = [bytes]
            if name.hasSuffix(".gz") { contents.append(try Gzip.inflateAll(bytes, maxOutput: 1 << 30)) }
            for value in values where contents.contains(where: { $0.contains(Array(value.utf8)) }) {
                found.append((name, value))
            }
        }
        return found
    }

    /// The signed segment header of a sealed segment's current generation.
    func header(_ segment: UInt64) throws -> SegmentHeader {
        var scanner = SegmentScanner(bytes: try FileSystem.readFile(layout.current(segment).segment))
        return try scanner.readHeader()
    }

    /// The file names in `segments/`, sorted.
    func segmentFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: layout.segmentsDirectory).sorted()
    }
}

extension VerificationReport {
    func findings(_ kind: Finding.Kind) -> [Finding] { findings.filter { $0.kind == kind } }
    var errors: [Finding] { findings.filter { $0.severity == .error } }
}
