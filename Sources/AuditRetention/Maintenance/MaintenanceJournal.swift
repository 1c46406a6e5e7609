import AuditCrypto
import AuditModel
import AuditStore

/// The journal of an erasure or retention run in progress: `DIR/maintenance.json`, written before the
/// run changes anything and deleted when it is complete. A run that finds one resumes it (the same
/// erasure request) or refuses until it is completed (any other). It holds no personal data: the
/// customer of an erasure only as a keyed MAC.
struct MaintenanceJournal: Hashable, Sendable {
    static let format = "auditq-maintenance-journal"
    static let version = 1

    enum Operation: String, Sendable {
        case erase
        case retention
    }

    var operation: Operation
    /// When the run started: an erasure's receipt time, a retention run's `now`.
    var started: Timestamp
    var policySHA256: SHA256Digest
    var reference: String?
    var customerMAC: SHA256Digest?
    /// The last record the erasure covers (sealed before it started); for a retention run, a record its
    /// own comes after (the signed checkpoint's when it started), from which a rerun looks for it.
    var throughSeq: UInt64?
    /// The retention run's record in the chain, once appended.
    var chainSeq: UInt64?

    var json: JSONValue {
        var object: JSONObject = [
            "format": .string(MaintenanceJournal.format), "version": .number(Double(MaintenanceJournal.version)),
            "operation": .string(operation.rawValue), "started": .string(started.description), "policy_sha256": .string(policySHA256.hex),
        ]
        if let reference { object["reference"] = .string(reference) }
        if let customerMAC { object["customer_mac"] = .string(customerMAC.hex) }
        if let throughSeq { object["through_seq"] = .number(Double(throughSeq)) }
        if let chainSeq { object["chain_seq"] = .number(Double(chainSeq)) }
        return .object(object)
    }

    init(operation: Operation, started: Timestamp, policySHA256: SHA256Digest) {
        self.operation = operation
        self.started = started
        self.policySHA256 = policySHA256
    }

    static func load(_ layout: StoreLayout) throws(RetentionError) -> MaintenanceJournal? {
        guard FileSystem.exists(layout.maintenanceJournal) else { return nil }
        do {
            guard case .object(let o) = try JSONParser().parse(try FileSystem.readFile(layout.maintenanceJournal)),
                o["format"]?.stringValue == format, o["version"]?.integerValue == Int64(version),
                let operation = o["operation"]?.stringValue.flatMap(Operation.init(rawValue:)),
                let started = o["started"]?.stringValue.flatMap(Timestamp.init(rfc3339:)),
                let policy = o["policy_sha256"]?.stringValue.flatMap(SHA256Digest.init(hex:))
            else { throw RecordError("not an auditq-maintenance-journal version 1") }
            var journal = MaintenanceJournal(operation: operation, started: started, policySHA256: policy)
            journal.reference = o["reference"]?.stringValue
            journal.customerMAC = o["customer_mac"]?.stringValue.flatMap(SHA256Digest.init(hex:))
            journal.throughSeq = o["through_seq"]?.integerValue.map(UInt64.init)
            journal.chainSeq = o["chain_seq"]?.integerValue.map(UInt64.init)
            return journal
        } catch {
            throw RetentionError(.interrupted, "the journal of an interrupted run is unreadable (\(error)); inspect it, then delete it to proceed", path: layout.maintenanceJournal)
        }
    }

    func save(_ layout: StoreLayout) throws(RetentionError) {
        do {
            try FileSystem.writeAtomically(CanonicalJSON.encode(json) + [0x0A], to: layout.maintenanceJournal)
        } catch {
            throw RetentionError(error)
        }
    }

    static func remove(_ layout: StoreLayout) throws(RetentionError) {
        do {
            try FileSystem.remove(layout.maintenanceJournal)
            try FileSystem.syncDirectory(layout.root)
        } catch {
            throw RetentionError(error)
        }
    }
}
