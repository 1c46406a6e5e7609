import ArgumentParser

/// Benchmarks that are too long for unit tests; see docs/performance.md for the commands.
@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auditq-bench",
        abstract: "Throughput benchmarks of auditq's hot paths on the shared workload.",
        subcommands: [IngestBench.self, RedactBench.self, VerifyBench.self, FindBench.self, LoggingBench.self, FuzzBench.self]
    )
}
