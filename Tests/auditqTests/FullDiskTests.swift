import AuditTestSupport
import Foundation
import Testing

/// `auditq ingest` on a disk that fills up: a real tmpfs of a few kilobytes, mounted in a private mount
/// namespace (`unshare`), so every write, fsync, rename and directory entry of the store meets a real
/// `ENOSPC` wherever the space runs out: in the middle of a batch of records, while sealing a segment
/// (index, signature, manifest), while signing a checkpoint, or while creating the store.
///
/// Each case then frees space (remounts the tmpfs larger) and feeds the input again from the line the
/// failed run named, exactly as its message tells an operator to. The store must then hold every input
/// event exactly once, in input order, and verify intact: nothing acknowledged lost, nothing stored
/// twice.
@Suite("a full disk during ingest")
struct FullDiskTests {
    struct Scenario: CustomTestStringConvertible, Sendable {
        var kilobytes: Int
        var options: [String]
        var testDescription: String { "\(kilobytes) KiB" + (options.isEmpty ? "" : ", " + options.joined(separator: " ")) }
    }

    static let events = 600

    static let scenarios: [Scenario] =
        stride(from: 8, through: 96, by: 8).map { Scenario(kilobytes: $0, options: []) }
        + stride(from: 8, through: 160, by: 8).map { Scenario(kilobytes: $0, options: ["--segment-max-events", "40"]) }
        + [20, 44, 68].flatMap { kilobytes in
            [["--durability", "fsync"], ["--durability", "buffered"]].map { Scenario(kilobytes: kilobytes, options: $0) }
        }

    @Test(
        "a full disk, then the input fed again from the line the error names: every event stored exactly once",
        .enabled(if: PrivateMount.isAvailable, "needs unshare(1) and a private mount namespace to mount a small tmpfs"),
        arguments: scenarios
    )
    func fullDiskThenResume(_ scenario: Scenario) throws {
        let scratch = ScratchDirectory("auditq-full-disk")
        let key = scratch.path("ingest.key")
        let generated = try AuditQProcess.run("keys", "generate", "--out", key)
        try #require(generated.status == 0, "\(generated.summary)")
        let lines = (0..<Self.events).map { StoreFixture.event($0, prefix: "full") }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: scratch.path("input.jsonl")))
        let mountPoint = scratch.path("disk")
        let out = scratch.path("out")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)

        // One script in one namespace: the tmpfs lives as long as the shell.
        let script = """
            set -u
            mount -t tmpfs -o size=\(scenario.kilobytes)k tmpfs "$MNT" || exit 90
            "$AUDITQ" ingest --store "$MNT/s" --key "$KEY" \(scenario.options.joined(separator: " ")) < "$INPUT" > /dev/null 2> "$OUT/first.err"
            echo $? > "$OUT/first.rc"
            mount -o remount,size=64m "$MNT" || exit 91
            if [ "$(cat "$OUT/first.rc")" != 0 ]; then
                resume=$(sed -n 's/.*feed the input again from line \\([0-9]*\\),.*/\\1/p' "$OUT/first.err" | head -n 1)
                if grep -q "every event read was stored" "$OUT/first.err"; then resume=\(Self.events + 1); fi
                echo "${resume:-1}" > "$OUT/resume"
                tail -n +"${resume:-1}" "$INPUT" | "$AUDITQ" ingest --store "$MNT/s" --key "$KEY" \(scenario.options.joined(separator: " ")) > /dev/null 2> "$OUT/second.err"
                echo $? > "$OUT/second.rc"
            fi
            "$AUDITQ" verify --store "$MNT/s" --trust "$KEY.pub" > "$OUT/verify.out" 2>&1
            echo $? > "$OUT/verify.rc"
            "$AUDITQ" cat --store "$MNT/s" > "$OUT/cat.jsonl" 2> "$OUT/cat.err"
            echo $? > "$OUT/cat.rc"
            """
        let result = try PrivateMount.run(script, environment: [
            "AUDITQ": try AuditQProcess.executable().path, "KEY": key, "INPUT": scratch.path("input.jsonl"),
            "MNT": mountPoint, "OUT": out,
        ])
        try #require(result.status == 0, "the namespace script failed: exit \(result.status): \(result.output)")

        func file(_ name: String) -> String { (try? String(contentsOfFile: out + "/" + name, encoding: .utf8)) ?? "" }
        func status(_ name: String) -> Int? { Int(file(name).trimmingCharacters(in: .whitespacesAndNewlines)) }
        let firstStatus = status("first.rc")
        #expect(firstStatus == 0 || firstStatus == 2, "first run: exit \(firstStatus.map(String.init) ?? "?"), \(file("first.err"))")
        if firstStatus == 2 {
            #expect(file("first.err").contains("No space left on device"), "first run: \(file("first.err"))")
            #expect(!file("first.err").contains("were written but not acknowledged"), "the failed run did not cut its file back: \(file("first.err"))")
            #expect(status("second.rc") == 0, "the run after freeing space (from line \(file("resume"))): \(file("second.err"))")
        }
        #expect(status("verify.rc") == 0, "verify after freeing space: \(file("verify.out"))")
        #expect(status("cat.rc") == 0, "cat: \(file("cat.err"))")

        // Every input event exactly once, in input order (auditq's own records, such as the recovery
        // record, come between them).
        let stored = file("cat.jsonl").split(separator: "\n").compactMap { line -> String? in
            guard let record = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let event = record["event"] as? [String: Any],
                  (event["source"] as? String) != "auditq"
            else { return nil }
            return event["request_id"] as? String
        }
        let expected = (0..<Self.events).map { "full-\($0)" }
        #expect(stored.count == expected.count, "\(stored.count) events stored for \(expected.count) in the input; first run: \(file("first.err")); resumed from line \(file("resume"))")
        if stored != expected {
            let firstDifference = zip(stored, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(stored.count, expected.count)
            Issue.record("stored events differ from the input from position \(firstDifference): \(stored.dropFirst(firstDifference).prefix(3)) vs \(expected.dropFirst(firstDifference).prefix(3)); first run: \(file("first.err")); resumed from line \(file("resume"))")
        }
    }
}

