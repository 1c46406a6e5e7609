import ArgumentParser
import AuditCrypto
import AuditModel
import AuditQuery
import AuditRedaction
import AuditStore
import AuditVerify

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Create a key and a demo store, write a realistic payment event stream, seal, verify, and show where everything is."
    )

    @Option(help: ArgumentHelp("Where to put the demo (replaced if it holds an earlier demo).", valueName: "DIR"))
    var dir: String = "demo-store"

    @Option(help: "How many events to write.")
    var events: Int = 5000

    func run() throws {
        let root = dir.hasSuffix("/") ? String(dir.dropLast()) : dir
        let storePath = root + "/store"
        let keyPath = root + "/keys/demo.key"
        try prepareDirectory(root)

        let key = try CLI.run { () throws(AuditStoreError) in try SigningKey.generate(writingTo: keyPath) }
        CLI.printLine("1. Created an Ed25519 signing key \(keyPath) (mode 0600) and \(keyPath).pub, key id \(key.keyID)")

        var configuration = StoreWriter.Configuration()
        configuration.segmentMaxEvents = 2000
        let writer = try CLI.run { () throws(AuditStoreError) in try StoreWriter(path: storePath, key: key, configuration: configuration) }
        var workload = DemoWorkload(seed: 20_261_120)
        let ingestor = EventIngestor()
        var redactions: [String: Int] = [:]
        var sampleTransaction: String?
        var lastSeq: UInt64 = 0
        for var object in workload.events(count: events, start: Timestamp(rfc3339: "2026-11-20T14:00:00Z")!) {
            let report = ingestor.redactor.redact(&object)
            for (rule, n) in report.counts { redactions[rule, default: 0] += n }
            let event = try CLI.run { () throws(AuditStoreError) -> AuditEvent in
                do {
                    return try AuditEvent(validating: object)
                } catch {
                    throw AuditStoreError(.invalidEvent, "\(error)")
                }
            }
            if sampleTransaction == nil, event.outcome == "failure" { sampleTransaction = event.transactionID }
            lastSeq = try CLI.run { () throws(AuditStoreError) in try writer.append(event, redaction: report.isEmpty ? nil : report.jsonValue) }
        }
        try CLI.run { () throws(AuditStoreError) in try writer.waitUntilDurable(lastSeq) }
        try CLI.run { () throws(AuditStoreError) in try writer.close() }
        let segments = try CLI.run { () throws(AuditStoreError) in try StoreReader(path: storePath).segmentNumbers() }
        CLI.printLine("2. Wrote \(events) payment events to \(storePath): \(segments.count) sealed segments (gzip members, hash-chained, Ed25519-signed manifests)")
        let fired = redactions.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: ", ")
        CLI.printLine("3. Redaction removed secrets before anything was written: \(fired.isEmpty ? "none" : fired)")

        let report = Verifier(path: storePath, trustedKeys: [key.publicKey]).run()
        CLI.printLine("4. Verified: \(report.isIntact ? "INTACT" : "FAILED") — \(report.recordsChecked) records re-chained, \(report.sealedSegments) signatures checked in \(Int(report.seconds * 1000)) ms")
        for finding in report.findings { CLI.printLine("   \(finding)") }

        var sampleCustomer: String?
        if let sampleTransaction {
            let started = monotonicSeconds()
            let outcome: Finder.Outcome
            do {
                outcome = try Finder(path: storePath).find(FindQuery(keys: [.init(.transactionID, sampleTransaction)]))
            } catch {
                CLI.printError("auditq: \(error)")
                throw ExitCode(CLI.failure)
            }
            let ms = (monotonicSeconds() - started) * 1000
            sampleCustomer = outcome.matches.lazy.compactMap { $0.event["customer_code"]?.stringValue }.first
            CLI.printLine("5. Every event of transaction \(sampleTransaction) (a failed one), from the segment indexes in \(ms < 10 ? String(format1(ms)) : String(Int(ms))) ms (\(outcome.statistics.blocksRead) block\(outcome.statistics.blocksRead == 1 ? "" : "s") read):")
            for line in Timeline(color: false).render(outcome.matches).split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
                CLI.printLine("   \(line)")
            }
        }
        CLI.printLine("""

            Files:
              \(storePath)/segments/segment-00000001.jsonl.gz       records (zcat … | jq . reads them)
              \(storePath)/segments/segment-00000001.manifest.json  signed manifest; .manifest.sig is its signature
              \(storePath)/head.json                                latest signed checkpoint
            Try:
              swift run auditq verify --store \(storePath) --trust \(keyPath).pub
              swift run auditq cat --store \(storePath) | head -3
              swift run auditq find --store \(storePath) --transaction \(sampleTransaction ?? "TXN") --format table
              swift run auditq show --store \(storePath) --seq 42
              zcat \(storePath)/segments/segment-00000001.jsonl.gz | jq -c 'select(.seq) | .event.action' | head
              openssl pkeyutl -verify -pubin -inkey \(keyPath).pub -rawin -in \(storePath)/segments/segment-00000001.manifest.json -sigfile \(storePath)/segments/segment-00000001.manifest.sig
              swift run auditq erase --store \(storePath) --key \(keyPath) --customer \(sampleCustomer ?? "CUS") --reference DSR-DEMO-1 --dry-run
              swift run auditq retention run --store \(storePath) --key \(keyPath) --now 2034-01-01T00:00:00Z --dry-run
            """)
    }

    /// Creates the demo directory, replacing an earlier demo but never anything else.
    private func prepareDirectory(_ root: String) throws {
        var st = stat()
        if stat(root, &st) == 0 {
            guard access(root + "/store/store.json", F_OK) == 0, access(root + "/keys/demo.key", F_OK) == 0 else {
                CLI.printError("auditq: \(root) exists and is not an earlier demo; choose another --dir")
                throw ExitCode(CLI.failure)
            }
            try removeTree(root)
        }
        for path in [root, root + "/keys"] where mkdir(path, 0o755) != 0 {
            CLI.printError("auditq: cannot create \(path): \(String(cString: strerror(errno)))")
            throw ExitCode(CLI.failure)
        }
    }

    private func removeTree(_ path: String) throws {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR, let d = opendir(path) {
            var names: [String] = []
            while let entry = readdir(d) {
                let name = withUnsafePointer(to: entry.pointee.d_name) { $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) } }
                if name != "." && name != ".." { names.append(name) }
            }
            closedir(d)
            for name in names { try removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}

/// One decimal place, without Foundation.
private func format1(_ value: Double) -> String {
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)"
}
