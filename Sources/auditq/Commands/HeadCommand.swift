import ArgumentParser
import AuditStore

struct HeadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "head",
        abstract: "Print the store's latest signed checkpoint as JSON (keep it elsewhere; verify --expect-head checks against it)."
    )

    @Option(help: ArgumentHelp("The store directory.", valueName: "DIR"))
    var store: String

    func run() throws {
        let reader = try CLI.run { () throws(AuditStoreError) in try StoreReader(path: store) }
        guard let document = try CLI.run({ () throws(AuditStoreError) in try reader.headDocument() }) else {
            CLI.printError("auditq: \(store): no checkpoint yet (the store has no durable records)")
            throw ExitCode(CLI.findings)
        }
        CLI.writeStdout(document)
    }
}
