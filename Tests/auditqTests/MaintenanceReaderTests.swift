import AuditTestSupport
import Foundation
import Testing

/// The independent Python reader (`docs/verify_store.py`) on what `auditq erase` and `auditq retention
/// run` leave, state by state, and on what an interrupted run leaves: it must agree with `auditq
/// verify`, and fail where a rewritten segment or the retention state was tampered with.
@Suite("verify_store.py after erasure and retention")
struct MaintenanceReaderTests {
    /// A demo store (3000 events from 2026-11-20T14:00Z: two sealed segments) and its key.
    final class Demo {
        let directory: ScratchDirectory
        let store: String
        let key: String
        var publicKey: String { key + ".pub" }

        init(sourceLocation: SourceLocation = #_sourceLocation) throws {
            directory = ScratchDirectory("auditq-maintenance")
            store = directory.path("demo/store")
            key = directory.path("demo/keys/demo.key")
            let demo = try AuditQProcess.run("demo", "--dir", directory.path("demo"), "--events", "3000")
            try #require(demo.status == 0 && !demo.signalled, "demo: \(demo.summary)", sourceLocation: sourceLocation)
        }

        /// `auditq erase` of `customer` under `reference` (the strict example policy, which leaves
        /// `actor.id`: erased records keep its salt in their line).
        func erase(_ customer: String, _ reference: String, crashAt: String? = nil) throws -> AuditQProcess.Result {
            try AuditQProcess.run(
                ["erase", "--store", store, "--key", key, "--policy", SchemaValidation.root.appendingPathComponent("retention/examples/strict-minimal.yaml").path,
                 "--customer", customer, "--reference", reference, "--receipt", directory.path(reference + ".json"), "--now", "2026-12-01T00:00:00Z"],
                environment: crashAt.map { ["AUDITQ_CRASH_AT": $0] } ?? [:]
            )
        }

        func retention(now: String, crashAt: String? = nil) throws -> AuditQProcess.Result {
            try AuditQProcess.run(["retention", "run", "--store", store, "--key", key, "--now", now], environment: crashAt.map { ["AUDITQ_CRASH_AT": $0] } ?? [:])
        }

