import ArgumentParser
import AuditModel
import Dispatch
import AuditRedaction
import AuditStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Append JSON Lines events from standard input to a store (redacted, chained, compressed, signed).",
        discussion: """
            Each line is one event. A line that is not a valid event (malformed JSON, invalid UTF-8, over the \
            size limit, nested too deeply, a known field of the wrong type) is reported on standard error with \
            its line number and reason, and kept in --rejects FILE if given; every valid line is stored. The \
            open segment is sealed at the end of input.
            Exit status: 0 all lines stored, 1 some lines rejected, 2 the store could not be written.
            """
    )

    @Option(help: ArgumentHelp("The store directory (created if missing).", valueName: "DIR"))
    var store: String

    @Option(help: ArgumentHelp("The Ed25519 private key that signs manifests and checkpoints.", valueName: "FILE"))
    var key: String

    @Option(help: "Seal a segment after this many events.")
    var segmentMaxEvents: Int = 1_000_000

    @Option(help: "Seal a segment once its file reaches this many bytes.")
    var segmentMaxBytes: Int = 64 << 20

    @Option(help: "Seal a segment once it is this many seconds old.")
    var segmentMaxAge: Double = 3600

    @Option(help: "When an event counts as durable: fsync (after every event), group (group commit, default) or buffered (OS-buffered: unsafe for audit).")
    var durability: StoreWriter.Durability = .groupCommit

    @Option(help: "Reject events larger than this many bytes (at most 16 MiB).")
    var maxEventBytes: Int = 256 << 10

    @Option(help: "Reject events nested deeper than this (at most 256).")
    var maxDepth: Int = 32

    // 5, not the writer's 6: on the standard workload, 2.8% more bytes (1.17x gzip -6's, within the
    // 1.2x target) for 9% less CPU and 8-13% less time (docs/performance.md, Ingest, session 8).
    @Option(help: "Deflate compression level, 1 (fastest) to 9 (smallest); 6 stores about 3% fewer bytes than the default, 5, for about 9% more CPU.")
    var compressionLevel: Int32 = 5

    @Option(help: ArgumentHelp("Write rejected lines here (JSON Lines: line number, reason, and the event after redaction when it was valid JSON).", valueName: "FILE"))
    var rejects: String?

    @Flag(help: ArgumentHelp("Print 'durable SEQ' on standard output each time records become durable (for tests and supervisors).", visibility: .hidden))
    var printAcks = false

    func validate() throws {
        guard (1...Record.maxEventDepth).contains(maxDepth) else {
            throw ValidationError("--max-depth must be from 1 to \(Record.maxEventDepth)")
        }
        guard (1...Record.maxEventBytes).contains(maxEventBytes) else {
            throw ValidationError("--max-event-bytes must be from 1 to \(Record.maxEventBytes)")
        }
        guard segmentMaxEvents >= 1, (4096...StoreWriter.maxSegmentBytes).contains(segmentMaxBytes), segmentMaxAge > 0, (1...9).contains(compressionLevel) else {
            throw ValidationError("segment limits must be positive (--segment-max-bytes from 4096 to \(StoreWriter.maxSegmentBytes)) and --compression-level 1 to 9")
        }
    }

    func run() throws {
        // A file-size limit (ulimit -f) must surface as a write error (EFBIG), not kill the writer.
        signal(SIGXFSZ, SIG_IGN)
        let signingKey = try CLI.run { () throws(AuditStoreError) in try SigningKey(contentsOfFile: key) }
        var configuration = StoreWriter.Configuration()
        configuration.segmentMaxEvents = segmentMaxEvents
        configuration.segmentMaxBytes = segmentMaxBytes
        configuration.segmentMaxAge = segmentMaxAge
        configuration.durability = durability
        configuration.compressionLevel = compressionLevel
        let writer = try CLI.run { () throws(AuditStoreError) in try StoreWriter(path: store, key: signingKey, configuration: configuration) }
        if let recovery = writer.recovery {
            var detail = "records through \(recovery.recoveredThroughSeq) kept"
            if recovery.rewrittenTailBytes > 0 { detail += ", the unfinished last block (\(recovery.rewrittenTailBytes) bytes) rewritten as a complete one" }
            if recovery.discardedPartialRecordBytes > 0 { detail += ", \(recovery.discardedPartialRecordBytes) bytes of a partial, never-acknowledged record dropped" }
            CLI.printError("auditq: recovered segment \(recovery.segment) after an unclean shutdown: \(detail) (recovery record seq \(recovery.recordSeq))")
        }
        var limits = EventIngestor.Limits()
        limits.maxEventBytes = maxEventBytes
        limits.maxDepth = maxDepth
        let ingestor = EventIngestor(limits: limits, redactor: Redactor())
        // Unbuffered (rejects are few): a write that fails names exactly the first line the file lacks.
        var rejectsFile: Int32?
        if let rejects {
            let fd = open(rejects, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            // O_CREAT's mode applies only to new files: make an existing one private too (a regular file:
            // not a device or pipe given as the destination).
            var st = stat()
            guard fd >= 0, fstat(fd, &st) == 0, (st.st_mode & S_IFMT) != S_IFREG || fchmod(fd, 0o600) == 0 else {
                CLI.printError("auditq: \(rejects): cannot create the rejects file: \(String(cString: strerror(errno)))")
                try? writer.close()
                throw ExitCode(CLI.failure)
            }
            rejectsFile = fd
        }
        defer { if let rejectsFile { close(rejectsFile) } }
        // The first line the rejects file could not take, and why (a full disk): reported at the end.
        var rejectsFailure: (line: Int, reason: String)?

        let acks = printAcks ? AckPrinter(writer: writer) : nil
        defer { acks?.stop() }
        var stored = 0
        var rejected = 0
        var firstSeq: UInt64?
        var lastSeq: UInt64?
        var unacknowledged = UnacknowledgedLines()
        let pipeline = IngestPipeline(descriptor: 0, ingestor: ingestor)
        // SIGINT and SIGTERM end the input where it is: what was read is stored and sealed, and the
        // summary says from which line to go on. A second signal is ignored while that happens.
        let interrupt = Interrupt(pipeline: pipeline)
        // The last input line taken (stored or rejected), for the resume line after an interrupt.
        var lastLine = 0
        do {
            // Each batch goes back to the pipeline when done with, to be freed on the thread that made it.
            var spent: [IngestPipeline.Item] = []
            while let batch = try pipeline.next(returning: consume spent) {
                spent = batch
                unacknowledged.forget(through: writer.durableSeq)
                for item in batch {
                    switch item {
                    case .prepared(let number, let prepared):
                        lastLine = number
                        unacknowledged.attempting(line: number)
                        let seq = try prepared.append(to: writer)
                        unacknowledged.appended(seq: seq, line: number)
                        stored += 1
                        firstSeq = firstSeq ?? seq
                        lastSeq = seq
                    case .rejected(let number, let rejection):
                        lastLine = number
                        rejected += 1
                        CLI.printError("auditq: line \(number): \(rejection.reason)")
                        if let rejectsFile {
                            var entry: JSONObject = ["line": .number(Double(number)), "reason": .string(rejection.reason)]
                            if let event = rejection.redactedEvent { entry["event"] = .object(event) }
                            let bytes = CanonicalJSON.encode(.object(entry)) + [0x0A]
                            if rejectsFailure == nil, let reason = CLI.writeAll(bytes, to: rejectsFile) {
                                rejectsFailure = (number, reason)
                            }
                        }
                    }
                }
            }
            // Sealing at the end writes too (index, manifest, checkpoint): its failure is reported the same way.
            try writer.close()
        } catch let error as AuditStoreError {
            CLI.printError("auditq: \(error)")
            try? writer.close()
            // What was appended is not all durable: say exactly where the stored input ends, so that
            // nothing is lost and nothing is stored twice when the input is fed again from there.
            let durable = writer.durableSeq
            let lost = unacknowledged.count(after: durable)
            let kept = stored - lost
            var summary = "auditq: \(kept) events of this run are durable (the store is durable through seq \(durable))"
            if let resume = unacknowledged.firstLine(after: durable) {
                if writer.storeEndsAtDurableSeq {
                    summary += "; nothing from input line \(resume) on was stored (lines before it were stored or reported as rejected)."
                    summary += " When the cause is fixed, feed the input again from line \(resume), for example: tail -n +\(resume) FILE | auditq ingest …"
                } else {
                    summary += "; input lines before \(resume) were stored or reported as rejected. Up to \(lost) events from line \(resume) on"
                    summary += " were written but not acknowledged: when the store is reopened, crash recovery keeps or drops them and says which seq it kept through"
                }
            } else {
                summary += "; every event read was stored, and nothing needs to be fed again. What failed came after"
                summary += " (sealing the segment or signing a checkpoint): when the cause is fixed, reopening the store completes it"
                summary += " (any auditq ingest, even of empty input: auditq ingest … < /dev/null)"
            }
            CLI.printError(summary)
            throw ExitCode(CLI.failure)
        }
        let range = firstSeq.map { " (seq \($0)-\(lastSeq!))" } ?? ""
        CLI.printError("auditq: stored \(stored) events\(range), rejected \(rejected); segment sealed")
        if let signal = interrupt.received {
            CLI.printError("auditq: interrupted (\(signal == SIGINT ? "SIGINT" : "SIGTERM")): input lines 1-\(lastLine) were stored or reported as rejected; nothing after line \(lastLine) was read into the store. To go on, feed the input again from line \(lastLine + 1), for example: tail -n +\(lastLine + 1) FILE | auditq ingest …")
        }
        if let rejects, let failure = rejectsFailure {
            CLI.printError("auditq: \(rejects): the rejects file is incomplete: \(failure.reason); rejected lines from line \(failure.line) on are not in it (each was reported above)")
            throw ExitCode(CLI.failure)
        }
        if let signal = interrupt.received { throw ExitCode(128 + signal) }
        if rejected > 0 { throw ExitCode(CLI.findings) }
    }
}

