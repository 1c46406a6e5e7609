import ArgumentParser
import AuditCrypto
import AuditModel
import AuditRetention
import AuditStore

/// Options shared by `erase` and `retention run`.
struct MaintenanceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The store directory.", valueName: "DIR"))
    var store: String

    @Option(help: ArgumentHelp("The Ed25519 private key that signs the rewritten segments, the retention state and receipts.", valueName: "FILE"))
    var key: String

    @Option(help: ArgumentHelp("The retention policy (YAML or JSON; default: the built-in payments policy, retention/default.yaml).", valueName: "FILE"))
    var policy: String?

    @Option(help: ArgumentHelp("Judge retention periods and holds at this time (RFC 3339) instead of now.", valueName: "TIME"))
    var now: String?

    @Flag(help: "Show exactly what would be removed, and write nothing.")
    var dryRun = false

    @Flag(help: "Print the plan or outcome as JSON.")
    var json = false

    func load() throws -> (key: SigningKey, policy: RetentionPolicy, now: Timestamp) {
        let signingKey = try CLI.run { () throws(AuditStoreError) in try SigningKey(contentsOfFile: key) }
        let loaded = try CLI.run { () throws(PolicyError) in try policy.map { path throws(PolicyError) in try RetentionPolicy(contentsOfFile: path) } ?? .default }
        var time = Timestamp.now()
        if let now {
            guard let parsed = Timestamp(rfc3339: now) else { throw ValidationError("--now '\(now)' is not an RFC 3339 time (e.g. 2027-01-31T00:00:00Z)") }
            time = parsed
        }
        return (signingKey, loaded, time)
    }
}

struct EraseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase",
        abstract: "Carry out a GDPR/NDPR erasure request: remove one customer's personal data, keeping what the policy must keep.",
        discussion: """
            Seals the open segment (through the running writer when there is one), rewrites every segment that holds the \
            customer's personal data, rebuilds their indexes, and writes a signed receipt (to --receipt FILE, else to \
            standard output). Records the policy must keep (legal retention, legal holds) are listed in the receipt with \
            their legal basis and the date they become erasable. The chain and every signature still verify afterwards. \
            Rerunning a completed request changes nothing and returns the same receipt; rerunning an interrupted one \
            completes it. The reference is stored in the chain: it must not contain personal data.
            Exit status: 0 done, 2 could not be done (see the message), 64 usage.
            """
    )

    @OptionGroup var options: MaintenanceOptions

    @Option(help: "The customer code whose personal data to erase.")
    var customer: String

    @Option(help: ArgumentHelp("The request's reference (e.g. DSR-2026-0042), recorded in the chain and the receipt.", valueName: "REF"))
    var reference: String

    @Option(help: ArgumentHelp("Write the signed receipt here (mode 0600: it names the customer) instead of standard output.", valueName: "FILE"))
    var receipt: String?

    func run() throws {
        let (key, policy, now) = try options.load()
        let eraser = Eraser(store: options.store, key: key, policy: policy, now: now)
        if options.dryRun {
            let plan = try CLI.run { () throws(RetentionError) in try eraser.plan(customer: customer, reference: reference) }
            if options.json {
                CLI.writeStdout(CanonicalJSON.encode(EraseCommand.json(plan)) + [0x0A])
            } else {
                CLI.printLine(EraseCommand.describe(plan, policy: policy))
            }
            return
        }
        let outcome = try CLI.run { () throws(RetentionError) in try eraser.run(customer: customer, reference: reference) }
        let bytes = outcome.receipt.documentBytes
        if let receipt {
            try CLI.run { () throws(AuditStoreError) in try FileSystem.writeAtomically(bytes, to: receipt, permissions: 0o600) }
        } else {
            CLI.writeStdout(bytes)
        }
        let r = outcome.receipt
        CLI.printError(
            "auditq: erasure \(reference)\(outcome.alreadyComplete ? " was already complete (nothing changed)" : ""): "
                + "\(r.valuesErased) personal-data value(s) in \(r.recordsErased) record(s) erased, \(r.recordsKept) record(s) kept"
                + (receipt.map { "; receipt written to \($0)" } ?? "")
        )
    }

    static func json(_ plan: Eraser.Plan) -> JSONValue {
        func item(_ i: Eraser.Item) -> JSONValue {
            var o: JSONObject = ["seq": .number(Double(i.seq)), "segment": i.segment.map { .number(Double($0)) } ?? .null]
            if let kept = i.kept { for m in kept.members { o[m.key] = m.value } } else { o["paths"] = .array(i.paths.map(JSONValue.string)) }
            return .object(o)
        }
        return [
            "dry_run": true, "records_erased": .number(Double(plan.erase.count)), "values_erased": .number(Double(plan.valuesErased)),
            "records_kept": .number(Double(plan.keep.count)), "erase": .array(plan.erase.map(item)), "keep": .array(plan.keep.map(item)),
        ]
    }

    static func describe(_ plan: Eraser.Plan, policy: RetentionPolicy) -> String {
        var lines = ["dry run under policy '\(policy.name)': would erase \(plan.valuesErased) personal-data value(s) in \(plan.erase.count) record(s), keep \(plan.keep.count) record(s); nothing was written"]
        for i in plan.erase {
            lines.append("  erase  seq \(i.seq) (\(i.segment.map { "segment \($0)" } ?? "open segment, sealed first")): \(i.paths.joined(separator: ", "))")
        }
        for i in plan.keep {
            let k = i.kept ?? [:]
            let until = k["erasable_from"]?.stringValue ?? "not foreseeable"
            lines.append("  keep   seq \(i.seq) (\(i.segment.map { "segment \($0)" } ?? "open segment")): \(k["reason"]?.stringValue ?? "") — category \(k["category"]?.stringValue ?? ""), \(k["legal_basis"]?.stringValue ?? ""); erasable from \(until)")
        }
        return lines.joined(separator: "\n")
    }
}

