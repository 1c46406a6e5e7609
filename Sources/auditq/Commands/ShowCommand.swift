import ArgumentParser
import AuditModel
import AuditQuery

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print one record in full, by its sequence number.",
        discussion: "Exit status: 0 printed, 1 the store has no record N, 2 the store could not be read, 64 usage."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case pretty
        case json
    }

    @Option(help: ArgumentHelp("The store directory.", valueName: "DIR"))
    var store: String

    @Option(help: ArgumentHelp("The record's sequence number (as `auditq find` shows it).", valueName: "N"))
    var seq: UInt64

    @Option(help: "Output: pretty (indented JSON) or json (the record exactly as stored). Default: pretty on a terminal, json otherwise.")
    var format: Format?

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Also require the manifest used to be signed by one of these Ed25519 public keys (PEM).", valueName: "PUBKEY"))
    var trust: [String] = []

    func validate() throws {
        guard seq >= 1 else { throw ValidationError("--seq must be 1 or more") }
    }

    func run() throws {
        let trusted = trust.isEmpty ? nil : try CLI.loadPublicKeys(trust)
        let result: (match: Match?, notes: [Finder.Note])
        do {
            result = try Finder(path: store, trustedKeys: trusted).record(seq: seq)
        } catch {
            CLI.printError("auditq: \(error)")
            throw ExitCode(CLI.failure)
        }
        for note in result.notes { CLI.printError("auditq: \(store): \(note)") }
        guard let match = result.match else {
            CLI.printError("auditq: \(store): no record \(seq)" + (RemovedByRetention.note(seq: seq, store: store).map { ": " + $0 } ?? ""))
            throw ExitCode(CLI.findings)
        }
        switch format ?? (isatty(1) != 0 ? .pretty : .json) {
        case .pretty: CLI.writeStdout(PrettyJSON.encode(.object(match.record)))
        case .json: CLI.writeStdout(match.line + [0x0A])
        }
    }
}
