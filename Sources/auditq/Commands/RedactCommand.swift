import ArgumentParser

struct RedactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "redact", abstract: "Not implemented yet.")
    func run() throws { throw ExitCode(2) }
}