/// `auditq erase` and `auditq retention run` on a disk that fills up while they rewrite segments, write
/// indexes, rewrite documents, the retention state, the erasure log or the journal, or append their
/// chain record: the store must verify with no error afterwards, hold no partial temporary file, and a
/// rerun with space must reach exactly what an uninterrupted run gives (records and receipt).
@Suite("a full disk during erasure and retention")
struct MaintenanceFullDiskTests {
    struct Scenario: CustomTestStringConvertible, Sendable {
        var operation: RetentionCrashTests.Operation
        /// Free space left on the tmpfs when the run starts.
        var kilobytes: Int
        var testDescription: String { "\(operation.rawValue) with \(kilobytes) KiB free" }
    }

    static let scenarios: [Scenario] = [RetentionCrashTests.Operation.erase, .retention].flatMap { operation in
        stride(from: 4, through: 60, by: 8).map { Scenario(operation: operation, kilobytes: $0) }
    }

    @Test(
        "a full disk, then the same command again: no error, no leftover, the uninterrupted result",
        .enabled(if: PrivateMount.isAvailable, "needs unshare(1) and a private mount namespace to mount a small tmpfs"),
        arguments: scenarios
    )
    func fullDiskThenRerun(_ scenario: Scenario) throws {
        let reference = try RetentionCrashTests.small.get()
        let scratch = ScratchDirectory("auditq-full-disk-maintenance")
        let mountPoint = scratch.path("disk")
        let out = scratch.path("out")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let start = scenario.operation == .erase ? reference.fixture.store : reference.erased.store
        let receipt = scratch.path("receipt.json")
        let fixture = reference.fixture
        let command: [String] = switch scenario.operation {
        case .erase:
            ["erase", "--store", "$MNT/s", "--key", fixture.key, "--policy", fixture.policy, "--customer", RetentionFixture.customer,
             "--reference", "DSR-CLI-1", "--now", RetentionCrashTests.eraseNow, "--receipt", receipt]
        case .retention:
            ["retention", "run", "--store", "$MNT/s", "--key", fixture.key, "--policy", fixture.policy, "--now", RetentionCrashTests.retentionNow]
        }
        // The store is copied onto a tmpfs that is then shrunk to what it uses plus the free space of
        // the case; after the run it is copied back out, to a disk with room (freeing space).
        let script = """
            set -u
            mount -t tmpfs -o size=16m tmpfs "$MNT" || exit 90
            cp -a "$START" "$MNT/s" || exit 91
            used=$(df -k "$MNT" | awk 'NR == 2 { print $3 }')
            mount -o remount,size=$((used + \(scenario.kilobytes)))k "$MNT" || exit 92
            "$AUDITQ" \(command.map { $0.hasPrefix("$") ? "\"\($0)\"" : "'\($0)'" }.joined(separator: " ")) > "$OUT/run.out" 2>&1
            echo $? > "$OUT/run.rc"
            find "$MNT/s" -name '*.tmp' > "$OUT/leftovers"
            cp -a "$MNT/s" "$OUT/store" || exit 93
            """
        let result = try PrivateMount.run(script, environment: [
            "AUDITQ": try AuditQProcess.executable().path, "START": start, "MNT": mountPoint, "OUT": out,
        ])
        try #require(result.status == 0, "the namespace script failed: exit \(result.status): \(result.output)")
        func file(_ name: String) -> String { (try? String(contentsOfFile: out + "/" + name, encoding: .utf8)) ?? "" }
        let status = Int(file("run.rc").trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(status == 0 || status == 2, "the run on a full disk: exit \(status.map(String.init) ?? "?"): \(file("run.out"))")
        if status == 2 { #expect(file("run.out").contains("No space left on device"), "\(file("run.out"))") }
        // The smallest cases must really run out of space (or the suite tests nothing).
        if scenario.kilobytes <= 12 { #expect(status == 2, "the run did not meet a full disk: \(file("run.out"))") }
        #expect(file("leftovers").isEmpty, "partial temporary files left on the full disk: \(file("leftovers"))")

        // A writer the run opened (to seal, or to append its chain record) may have met the full disk.
        try RetentionCrashTests.checkRecovery(scenario.operation, reference, store: out + "/store", receipt: receipt, writerInterrupted: status == 2)
    }
}
