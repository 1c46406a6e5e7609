import ArgumentParser
import AuditCompression
import AuditCrypto
import AuditLogging
import AuditModel
import AuditStore
import Dispatch
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The producer library: in-process append throughput through a `Logger` (redaction, chaining,
/// group commit included) next to swift-log's `StreamLogHandler` writing the same events to a file,
/// and durable-acknowledgement latency percentiles under a steady offered load.
struct LoggingBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logging",
        abstract: "AuditLogging throughput (events/s) vs StreamLogHandler to a file, and durable-ack latency at a steady rate."
    )

    @Option(help: "Events for the throughput runs.")
    var events = 200_000

    @Option(help: "Offered load for the latency run, events per second.")
    var rate = 50_000

    @Option(help: "Seconds of offered load for the latency run.")
    var seconds = 5.0

    @Option(help: "Seconds between signed checkpoints while records arrive (the writer's default is 1).")
    var checkpointInterval = 1.0

    @Option(help: "Group-commit window in seconds (the writer's default is 0.002).")
    var groupCommitWindow = 0.002

    @Option(help: "zlib level of the store, 1 (fastest) to 9 (default: the sink's, 5).")
    var level: Int32?

    @Option(help: "Rounds of the throughput phases (peer, group commit, OS-buffered in turn); with more than one, the medians are printed too.")
    var runs = 1

    @Option(help: "Producer threads for the throughput run.")
    var producers = 1

    @Option(help: "Run only this phase (peer, group, buffered, latency, or stages: the CPU of each step on one core), for profiling.")
    var only: String?

    @Option(help: "Scratch directory (deleted afterwards).")
    var scratch: String = "/tmp/auditq-logging-bench"

    static let phases = ["peer", "group", "buffered", "latency", "stages"]

    func validate() throws {
        if let only, !Self.phases.contains(only) {
            throw ValidationError("--only must be one of \(Self.phases.joined(separator: ", "))")
        }
    }

    func run() throws {
        try? removeTree(scratch)
        mkdir(scratch, 0o755)
        defer { try? removeTree(scratch) }
        let key = try SigningKey.generate(writingTo: scratch + "/bench.key")

        func selected(_ phase: String) -> Bool { only == nil || only == phase }

        // The throughput phases in turn, `runs` rounds (machines shared with other work vary by run:
        // compare medians of alternating runs).
        var results: [String: [(eventsPerSecond: Double, micros: Double)]] = [:]
        for _ in 0..<max(1, runs) {
            // The peer: swift-log's own handler, one formatted line per event, flushed per line.
            if selected("peer") { results["StreamLogHandler -> file", default: []].append(try peerPhase()) }
            for durability in [StoreWriter.Durability.groupCommit, .osBuffered] where selected(durability.rawValue) {
                results["AuditLogHandler (\(durability.rawValue))", default: []].append(try sinkPhase(durability, key: key))
            }
        }
        if runs > 1 {
            for (phase, values) in results.sorted(by: { $0.key > $1.key }) {
                func median(_ xs: [Double]) -> Double {
                    let sorted = xs.sorted()
                    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
                }
                let rates = values.map(\.eventsPerSecond)
                print("median of \(values.count): \(phase): \(Int(median(rates))) events/s (\(Int(rates.min()!))–\(Int(rates.max()!)))  \(format2(median(values.map(\.micros)))) µs CPU/event")
            }
        }
        if selected("latency") { try latency(key: key) }
        if only == "stages" { try stages(key: key) }
    }

    /// Each step of a log event's way into the store, timed alone on one thread over `events` events:
    /// where the CPU per event goes (the phases above run them on three threads at once).
    func stages(key: SigningKey) throws {
        var configuration = AuditSink.Configuration()
        if let level { configuration.store.compressionLevel = level }
        let sink = try AuditSink(path: scratch + "/store-stages", key: key, configuration: configuration)
        defer { sink.shutdownBlocking() }
        func report(_ stage: String, _ seconds: Double) {
            print("  \(pad(stage, 34)) \(format2(seconds / Double(events) * 1e6)) µs/event")
        }
        // Each stage cycles over the same 20,000 inputs (so that it does not time page faults on
        // fresh memory) and keeps its outputs for the next.
        let distinct = min(events, 20_000)
        print("stages (one thread, \(events) events, \(distinct) distinct):")
        var all: [Logger.Metadata] = []
        all.reserveCapacity(distinct)
        var t = monotonicSeconds()
        for n in 0..<events {
            let m = metadata(n)
            if n < distinct { all.append(m) }
        }
        report("the caller's metadata (bench)", monotonicSeconds() - t)

        let now = Timestamp.now()
        var encoded = [(bytes: [UInt8], members: [(key: Range<Int>, value: Range<Int>)])](repeating: ([], []), count: distinct)
        t = monotonicSeconds()
        for n in 0..<events {
            guard let event = sink.encodeLog(level: "info", message: "payment captured", source: "auditq_bench", logger: "payments", metadata: all[n % distinct], now: now) else {
                throw ValidationError("the fast path declined a bench event")
            }
            encoded[n % distinct] = event
        }
        report("fast path: encode + redaction check", monotonicSeconds() - t)
        t = monotonicSeconds()
        for n in 0..<events {
            let base = AuditSink.logEvent(level: "info", message: "payment captured", source: "auditq_bench", logger: "payments", error: nil, now: now)
            guard let (event, _) = sink.prepare(base, metadata: all[n % distinct], formatted: now) else { throw ValidationError("the general path dropped a bench event") }
            var bytes: [UInt8] = []
            CanonicalJSON.encode(event.fields, into: &bytes)
        }
        report("(general path: tree, redact, encode)", monotonicSeconds() - t)

        let pd: [(path: String, components: [String])] = StoreDescriptor.defaultPersonalDataPaths.sorted().map { ($0, $0.split(separator: ".").map(String.init)) }
        let plan = Record.PersonalDataPlan(pd)
        var deriver = SaltTree.SequentialDeriver(rootKey: SHA256.hash("bench"))
        var lines = [[UInt8]](repeating: [], count: distinct)
        var head = SHA256Digest.zero
        var merkle = MerkleTree.Builder()
        // As the writer does: records encoded one by one, hashed in groups, then chained in order.
        var hasher = Record.Hasher()
        var group = Record.Group()
        var keyBatch = SHA256Batch()
        var keys: [SHA256Digest] = []
        var firstLeaf = 0
        func hashGroup() {
            _ = deriver.leafKeys(firstLeaf..<firstLeaf + group.count, batch: &keyBatch, into: &keys)
            firstLeaf += group.count
            hasher.hash(group, leafKeys: keys, paths: plan.pathBytes)
            for i in 0..<group.count {
                head = Chain.next(previous: head, recordDigest: hasher.digests[i])
                merkle.append(leafHash: hasher.leafHashes[i])
            }
            group.removeAll(keepingCapacity: true)
        }
        t = monotonicSeconds()
        for n in 0..<events {
            // The members as the encoder noted them (the writer does not scan for them).
            let members = RawEvent(members: encoded[n % distinct].members)
            try encoded[n % distinct].bytes.withUnsafeBytes { raw in
                guard SegmentIndex.RecordKeys(rawLine: raw, members: members, timestamp: now.microsecondsSinceEpoch) != nil
                else { throw ValidationError("unreadable pre-encoded event") }
                Record.encode(
                    seq: UInt64(n + 1), canonicalEvent: raw, members: members, assignedID: Record.AssignedID(prefix: Array("0123456789abcdef-".utf8), seq: UInt64(n + 1)),
                    personalData: plan, redaction: nil, into: &group
                )
            }
            if n < distinct { lines[n] = Array(group.bytes[group.entries[group.count - 1].line]) }
            if group.count == StoreWriter.hashGroupSize { hashGroup() }
        }
        hashGroup()
        report("record: id, commitments, digest, chain", monotonicSeconds() - t)
        print("  (records hashed in groups of \(StoreWriter.hashGroupSize): \(SHA256Batch.preferredImplementation))")

        // As the flusher does: a sync flush per group commit (about 300 records at 150k events/s and a
        // 2 ms window), a new gzip member per 256 KiB.
        t = monotonicSeconds()
        let deflater = try GzipDeflater(level: configuration.store.compressionLevel)
        var out: [UInt8] = []
        for n in 0..<events {
            try deflater.write(lines[n % distinct], into: &out)
            if n % 300 == 299 { try deflater.sync(into: &out) }
            if deflater.uncompressedBytesInMember >= 256 << 10 { try deflater.finish(into: &out) }
            if out.count > 1 << 20 { out.removeAll(keepingCapacity: true) }
        }
        try deflater.finish(into: &out)
        report("compress (zlib level \(configuration.store.compressionLevel))", monotonicSeconds() - t)
    }

    @discardableResult
    func peerPhase() throws -> (eventsPerSecond: Double, micros: Double) {
        let file = FileStream(path: scratch + "/stream.log")
        let peer = Logger(label: "payments") { StreamLogHandler(label: $0, stream: file) }
        let peerCPU = processCPUSeconds()
        let peerSeconds = timeProducers(events: events, producers: producers) { peer.info("payment captured", metadata: metadata($0)) }
        let peerMicros = (processCPUSeconds() - peerCPU) * 1e6 / Double(events)
        file.close()
        print("StreamLogHandler -> file: \(format2(peerSeconds)) s  \(Int(Double(events) / peerSeconds)) events/s  \(format2(peerMicros)) µs CPU/event  \(fileSize(scratch + "/stream.log")) bytes")
        return (Double(events) / peerSeconds, peerMicros)
    }

    /// Through a `Logger` backed by `AuditLogHandler`, from the first `log` call until the last
    /// record is durable.
    @discardableResult
    func sinkPhase(_ durability: StoreWriter.Durability, key: SigningKey) throws -> (eventsPerSecond: Double, micros: Double) {
        try? removeTree("\(scratch)/store-\(durability.rawValue)")
        var configuration = AuditSink.Configuration()
        configuration.store.durability = durability
        if let level { configuration.store.compressionLevel = level }
        configuration.maxQueuedEvents = 65_536
        configuration.logOverflow = .wait(seconds: 60)
        let sink = try AuditSink(path: "\(scratch)/store-\(durability.rawValue)", key: key, configuration: configuration)
        let logger = Logger(label: "payments") { AuditLogHandler(label: $0, sink: sink) }
        let start = monotonicSeconds()
        let startCPU = processCPUSeconds()
        let submitSeconds = timeProducers(events: events, producers: producers) { logger.info("payment captured", metadata: metadata($0)) }
        let lastSeq = sink.writer.nextSeq - 1
        while sink.writer.durableSeq < lastSeq || sink.pendingQueue > 0 {
            _ = sink.writer.waitForDurable(beyond: sink.writer.durableSeq, timeout: 0.05)
        }
        let durableSeconds = monotonicSeconds() - start
        let micros = (processCPUSeconds() - startCPU) * 1e6 / Double(events)
        let recordBytes = sink.writer.appendedBytes
        sink.shutdownBlocking()
        let stored = Int(sink.writer.durableSeq)
        print("  records: \(recordBytes / UInt64(max(1, stored))) bytes each uncompressed")
        print("AuditLogHandler (\(durability.rawValue)): submitted in \(format2(submitSeconds)) s, all durable in \(format2(durableSeconds)) s  \(Int(Double(events) / durableSeconds)) events/s durable  \(format2(micros)) µs CPU/event  (\(stored) records, \(directoryBytes("\(scratch)/store-\(durability.rawValue)/segments")) bytes)")
        try? removeTree("\(scratch)/store-\(durability.rawValue)")
        return (Double(events) / durableSeconds, micros)
    }

    /// Offers `rate` events/s from one thread for `seconds` and measures, per event, the time from
    /// its `log` call to the moment a waiter on the writer sees it durable.
    func latency(key: SigningKey) throws {
        var configuration = AuditSink.Configuration()
        configuration.maxQueuedEvents = 1 << 20
        configuration.store.checkpointInterval = checkpointInterval
        if let level { configuration.store.compressionLevel = level }
        configuration.store.groupCommitWindow = groupCommitWindow
        let sink = try AuditSink(path: scratch + "/store-latency", key: key, configuration: configuration)
        let logger = Logger(label: "payments") { AuditLogHandler(label: $0, sink: sink) }
        let total = Int(Double(rate) * seconds)
        let firstSeq = sink.writer.nextSeq
        let submitted = Samples(count: total)
        let acked = Samples(count: total)
        let done = DispatchSemaphore(value: 0)
        let submittedCount = Atomic<Int>(0)
        // The acknowledger: a waiter on durability, like a caller of record(durable: true).
        Thread.detach {
            var next = 0
            while next < total {
                let durable = sink.writer.waitForDurable(beyond: firstSeq + UInt64(next) - 1, timeout: 0.1)
                let now = monotonicSeconds()
                let limit = min(Int(durable + 1 - firstSeq), submittedCount.load(ordering: .acquiring))
                while next < limit {
                    acked.values[next] = now
                    next += 1
                }
            }
            done.signal()
        }
        // Every half millisecond, log the events that are due, then sleep: the producer does not
        // spin a core away from the drain and flush threads. Latency counts from each log call.
        let start = monotonicSeconds()
        var i = 0
        while i < total {
            let due = min(total, Int((monotonicSeconds() - start) * Double(rate)) + 1)
            while i < due {
                submitted.values[i] = monotonicSeconds()
                logger.info("payment captured", metadata: metadata(i))
                submittedCount.store(i + 1, ordering: .releasing)
                i += 1
            }
            usleep(500)
        }
        done.wait()
        sink.shutdownBlocking()
        precondition(sink.pendingDropped == 0, "events were dropped: the seq mapping would be wrong")
        var latencies = (0..<total).map { (acked.values[$0] - submitted.values[$0]) * 1000 }
        latencies.sort()
        func p(_ q: Double) -> String { format2(latencies[min(latencies.count - 1, Int(q * Double(latencies.count)))]) }
        print("durable-ack latency at \(rate) events/s offered for \(format2(seconds)) s (\(total) events, group commit): p50 \(p(0.5)) ms  p90 \(p(0.9)) ms  p99 \(p(0.99)) ms  p99.9 \(p(0.999)) ms  max \(format2(latencies.last ?? 0)) ms")
    }
}

