import ArgumentParser
import Dispatch
import Synchronization
import AuditLogging
import AuditStore
import Instrumentation
import Logging
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// A simulated payments integration: `--concurrency` workers serve `--requests` requests, each with its
/// request/transaction/customer context set once at the top and events logged deep inside.
@main
struct ExampleService: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "example-service",
        abstract: "A simulated payments integration logging through AuditLogging; prints acknowledged=N at the end."
    )

    @Option(help: "The audit store directory (created if missing).")
    var store: String

    @Option(help: "The Ed25519 signing key (PEM); generated if the file does not exist.")
    var key: String

    @Option(help: "Requests to serve.")
    var requests = 1000

    @Option(help: "Concurrent workers.")
    var concurrency = 8

    @Option(help: "Simulated provider latency per request, in milliseconds.")
    var delayMs = 0

    @Option(help: "Seconds between attempts to reopen the audit store after it failed (a full disk); 0 never reopens.")
    var storeReopenInterval = 5.0

    @Flag(help: "Print durable_seq=N lines while running (for crash tests).")
    var progress = false

    @Option(help: "Console log level (the audit store gets info and above).")
    var consoleLevel: Logger.Level = .warning

    mutating func validate() throws {
        guard requests >= 0 else { throw ValidationError("--requests must be ≥ 0") }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be ≥ 1") }
    }

    func run() async throws {
        if !FileSystemCheck.exists(key) { _ = try SigningKey.generate(writingTo: key) }
        var configuration = AuditSink.Configuration()
        configuration.source = "example-payments"
        configuration.storeReopenInterval = storeReopenInterval
        let sink = try AuditSink(path: store, keyPath: key, configuration: configuration)

        let consoleLevel = self.consoleLevel
        LoggingSystem.bootstrap({ label, provider in
            var console = StreamLogHandler.standardError(label: label, metadataProvider: provider)
            console.logLevel = consoleLevel
            return MultiplexLogHandler([AuditLogHandler(label: label, sink: sink, metadataProvider: provider), console])
        }, metadataProvider: .auditContext)

        let workload = Workload(sink: sink, requests: requests, concurrency: concurrency, delayMs: delayMs)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [
                .init(service: sink),
                .init(service: workload, successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: Logger(label: "lifecycle")
        ))
        // Progress comes from a plain thread: waiting on the writer blocks, which the Swift
        // concurrency pool must never do.
        let stopReporter = StopFlag()
        if progress {
            DispatchQueue(label: "progress").async {
                var last: UInt64 = 0
                while !stopReporter.isSet {
                    let durable = sink.writer.waitForDurable(beyond: last, timeout: 0.02)
                    if durable > last {
                        writeLine("durable_seq=\(durable)")
                        last = durable
                    }
                }
            }
        }
        do {
            try await group.run()
        } catch {
            // The store failed (a full disk, say): what is durable is still safe; say how far it reaches.
            stopReporter.set()
            if progress { writeLine("durable_seq=\(sink.writer.durableSeq)") }
            if let failure = sink.storeFailure { writeLine("store_failed=\(failure)") }
            throw error
        }
        stopReporter.set()
        writeLine("acknowledged=\(sink.acknowledgedCount)")
        writeLine("audit_records=\(workload.stats.audited) failed_calls=\(workload.stats.failedCalls)")
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

enum FileSystemCheck {
    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }
}

/// Writes one line to stdout unbuffered, so a test that kills the process has seen every line printed.
func writeLine(_ text: String) {
    var bytes = Array(text.utf8)
    bytes.append(0x0A)
    bytes.withUnsafeBytes { _ = write(1, $0.baseAddress, $0.count) }
}

final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}
