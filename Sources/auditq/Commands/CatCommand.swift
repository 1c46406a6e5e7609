import ArgumentParser
import AuditStore

struct CatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cat",
        abstract: "Print every record of a store in sequence order as JSON Lines (as stored: canonical JSON)."
    )

    @Option(help: ArgumentHelp("The store directory.", valueName: "DIR"))
    var store: String

    func run() throws {
        let reader = try CLI.run { () throws(AuditStoreError) in try StoreReader(path: store) }
        var out: [UInt8] = []
        out.reserveCapacity(1 << 16)
        do {
            try reader.forEachRecordLine { line in
                out.append(contentsOf: line)
                out.append(0x0A)
                if out.count >= 1 << 16 {
                    CLI.writeStdout(out)
                    out.removeAll(keepingCapacity: true)
                }
            }
        } catch {
            CLI.writeStdout(out)
            CLI.printError("auditq: \(error)")
            throw ExitCode(CLI.failure)
        }
        CLI.writeStdout(out)
    }
}