private func metadata(_ n: Int) -> Logger.Metadata {
    [
        "request_id": "req_\(n)",
        "transaction_id": "txn_\(n / 4)",
        "customer_code": "CUS_\(n % 9973)",
        "amount": "\(Double(n % 100_000) / 100)",
        "currency": "NGN",
        "institution": "paystack",
        "ip": "10.0.\(n % 255).\(n % 7)",
    ]
}

/// Runs `body(i)` for `events` values of `i` split over `producers` threads; returns the wall time.
private func timeProducers(events: Int, producers: Int, _ body: @escaping @Sendable (Int) -> Void) -> Double {
    let group = DispatchGroup()
    let start = monotonicSeconds()
    for p in 0..<producers {
        group.enter()
        Thread.detach {
            var i = p
            while i < events {
                body(i)
                i += producers
            }
            group.leave()
        }
    }
    group.wait()
    return monotonicSeconds() - start
}

/// User plus system CPU time of the whole process so far: over a phase, the CPU an event costs on
/// all threads (the producers, the drain and the flusher), which on a machine of `n` cores caps the
/// rate at `n` / that cost whatever the scheduling.
private func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// A plain thread (not the Swift concurrency pool, not a shared Dispatch queue).
enum Thread {
    static func detach(_ body: @escaping @Sendable () -> Void) {
        DispatchQueue(label: "auditq.bench.thread").async(execute: body)
    }
}

/// Timestamps in a preallocated buffer. `@unchecked Sendable`: each buffer is written by one thread
/// and read only after that thread signalled it is done.
final class Samples: @unchecked Sendable {
    let values: UnsafeMutableBufferPointer<Double>
    init(count: Int) { values = .allocate(capacity: count) }
    deinit { values.deallocate() }
}

/// A file as a swift-log output stream, flushed per line like `StreamLogHandler`'s stdout.
final class FileStream: TextOutputStream, @unchecked Sendable {
    private let file: UnsafeMutablePointer<FILE>
    private let lock = Mutex(())

    init(path: String) {
        file = fopen(path, "w")!
    }

    func write(_ string: String) {
        lock.withLock { _ in
            var s = string
            s.withUTF8 { _ = fwrite($0.baseAddress, 1, $0.count, file) }
            fflush(file)
        }
    }

    func close() {
        fclose(file)
    }
}
