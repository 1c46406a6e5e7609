import ArgumentParser
import AuditQuery

struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Manage sealed segments' lookup indexes.",
        subcommands: [Rebuild.self]
    )

    struct Rebuild: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild missing or damaged segment indexes from the segments.",
            discussion: """
                A rebuilt index must hash to the digest the segment's signed manifest records; one that does not \
                (the segment or the manifest was changed) is not installed. Needs no key and may run while a \
                writer appends.
                Exit status: 0 every index is intact or rebuilt, 1 some index could not be rebuilt, 2 the store \
                could not be read or written, 64 usage.
                """
        )

        @Option(help: ArgumentHelp("The store directory.", valueName: "DIR"))
        var store: String

        @Option(help: ArgumentHelp("Only this segment (default: every sealed segment).", valueName: "N"))
        var segment: UInt64?

        @Flag(help: "Rebuild even indexes that match their signed digest.")
        var force = false

        func run() throws {
            var failed = 0
            do {
                try IndexRebuilder(path: store).run(segment: segment, force: force) { number, status in
                    switch status {
                    case .intact: CLI.printLine("segment \(number): index intact")
                    case .rebuilt: CLI.printLine("segment \(number): index rebuilt (matches its signed digest)")
                    case .notIndexed(let why): CLI.printLine("segment \(number): no index: \(why)")
                    case .failed(let why):
                        failed += 1
                        CLI.printError("auditq: \(store): segment \(number): \(why)")
                    }
                }
            } catch {
                CLI.printError("auditq: \(error)")
                throw ExitCode(CLI.failure)
            }
            if failed > 0 { throw ExitCode(CLI.findings) }
        }
    }
}