/// SIGINT and SIGTERM during ingest: noted, and the input stopped (see ``IngestPipeline/stop()``).
final class Interrupt {
    private let first = Condition<Int32?>(nil)
    /// Kept alive here: a released source stops delivering.
    private let sources: [any DispatchSourceSignal]

    init(pipeline: IngestPipeline) {
        let first = self.first
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                first.withLock { if $0 == nil { $0 = number } }
                pipeline.stop()
            }
            source.resume()
            return source
        }
    }

    /// The first signal received, if any.
    var received: Int32? { first.withLock { $0 } }
}

/// The input lines of the events appended but not yet known to be durable, so that a failed run can
/// say from which line its input was not stored. Appends are in input order with increasing sequence
/// numbers, so the durable events are always a prefix.
struct UnacknowledgedLines {
    private var entries: [(seq: UInt64, line: Int)] = []
    private var start = 0
    /// The line whose append is in progress (it failed if the append threw).
    private var attempted: Int?

    mutating func attempting(line: Int) { attempted = line }

    mutating func appended(seq: UInt64, line: Int) {
        entries.append((seq, line))
        attempted = nil
    }

    /// Drops the entries that `durableSeq` covers (amortised: the array is compacted when half is dead).
    mutating func forget(through durableSeq: UInt64) {
        while start < entries.count, entries[start].seq <= durableSeq { start += 1 }
        if start > 4096, start * 2 > entries.count {
            entries.removeFirst(start)
            start = 0
        }
    }

