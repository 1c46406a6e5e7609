import ArgumentParser
import AuditModel
import AuditQuery
import AuditStore
import AuditVerify

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write an evidence bundle: the records of one transaction, customer or request, each with a Merkle inclusion proof against its signed manifest.",
        discussion: "Check it offline with 'auditq verify-bundle FILE --trust PUBKEY'. Records in the open segment cannot be proven until it is sealed; they are counted and left out."
    )

    @Option(help: ArgumentHelp("The store directory.", valueName: "DIR"))
    var store: String

    @Option(help: "A transaction id.") var transaction: String?
    @Option(help: "A customer code.") var customer: String?
    @Option(help: "A request id.") var request: String?

    @Option(help: ArgumentHelp("Where to write the bundle (JSON).", valueName: "FILE"))
    var out: String

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Refuse manifests not signed by these keys (PEM).", valueName: "PUBKEY"))
    var trust: [String] = []

    func validate() throws {
        let given = [transaction, customer, request].compactMap { $0 }
        guard given.count == 1 else { throw ValidationError("give exactly one of --transaction, --customer, --request") }
    }

    func run() throws {
        let key: FindQuery.Key
        if let transaction { key = .init(.transactionID, transaction) } else if let customer { key = .init(.customerCode, customer) } else { key = .init(.requestID, request!) }
        let keys = trust.isEmpty ? nil : try CLI.loadPublicKeys(trust)
        let result: BundleExporter.Result
        do {
            result = try BundleExporter(path: store).export(key, trustedKeys: keys)
        } catch {
            CLI.printError("auditq: \(error)")
            throw ExitCode(CLI.failure)
        }
        let bytes: [UInt8]
        do {
            bytes = try result.bundle.encoded()
        } catch {
            CLI.printError("auditq: \(error)")
            throw ExitCode(CLI.failure)
        }
        try CLI.run { () throws(AuditStoreError) in try FileSystem.writeAtomically(bytes, to: out) }
        CLI.printError("auditq: wrote \(out): \(result.bundle.entries.count) records from \(result.bundle.manifests.count) sealed segments" + (result.unsealedSkipped > 0 ? "; \(result.unsealedSkipped) records in the open segment left out (not sealed yet)" : ""))
        if result.bundle.entries.isEmpty { throw ExitCode(CLI.findings) }
    }
}

struct VerifyBundleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-bundle",
        abstract: "Check an evidence bundle offline against trusted public keys.",
        discussion: "Exit status: 0 every record proven, 1 findings, 2 unreadable file, 64 usage."
    )

    @Argument(help: "The bundle written by 'auditq export'.")
    var bundle: String

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Trusted Ed25519 public keys (PEM).", valueName: "PUBKEY"))
    var trust: [String]

    func validate() throws {
        guard !trust.isEmpty else { throw ValidationError("give at least one trusted public key with --trust") }
    }

    func run() throws {
        let keys = try CLI.loadPublicKeys(trust)
        let bytes = try CLI.run { () throws(AuditStoreError) in try FileSystem.readFile(bundle) }
        let report = BundleVerifier(trustedKeys: keys).verify(bundle: bytes)
        CLI.printLine("\(report.isIntact ? "PROVEN" : "FAILED"): \(bundle): \(report.recordsProven) records proven against signed manifests of store \(report.storeID ?? "?")")
        for finding in report.findings { CLI.printLine("  - \(finding)") }
        if !report.isIntact { throw ExitCode(CLI.findings) }
    }
}
