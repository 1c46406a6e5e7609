import AuditTestSupport
import Foundation
import Testing

/// A store written by `auditq ingest` from events with known times, its key, and a retention policy
/// file with short periods, for the `auditq erase` and `auditq retention run` tests. Cases copy it
/// (``copy()``) and never change it.
///
/// Event `n` happens at 2025-01-01T00:00:00Z + n × `spacing` seconds; every fifth belongs to
/// ``customer``; events from `ledgerFrom` on that are even are `payment.capture` (kept on erasure,
/// 90 days); of the rest, multiples of 3 are `profile.updated` (30 days) and the others
/// `login.success` (60 days).
final class RetentionFixture: Sendable {
    static let customer = "CUS_ERASE"

    static let policyText = RetentionTestPolicy.yaml(name: "cli-short")

    let directory: ScratchDirectory
    let key: String
    let policy: String
    let store: String
    var publicKey: String { key + ".pub" }

    init(events: Int, perSegment: Int, spacing: Int, ledgerFrom: Int) throws {
        directory = ScratchDirectory("auditq-retention")
        key = directory.path("signing.key")
        policy = directory.path("policy.yaml")
        store = directory.path("store")
        try Data(Self.policyText.utf8).write(to: URL(fileURLWithPath: policy))
        let generated = try AuditQProcess.run("keys", "generate", "--out", key)
        try #require(generated.status == 0, "keys generate: \(generated.summary)")
        let lines = (1...events).map { Self.event($0, spacing: spacing, ledgerFrom: ledgerFrom) }
        let ingested = try AuditQProcess.run(["ingest", "--store", store, "--key", key, "--segment-max-events", String(perSegment)], stdin: Array(lines.map { $0 + "\n" }.joined().utf8))
        try #require(ingested.status == 0, "ingest: \(ingested.summary)")
    }

    static func event(_ n: Int, spacing: Int, ledgerFrom: Int) -> String {
        let customer = n % 5 == 0 ? Self.customer : "CUS_OTHER_\(n % 3)"
        let action = n >= ledgerFrom && n % 2 == 0 ? "payment.capture" : (n % 3 == 0 ? "profile.updated" : "login.success")
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        let ts = formatter.string(from: Date(timeIntervalSince1970: 1_735_689_600 + Double(n * spacing)))
        return #"{"ts":"\#(ts)","action":"\#(action)","level":"info","source":"payments-api","outcome":"success","actor":{"type":"customer","id":"usr_\#(customer.lowercased())"},"request_id":"req_\#(n)","transaction_id":"txn_\#(n)","customer_code":"\#(customer)","metadata":{"amount":\#(n),"email":"\#(customer.lowercased())@example.com","ip":"198.51.100.\#(n % 200)"}}"#
    }

    /// A copy of a store in a directory of its own.
    struct Copy: Sendable {
        let directory: ScratchDirectory
        let store: String
    }

    func copy(of source: String? = nil) throws -> Copy {
        let directory = ScratchDirectory("auditq-retention-case")
        let path = directory.path("store")
        try FileManager.default.copyItem(atPath: source ?? store, toPath: path)
        return Copy(directory: directory, store: path)
    }

    /// `auditq erase` on `store`, with the receipt written to `receipt`.
    func erase(_ store: String, now: String, reference: String = "DSR-CLI-1", receipt: String, extra: [String] = [], environment: [String: String] = [:]) throws -> AuditQProcess.Result {
        try AuditQProcess.run(
            ["erase", "--store", store, "--key", key, "--policy", policy, "--customer", Self.customer, "--reference", reference, "--now", now, "--receipt", receipt] + extra,
            environment: environment
        )
    }

    /// `auditq retention run` on `store`.
    func retention(_ store: String, now: String, extra: [String] = [], environment: [String: String] = [:]) throws -> AuditQProcess.Result {
        try AuditQProcess.run(["retention", "run", "--store", store, "--key", key, "--policy", policy, "--now", now] + extra, environment: environment)
    }

    func verify(_ store: String) throws -> Verification {
        Verification(result: try AuditQProcess.run("verify", "--store", store, "--format", "json", "--trust", publicKey))
    }

    /// The records (`auditq cat`) in a form two runs can be compared in: auditq's own records without
    /// their wall-clock time, id and sequence number, and without crash-recovery notices (a kill while a
    /// writer was open adds one). `ignoringThroughSeq` also drops what depends on where an erasure
    /// sealed the store (a recovery notice appended before the seal moves it by one).
    func comparableRecords(_ store: String, ignoringThroughSeq: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String] {
        let result = try AuditQProcess.run("cat", "--store", store)
        try #require(result.status == 0, "cat: \(result.summary)", sourceLocation: sourceLocation)
        return try result.stdoutLines.compactMap { line in
            var record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], sourceLocation: sourceLocation)
            if var event = record["event"] as? [String: Any], event["source"] as? String == "auditq" {
                if event["action"] as? String == "auditq.store.recovered" { return nil }
                event["ts"] = nil
                event["id"] = nil
                if ignoringThroughSeq, var metadata = event["metadata"] as? [String: Any] {
                    metadata["through_seq"] = nil
                    metadata["receipt_sha256"] = nil
                    event["metadata"] = metadata
                }
                record["event"] = event
                record["seq"] = nil
            }
            return String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self)
        }
    }

    /// The bytes of every file under `store`, by relative path: equal snapshots, no byte changed.
    static func snapshot(_ store: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        let root = URL(fileURLWithPath: store)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else { return out }
        for case let url as URL in walker where (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
            out[String(url.path.dropFirst(root.path.count + 1))] = try Data(contentsOf: url)
        }
        return out
    }
}
