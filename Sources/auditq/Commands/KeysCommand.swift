import ArgumentParser
import AuditStore

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage Ed25519 signing keys.",
        subcommands: [Generate.self]
    )

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new private key (PKCS#8 PEM, mode 0600) to FILE and its public key to FILE.pub."
        )

        @Option(name: .long, help: ArgumentHelp("Where to write the private key.", valueName: "FILE"))
        var out: String

        func run() throws {
            let key = try CLI.run { () throws(AuditStoreError) in try SigningKey.generate(writingTo: out) }
            CLI.printLine("wrote private key \(out) (mode 0600) and public key \(out).pub")
            CLI.printLine("key id \(key.keyID)")
        }
    }
}