struct RetentionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention",
        abstract: "Apply a retention policy.",
        subcommands: [RetentionRunCommand.self]
    )
}

struct RetentionRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Remove what has outlived its retention: whole expired segments, expired records inside the rest, and kept personal data whose reason lapsed.",
        discussion: """
            Appends a signed, chained auditq.retention.applied record saying what it removes, then removes it; \
            'auditq verify' reports removed data as expired under the policy. Safe to run from cron or a systemd \
            timer while a writer appends; see retention/README.md.
            Exit status: 0 done, 2 could not be done (see the message), 64 usage.
            """
    )

    @OptionGroup var options: MaintenanceOptions

    func run() throws {
        let (key, policy, now) = try options.load()
        let runner = RetentionRunner(store: options.store, key: key, policy: policy, now: now)
        let outcome = try CLI.run { () throws(RetentionError) in
            options.dryRun ? RetentionRunner.Outcome(plan: try runner.plan(), recordSeq: nil, resumed: false) : try runner.run()
        }
        let (plan, recordSeq, resumed) = (outcome.plan, outcome.recordSeq, outcome.resumed)
        if options.json {
            var o: JSONObject = [
                "dry_run": .bool(options.dryRun), "policy": .string(policy.name), "policy_sha256": .string(policy.sha256.hex), "now": .string(now.description),
                "removed_segments": .array(plan.removedSegments.map { .number(Double($0)) }), "removed_records": .number(Double(plan.removedRecords)),
                "expired_records": .number(Double(plan.expiredRecords)), "erased_records": .number(Double(plan.erasedRecords)),
                "expired": .object(plan.expired.reduce(into: JSONObject()) { $0[String($1.key)] = .array($1.value.keys.sorted().map { .number(Double($0)) }) }),
                "categories": .object(plan.byCategory.reduce(into: JSONObject()) { $0[$1.key] = .number(Double($1.value)) }),
                "record_seq": recordSeq.map { .number(Double($0)) } ?? .null,
                "resumed": .bool(resumed),
            ]
            if let seqs = plan.removedSeqs { o["removed_seqs"] = [.number(Double(seqs.lowerBound)), .number(Double(seqs.upperBound))] }
            CLI.writeStdout(CanonicalJSON.encode(.object(o)) + [0x0A])
            return
        }
        let verb = options.dryRun ? "would remove" : "removed"
        var lines = ["\(options.dryRun ? "dry run: " : "")retention under policy '\(policy.name)' at \(now)\(resumed ? " (completed an interrupted run)" : ""):"]
        if plan.isEmpty { lines.append("  nothing has outlived its retention") }
        if let first = plan.removedSegments.first, let last = plan.removedSegments.last, let seqs = plan.removedSeqs {
            lines.append("  \(verb) segments \(first)–\(last): \(plan.removedRecords) records (seq \(seqs.lowerBound)–\(seqs.upperBound))")
        }
        for (segment, records) in plan.expired.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(options.dryRun ? "would expire" : "expired") \(records.count) record(s) in segment \(segment) (their content; digests stay)")
        }
        for (segment, records) in plan.erased.sorted(by: { $0.key < $1.key }) {
            let refs = Set(records.values.map(\.reference)).sorted().joined(separator: ", ")
            lines.append("  \(options.dryRun ? "would erase" : "erased") personal data of \(records.count) kept record(s) in segment \(segment) whose reason lapsed (\(refs))")
        }
        for (category, count) in plan.byCategory.sorted(by: { $0.key < $1.key }) {
            lines.append("    category \(category): \(count) record(s)")
        }
        if let recordSeq { lines.append("  recorded in the chain as record \(recordSeq)") }
        if options.dryRun { lines.append("  nothing was written") }
        CLI.printLine(lines.joined(separator: "\n"))
    }
}
