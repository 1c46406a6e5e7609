import Foundation
import Testing

/// A temporary directory holding a fresh signing key and a store path, with the `auditq` commands
/// that tests run on them. Output is parsed with Foundation's JSON parser, independent of the product's.
final class StoreFixture: Sendable {
    let directory: ScratchDirectory
    /// The private key (PKCS#8 PEM, mode 0600).
    let key: String
    /// The store directory (not created until the first ingest).
    let store: String

    var publicKey: String { key + ".pub" }

    init(sourceLocation: SourceLocation = #_sourceLocation) throws {
        directory = ScratchDirectory()
        key = directory.path("signing.key")
        store = directory.path("store")
        let generated = try AuditQProcess.run("keys", "generate", "--out", key)
        try #require(generated.status == 0 && !generated.signalled, "keys generate: \(generated.summary)", sourceLocation: sourceLocation)
    }

    /// `auditq ingest --store STORE --key KEY options…` with `lines` (each followed by a newline) on stdin.
    func ingest(_ lines: [String], options: [String] = []) throws -> AuditQProcess.Result {
        try ingest(bytes: Array(lines.map { $0 + "\n" }.joined().utf8), options: options)
    }

    func ingest(bytes: [UInt8], options: [String] = []) throws -> AuditQProcess.Result {
        try AuditQProcess.run(["ingest", "--store", store, "--key", key] + options, stdin: bytes)
    }

    /// Ingests `lines`, requiring exit status 0.
    @discardableResult
    func ingestCleanly(_ lines: [String], options: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws -> AuditQProcess.Result {
        let result = try ingest(lines, options: options)
        try #require(result.status == 0 && !result.signalled, "ingest: \(result.summary)", sourceLocation: sourceLocation)
        return result
    }

    /// `auditq cat`, requiring success, each line parsed.
    func records(sourceLocation: SourceLocation = #_sourceLocation) throws -> [StoredRecord] {
        let result = try AuditQProcess.run("cat", "--store", store)
        try #require(result.status == 0 && !result.signalled, "cat: \(result.summary)", sourceLocation: sourceLocation)
        return try result.stdoutLines.map { try StoredRecord(line: $0, sourceLocation: sourceLocation) }
    }

    /// `auditq verify --format json` against `trust` (default: this fixture's public key).
    func verify(trust: [String]? = nil) throws -> Verification {
        let result = try AuditQProcess.run(["verify", "--store", store, "--format", "json", "--trust"] + (trust ?? [publicKey]))
        return Verification(result: result)
    }

    /// The segments directory's file names, sorted.
    func segmentFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: store + "/segments").sorted()
    }

    func segmentPath(_ number: Int, _ suffix: String = ".jsonl.gz") -> String {
        store + "/segments/segment-" + String(format: "%08d", number) + suffix
    }

    /// One valid event line with a unique request id.
    static func event(_ index: Int, prefix: String = "req", action: String = "payment.authorize") -> String {
        let second = index % 60
        let minute = index / 60 % 60
        return #"{"ts":"2026-11-20T14:\#(pad(minute)):\#(pad(second)).250Z","action":"\#(action)","outcome":"success","request_id":"\#(prefix)-\#(index)","http":{"method":"POST","path":"/v1/payments","status":201}}"#
    }

    private static func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}
