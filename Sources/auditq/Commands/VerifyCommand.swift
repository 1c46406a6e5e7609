import ArgumentParser

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AuditModel
import AuditStore
import AuditVerify

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a store's chain, Merkle roots, segment digests and signatures against trusted public keys.",
        discussion: "Exit status: 0 intact, 1 integrity findings, 2 the store could not be read, 64 usage."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text
        case json
    }

    @Option(help: ArgumentHelp("The store directory.", valueName: "DIR"))
    var store: String

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Trusted Ed25519 public keys (PEM), or keyring files (JSON) giving each key a validity window; signatures by any other key, or outside a key's window, are findings.", valueName: "PUBKEY"))
    var trust: [String]

    @Option(help: ArgumentHelp("A checkpoint saved earlier from 'auditq head': the store must still contain and extend it.", valueName: "FILE"))
    var expectHead: String?

    @Option(help: ArgumentHelp("Flag the store when its newest checkpoint is older than this many seconds and no clean shutdown was recorded (0 turns the check off).", valueName: "SECONDS"))
    var maxCheckpointAge: Double = 180

    @Option(help: "Output format.")
    var format: Format = .text

    func validate() throws {
        guard !trust.isEmpty else { throw ValidationError("give at least one trusted public key with --trust") }
    }

    func run() throws {
        let (keys, validity) = try CLI.loadKeyring(trust)
        _ = try CLI.run { () throws(AuditStoreError) in try StoreReader(path: store) }
        var verifier = Verifier(path: store, trustedKeys: keys)
        verifier.keyValidity = validity
        if let expectHead {
            let bytes = try CLI.run { () throws(AuditStoreError) in try FileSystem.readFile(expectHead) }
            do {
                verifier.expectedHead = try Checkpoint(bytes: bytes)
            } catch {
                CLI.printError("auditq: \(expectHead): not a checkpoint saved from 'auditq head': \(error)")
                throw ExitCode(CLI.failure)
            }
        }
        verifier.maxCheckpointAge = maxCheckpointAge > 0 ? maxCheckpointAge : nil
        if isatty(2) != 0 {
            verifier.progress = { done, total in CLI.printProgress("verifying: \(done)/\(total) sealed segments") }
        }
        let report = verifier.run()
        if isatty(2) != 0 { CLI.printProgress("") }
        switch format {
        case .text: CLI.printLine(report.textSummary(store: store))
        case .json: CLI.writeStdout(CanonicalJSON.encode(report.json) + [0x0A])
        }
        if !report.isIntact { throw ExitCode(CLI.findings) }
    }
}