    /// Events appended with a sequence number above `durableSeq`: appended, then lost.
    func count(after durableSeq: UInt64) -> Int {
        entries[start...].count { $0.seq > durableSeq }
    }

    /// The first input line not stored: the first appended event above `durableSeq`, or else the line
    /// whose append failed; nil when every event read was stored.
    func firstLine(after durableSeq: UInt64) -> Int? {
        entries[start...].first { $0.seq > durableSeq }?.line ?? attempted
    }
}

/// Prints `durable SEQ` lines as the writer's durable sequence number advances.
final class AckPrinter: @unchecked Sendable {
    // `stopped` is only touched under `lock`; `writer` is Sendable.
    private let writer: StoreWriter
    private let lock = DispatchSemaphore(value: 1)
    private var stopped = false
    private let done = DispatchSemaphore(value: 0)

    init(writer: StoreWriter) {
        self.writer = writer
        DispatchQueue(label: "auditq.acks").async { [self] in
            var last: UInt64 = writer.durableSeq
            while true {
                lock.wait()
                let stop = stopped
                lock.signal()
                let now = writer.waitForDurable(beyond: last, timeout: 0.05)
                if now > last {
                    last = now
                    CLI.writeStdout(Array("durable \(now)\n".utf8))
                }
                if stop { break }
            }
            done.signal()
        }
    }

    func stop() {
        lock.wait()
        stopped = true
        lock.signal()
        done.wait()
    }
}
