import AuditCrypto
import AuditModel
import AuditStore

/// The signed receipt of an erasure request (`schemas/erasure-receipt.schema.json`): which request,
/// whose data, when, what was erased, and what was kept and why. A ``SignedDocument``.
///
/// The store keeps the receipt without the customer code (``ErasureLog``); a rerun of the request
/// rebuilds the same receipt from it and the code given again (Ed25519 signatures are deterministic,
/// so the bytes are identical when the key is the same).
public struct ErasureReceipt: Sendable, Hashable {
    public static let format = "auditq-erasure-receipt"
    public static let version = 1

    /// The receipt's members except `customer`, `key_id` and `signature`.
    var body: JSONObject
    public let customer: String
    public let keyID: String
    public let signature: [UInt8]

    init(body: JSONObject, customer: String, key: SigningKey) throws(RetentionError) {
        self.body = body
        self.customer = customer
        self.keyID = key.keyID
        var full = body
        full["customer"] = .string(customer)
        full["key_id"] = .string(key.keyID)
        do {
            self.signature = try SignedDocument(signing: full, with: key).signature
        } catch {
            throw RetentionError(error)
        }
    }

    /// The document as written: RFC 8785 JSON with `signature`, and a newline.
    public var documentBytes: [UInt8] {
        var full = body
        full["customer"] = .string(customer)
        full["key_id"] = .string(keyID)
        return SignedDocument(body: full, signature: signature).documentBytes
    }

    public var reference: String { body["reference"]?.stringValue ?? "" }
    public var recordsErased: Int { Int(body["records_erased"]?.integerValue ?? 0) }
    public var valuesErased: Int { Int(body["values_erased"]?.integerValue ?? 0) }
    public var recordsKept: Int { Int(body["records_kept"]?.integerValue ?? 0) }
}

/// What the store keeps of a completed erasure: `DIR/erasures/ID.json` (ID = the first 32 hex digits
/// of SHA-256 of the reference). The receipt without the customer code (only its keyed MAC), and the
/// sequence number of the erasure's record in the chain once it is appended.
struct ErasureLog: Sendable, Hashable {
    static let format = "auditq-erasure-log"
    static let version = 1

    var reference: String
    var customerMAC: SHA256Digest
    /// The key that signed the receipt and keyed the MAC: a rerun needs it to recognise the request.
    var keyID: String
    var receipt: JSONObject
    var chainSeq: UInt64?

    static func path(_ reference: String, layout: StoreLayout) -> String {
        FileSystem.join(layout.erasuresDirectory, String(SHA256.hash(Array(reference.utf8)).hex.prefix(32)) + ".json")
    }

    var json: JSONValue {
        [
            "format": .string(ErasureLog.format), "version": .number(Double(ErasureLog.version)),
            "reference": .string(reference), "customer_mac": .string(customerMAC.hex), "key_id": .string(keyID), "receipt": .object(receipt),
            "chain_seq": chainSeq.map { .number(Double($0)) } ?? .null,
        ]
    }

    static func load(_ path: String) throws(RetentionError) -> ErasureLog? {
        guard FileSystem.exists(path) else { return nil }
        do {
            // A log lists every record kept under legal retention, about 300 bytes each: a customer with
            // 200,000 such records makes a 62 MB log, past the parser's 16 MiB default.
            guard case .object(let o) = try JSONParser(limits: .init(maxDepth: 16, maxBytes: 1 << 30)).parse(try FileSystem.readFile(path)),
                o["format"]?.stringValue == format, o["version"]?.integerValue == Int64(version),
                let reference = o["reference"]?.stringValue,
                let mac = o["customer_mac"]?.stringValue.flatMap(SHA256Digest.init(hex:)),
                let keyID = o["key_id"]?.stringValue,
                let receipt = o["receipt"]?.objectValue
            else { throw RecordError("not an auditq-erasure-log version 1") }
            return ErasureLog(reference: reference, customerMAC: mac, keyID: keyID, receipt: receipt, chainSeq: o["chain_seq"]?.integerValue.map(UInt64.init))
        } catch {
            throw RetentionError(.store, "the erasure log is unreadable: \(error)", path: path)
        }
    }

    /// Every stored erasure log (for a retention run's deferred erasures).
    static func all(_ layout: StoreLayout) throws(RetentionError) -> [ErasureLog] {
        guard FileSystem.isDirectory(layout.erasuresDirectory) else { return [] }
        var logs: [ErasureLog] = []
        do {
            for name in try FileSystem.contents(of: layout.erasuresDirectory).sorted() where name.hasSuffix(".json") {
                if let log = try load(FileSystem.join(layout.erasuresDirectory, name)) { logs.append(log) }
            }
        } catch let error as RetentionError {
            throw error
        } catch {
            throw RetentionError(.store, "\(error)", path: layout.erasuresDirectory)
        }
        return logs
    }

    func save(_ layout: StoreLayout) throws(RetentionError) {
        do {
            try FileSystem.createDirectory(layout.erasuresDirectory)
            try FileSystem.writeAtomically(CanonicalJSON.encode(json) + [0x0A], to: ErasureLog.path(reference, layout: layout))
        } catch {
            throw RetentionError(error)
        }
    }
}