        /// The customers with the most records, most first.
        func customers() throws -> [String] {
            let cat = try AuditQProcess.run("cat", "--store", store)
            var counts: [String: Int] = [:]
            for line in cat.stdoutLines {
                guard let range = line.range(of: #""customer_code":"[^"]*""#, options: .regularExpression) else { continue }
                counts[String(line[range].dropFirst(17).dropLast()), default: 0] += 1
            }
            return counts.sorted { ($0.value, $0.key) > ($1.value, $1.key) }.map(\.key)
        }

        /// A copy of the store as it is now.
        func snapshot(_ name: String) throws -> String {
            let copy = directory.path(name)
            try FileManager.default.copyItem(atPath: store, toPath: copy)
            return copy
        }

        func segmentFiles(_ store: String? = nil) throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: (store ?? self.store) + "/segments").sorted()
        }
    }

    static func reader(_ arguments: String...) throws -> AuditQProcess.Result {
        try AuditQProcess.runTool(["python3", SchemaValidation.root.appendingPathComponent("docs/verify_store.py").path] + arguments)
    }

    static func expectIntact(_ store: String, _ demo: Demo, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let python = try reader(store, demo.publicKey)
        #expect(python.status == 0 && python.stdoutText.contains("INTACT"), "verify_store.py: \(python.summary)", sourceLocation: sourceLocation)
        let auditq = try AuditQProcess.run("verify", "--store", store, "--trust", demo.publicKey)
        #expect(auditq.status == 0, "auditq verify: \(auditq.summary)", sourceLocation: sourceLocation)
        return python.stdoutText
    }

    static func expectFailed(_ store: String, _ demo: Demo, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let python = try reader(store, demo.publicKey)
        #expect(python.status == 1 && python.stdoutText.contains("FAILED"), "verify_store.py: \(python.summary)", sourceLocation: sourceLocation)
        let auditq = try AuditQProcess.run("verify", "--store", store, "--trust", demo.publicKey)
        #expect(auditq.status != 0, "auditq verify: \(auditq.summary)", sourceLocation: sourceLocation)
    }

    @Test("it verifies a store after erasure, in-place expiry and segment removal, and fails on tampering")
    func stateByState() throws {
        let demo = try Demo()
        _ = try Self.expectIntact(demo.store, demo)

        let customer = try #require(try demo.customers().first)
        let erased = try demo.erase(customer, "DSR-1")
        try #require(erased.status == 0, "erase: \(erased.summary)")
        let afterErasure = try Self.expectIntact(demo.store, demo)
        #expect(afterErasure.contains("erased under DSR-1"))
        // A bundle of an erased record: its line carries the salts of the values it keeps.
        let line = try #require(try AuditQProcess.run("cat", "--store", demo.store).stdoutLines.first { $0.contains(#""salts":"#) })
        let range = try #require(line.range(of: #""transaction_id":"[^"]*""#, options: .regularExpression))
        let bundle = demo.directory.path("bundle.json")
        let export = try AuditQProcess.run("export", "--store", demo.store, "--transaction", String(line[range].dropFirst(18).dropLast()), "--out", bundle)
        try #require(export.status == 0, "export: \(export.summary)")
        let proven = try Self.reader("--bundle", bundle, demo.publicKey)
        #expect(proven.status == 0 && proven.stdoutText.contains("PROVEN"), "\(proven.summary)")

        let expiry = try demo.retention(now: "2028-06-01T00:00:00Z")
        try #require(expiry.status == 0, "retention: \(expiry.summary)")
        #expect(try demo.segmentFiles().contains("segment-00000001.g2.jsonl.gz"))
        let afterExpiry = try Self.expectIntact(demo.store, demo)
        #expect(afterExpiry.contains("expired under policy payments-default"))
        let expired = try demo.snapshot("expired")

        let removal = try demo.retention(now: "2040-06-01T00:00:00Z")
        try #require(removal.status == 0, "retention: \(removal.summary)")
        #expect(try !demo.segmentFiles().contains("segment-00000001.manifest.json"))
        let afterRemoval = try Self.expectIntact(demo.store, demo)
        // The store now begins after the removed segments (the run's own record stays, in a newer one).
        #expect(afterRemoval.contains("from segment ") && afterRemoval.contains("NOTE records 1-30"), "\(afterRemoval)")

        // One record of a rewritten generation changed, the file recompressed: the signed hashes catch it.
        let generation = expired + "/segments/segment-00000001.g2.jsonl.gz"
        let text = try AuditQProcess.runTool("gzip", "-dc", generation).stdoutText
        let forged = try AuditQProcess.runTool("gzip", "-c", stdin: Array(text.replacingOccurrences(of: "\"payments-api\"", with: "\"paymentz-api\"").utf8))
        try #require(forged.status == 0 && text.contains("\"payments-api\""))
        try Data(forged.stdout).write(to: URL(fileURLWithPath: generation))
        try Self.expectFailed(expired, demo)

        // Without the retention state the chain would have to start at segment 1, which is gone.
        let cut = try demo.snapshot("cut")
        try FileManager.default.removeItem(atPath: cut + "/retention.json")
        try Self.expectFailed(cut, demo)
    }

    @Test("an interrupted run leaves a journal and stale files: warnings, not failures, and a rerun deletes them")
    func interruptedRuns() throws {
        let demo = try Demo()
        let customers = try demo.customers()

        let crashed = try demo.erase(customers[0], "DSR-1", crashAt: "sealed")
        #expect(crashed.status == 137, "\(crashed.summary)")
        let journal = Array(try Data(contentsOf: URL(fileURLWithPath: demo.store + "/maintenance.json")))
        let problem = try SchemaValidation.validate(journal, schema: "maintenance-journal")
        #expect(problem == nil, "\(problem ?? "")")
        #expect(!String(decoding: journal, as: UTF8.self).contains(customers[0]), "the journal holds no customer code")
        let purge = String(decoding: journal, as: UTF8.self).replacingOccurrences(of: #""operation":"erase""#, with: #""operation":"purge""#)
        #expect(try SchemaValidation.validate(purge, schema: "maintenance-journal") != nil)
        #expect(try SchemaValidation.validate(#"{"format":"auditq-maintenance-journal","version":1,"operation":"retention","started":"2028-06-01T00:00:00.000000Z","policy_sha256":"\#(String(repeating: "a", count: 64))","reference":"DSR-1"}"#, schema: "maintenance-journal") != nil)
        _ = try Self.expectIntact(demo.store, demo)
        #expect(try demo.erase(customers[0], "DSR-1").status == 0)
        #expect(!FileManager.default.fileExists(atPath: demo.store + "/maintenance.json"))

        // Committed, not cleaned up: the superseded generation 0 still holds the erased values.
        #expect(try demo.erase(customers[1], "DSR-2", crashAt: "rewrite-committed").status == 137)
        let superseded = try Self.expectIntact(demo.store, demo)
        #expect(superseded.contains("WARNING") && superseded.contains("superseded by generation 2"), "\(superseded)")
        #expect(try demo.erase(customers[1], "DSR-2").status == 0)
        #expect(try !demo.segmentFiles().contains { $0.hasPrefix("segment-00000001.g1.") }, "the rerun deletes the superseded generation")
        #expect(!(try Self.expectIntact(demo.store, demo)).contains("WARNING"))

        // Written, not committed: strays of a generation that never became current.
        #expect(try demo.retention(now: "2028-06-01T00:00:00Z", crashAt: "rewrite-index-written").status == 137)
        let uncommitted = try Self.expectIntact(demo.store, demo)
        #expect(uncommitted.contains("of a rewrite that was not committed"), "\(uncommitted)")
    }
}
