import Foundation
import Testing

@Suite("auditq erase and auditq retention run")
struct RetentionCLITests {
    static let fixture = Result { try RetentionFixture(events: 60, perSegment: 10, spacing: 43_200, ledgerFrom: 21) }

    static func json(_ result: AuditQProcess.Result) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any], "\(result.summary)")
    }

    @Test("erase --dry-run writes nothing and plans what erase then does; the store verifies with erased notes")
    func eraseDryRunThenRun() throws {
        let fixture = try Self.fixture.get()
        let copy = try fixture.copy()
        let before = try RetentionFixture.snapshot(copy.store)
        let dry = try AuditQProcess.run(
            "erase", "--store", copy.store, "--key", fixture.key, "--policy", fixture.policy, "--customer", RetentionFixture.customer,
            "--reference", "DSR-CLI-1", "--now", "2025-02-01T00:00:00Z", "--dry-run", "--json"
        )
        #expect(dry.status == 0, "\(dry.summary)")
        #expect(try RetentionFixture.snapshot(copy.store) == before, "a dry run changed the store")
        let plan = try Self.json(dry)
        #expect(plan["dry_run"] as? Bool == true)
        let erase = try #require(plan["erase"] as? [[String: Any]])
        let keep = try #require(plan["keep"] as? [[String: Any]])
        #expect(erase.compactMap { $0["seq"] as? Int } == [5, 10, 15, 20, 25, 35, 45, 55])
        #expect(keep.compactMap { $0["seq"] as? Int } == [30, 40, 50, 60])
        #expect(keep.allSatisfy { $0["legal_basis"] as? String == "AML record-keeping (test period: 90 days)" })

        let receiptPath = copy.directory.path("receipt.json")
        let run = try fixture.erase(copy.store, now: "2025-02-01T00:00:00Z", receipt: receiptPath)
        #expect(run.status == 0, "\(run.summary)")
        #expect(run.stderr.contains("erasure DSR-CLI-1: 32 personal-data value(s) in 8 record(s) erased, 4 record(s) kept"), "\(run.stderr)")
        let receipt = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: receiptPath))) as? [String: Any])
        #expect(receipt["records_erased"] as? Int == plan["records_erased"] as? Int)
        #expect(receipt["values_erased"] as? Int == plan["values_erased"] as? Int)
        #expect(receipt["records_kept"] as? Int == plan["records_kept"] as? Int)
        #expect((receipt["kept"] as? [[String: Any]])?.compactMap { $0["seq"] as? Int } == [30, 40, 50, 60])
        #expect(try FileManager.default.attributesOfItem(atPath: receiptPath)[.posixPermissions] as? Int == 0o600)

        let verify = try fixture.verify(copy.store)
        #expect(verify.status == 0 && verify.intact == true, "\(verify.result.summary)")
        #expect(verify.findingKinds.filter { $0 == "erased" }.count == 6)

        // The customer's lookups now find only what the law keeps.
        let found = try AuditQProcess.run("find", "--store", copy.store, "--customer", RetentionFixture.customer, "--format", "jsonl")
        #expect(found.status == 0, "\(found.summary)")
        let seqs = found.stdoutLines.compactMap { line in
            ((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any])?["seq"] as? Int
        }
        #expect(seqs == [30, 40, 50, 60], "\(found.stdoutText)")

        // A rerun prints the same receipt and changes nothing.
        let after = try RetentionFixture.snapshot(copy.store)
        let again = try AuditQProcess.run(
            "erase", "--store", copy.store, "--key", fixture.key, "--policy", fixture.policy, "--customer", RetentionFixture.customer,
            "--reference", "DSR-CLI-1", "--now", "2025-02-01T00:00:00Z"
        )
        #expect(again.status == 0, "\(again.summary)")
        #expect(again.stdout == Array(try Data(contentsOf: URL(fileURLWithPath: receiptPath))))
        #expect(again.stderr.contains("already complete"))
        #expect(try RetentionFixture.snapshot(copy.store).filter { $0.key != "maintenance.lock" } == after.filter { $0.key != "maintenance.lock" })
    }

    @Test("show and find explain records that retention removed: which policy, when, where the store begins now")
    func showRemoved() throws {
        let reference = try RetentionCrashTests.small.get()
        let removed = try AuditQProcess.run("show", "--store", reference.retained.store, "--seq", "1")
        #expect(removed.status == 1, "\(removed.summary)")
        #expect(removed.stderr.contains("no record 1: retention removed it") && removed.stderr.contains("under policy 'cli-short'"), "\(removed.summary)")
        let beyond = try AuditQProcess.run("show", "--store", reference.retained.store, "--seq", "100000")
        #expect(beyond.status == 1 && !beyond.stderr.contains("retention removed"), "\(beyond.summary)")
        // A lookup that finds nothing says the same: event 1 was in a removed segment.
        let find = try AuditQProcess.run("find", "--store", reference.retained.store, "--request", "req_1")
        #expect(find.status == 1 && find.stderr.contains("retention removed every record before seq"), "\(find.summary)")
    }

    @Test("retention run --dry-run writes nothing and reports exactly what retention run then does")
    func retentionDryRunThenRun() throws {
        let fixture = try Self.fixture.get()
        let copy = try fixture.copy()
        let before = try RetentionFixture.snapshot(copy.store)
        let dry = try fixture.retention(copy.store, now: "2025-03-25T00:00:00Z", extra: ["--dry-run", "--json"])
        #expect(dry.status == 0, "\(dry.summary)")
        #expect(try RetentionFixture.snapshot(copy.store) == before, "a dry run changed the store")
        let text = try fixture.retention(copy.store, now: "2025-03-25T00:00:00Z", extra: ["--dry-run"])
        #expect(text.stdoutText.contains("would remove segments 1–2: 20 records (seq 1–20)"), "\(text.stdoutText)")
        #expect(try RetentionFixture.snapshot(copy.store) == before)

        let run = try fixture.retention(copy.store, now: "2025-03-25T00:00:00Z", extra: ["--json"])
        #expect(run.status == 0, "\(run.summary)")
        var planned = try Self.json(dry), done = try Self.json(run)
        #expect(planned["removed_segments"] as? [Int] == [1, 2])
        #expect(done["record_seq"] as? Int == 61)
        for key in ["dry_run", "record_seq", "resumed"] {
            planned[key] = nil
            done[key] = nil
        }
        #expect(NSDictionary(dictionary: planned) == NSDictionary(dictionary: done), "planned \(planned), done \(done)")

        let verify = try fixture.verify(copy.store)
        #expect(verify.status == 0 && verify.intact == true, "\(verify.result.summary)")
        #expect(verify.findingKinds.contains("expired"))
        #expect(!verify.findingKinds.contains("missing-file"))
        #expect(try !FileManager.default.contentsOfDirectory(atPath: copy.store + "/segments").contains { $0.hasPrefix("segment-00000001.") })

        // A rerun at the same time has nothing to do.
        let again = try fixture.retention(copy.store, now: "2025-03-25T00:00:00Z", extra: ["--json"])
        #expect(try Self.json(again)["record_seq"] is NSNull)
        #expect(try Self.json(again)["removed_records"] as? Int == 0)
    }
}
