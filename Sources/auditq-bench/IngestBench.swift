import ArgumentParser
import AuditCompression
import AuditCrypto
import AuditModel
import AuditRedaction
import AuditStore

#if canImport(Glibc)
import Glibc
#endif

/// Ingest throughput per durability mode against `gzip -6` of the same JSON Lines, in one run,
/// plus the cost of each stage of the append path on one core.
struct IngestBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Ingest throughput (events/s, MB/s) per durability mode next to gzip -6; store bytes vs gzip bytes."
    )

    @Option(help: "JSON Lines input (shared/bench/gen_events.py output).")
    var input: String

    @Option(help: "Scratch directory for the stores (deleted afterwards).")
    var scratch: String = "/tmp/auditq-bench"

    @Option(help: "Repetitions per measurement; the median is reported.")
    var runs: Int = 3

    @Option(help: "Compression level for auditq (1-9; default: auditq ingest's, 5).")
    var level: Int = 5

    @Flag(help: "Skip the per-stage breakdown.")
    var noStages = false

    @Flag(help: "Only the per-stage breakdown (for profiling).")
    var stagesOnly = false

    func run() throws {
        let data = try readFile(input)
        let lines = splitLines(data)
        let mb = Double(data.count) / 1e6
        print("input: \(input), \(lines.count) events, \(String(format2(mb))) MB")
        if stagesOnly { return try stages(lines: lines, megabytes: mb) }
        try? removeTree(scratch)
        mkdir(scratch, 0o755)
        defer { try? removeTree(scratch) }

        // The peer, in the same run.
        var gzipTimes: [Double] = []
        var gzipBytes = 0
        for _ in 0..<runs {
            let t = try timeShell("gzip -6 -c '\(input)' > '\(scratch)/peer.gz'")
            gzipTimes.append(t)
            gzipBytes = fileSize("\(scratch)/peer.gz")
        }
        let gzipSeconds = median(gzipTimes)
        print("gzip -6:            \(format2(gzipSeconds)) s  \(Int(Double(lines.count) / gzipSeconds)) events/s  \(format2(mb / gzipSeconds)) MB/s  \(gzipBytes) bytes")

        // auditq itself, as a whole process (`auditq ingest < FILE`), like the gzip peer.
        let auditq = siblingExecutable("auditq")
        let keyPath = scratch + "/bench.key"
        _ = try SigningKey.generate(writingTo: keyPath)
        for durability in [StoreWriter.Durability.groupCommit, .osBuffered, .fsyncEachEvent] {
            let count = durability == .fsyncEachEvent ? min(lines.count, 20_000) : lines.count
            var source = input
            if count < lines.count {
                source = scratch + "/first.jsonl"
                _ = system("head -n \(count) '\(input)' > '\(source)'")
            }
            var times: [Double] = []
            var storeBytes = 0
            var indexBytes = 0
            for run in 0..<runs {
                let store = "\(scratch)/store-\(durability.rawValue)-\(run)"
                times.append(try timeShell("'\(auditq)' ingest --store '\(store)' --key '\(keyPath)' --durability \(durability.rawValue) --compression-level \(level) < '\(source)' 2>/dev/null"))
                storeBytes = directoryBytes(store + "/segments")
                indexBytes = directoryBytes(store + "/segments", suffix: ".index")
                try removeTree(store)
            }
            let seconds = median(times)
            let rate = Double(count) / seconds
            let ratioNote = count == lines.count
                ? "  \(storeBytes) bytes = \(format2(Double(storeBytes) / Double(gzipBytes)))× gzip -6 bytes (without the lookup indexes: \(storeBytes - indexBytes) = \(format2(Double(storeBytes - indexBytes) / Double(gzipBytes)))×)"
                : "  (first \(count) events)"
            print("auditq \(pad(durability.rawValue, 9)):   \(format2(seconds)) s  \(Int(rate)) events/s  = \(format2(rate / (Double(lines.count) / gzipSeconds)))× gzip -6 speed\(ratioNote)")
        }
        if !noStages { try stages(lines: lines, megabytes: mb) }
    }

    /// Time of each stage of the append path over all events, single-threaded.
    private func stages(lines: [[UInt8]], megabytes: Double) throws {
        print("stages (one core, cumulative):")
        // What ingest's reading thread does with each line (the tape, the redaction checks, validation,
        // the canonical bytes; the tree path for lines outside it): best of three passes.
        let ingestor = EventIngestor()
        let names = ingestor.redactor.makeCheckCache()
        var best = Double.infinity
        for _ in 0..<3 {
            let start = monotonicSeconds()
            var kept = 0
            for line in lines {
                if case .success = line.withUnsafeBytes({ ingestor.prepareForAppend($0, remembering: names) }) { kept += 1 }
            }
            best = min(best, monotonicSeconds() - start)
            precondition(kept == lines.count, "the workload has lines ingest rejects")
        }
        report("prepare (ingest)", best, lines.count, megabytes)
        let parser = JSONParser(limits: .init(maxDepth: 32, maxBytes: 256 << 10))
        let redactor = Redactor()
        var objects: [JSONObject] = []
        objects.reserveCapacity(lines.count)
        var t = monotonicSeconds()
        for line in lines {
            if case .object(let o)? = try? line.withUnsafeBytes({ try parser.parse($0) }) { objects.append(o) }
        }
        report("parse", monotonicSeconds() - t, lines.count, megabytes)
        t = monotonicSeconds()
        var reports: [RedactionReport] = []
        reports.reserveCapacity(objects.count)
        for i in objects.indices { reports.append(redactor.redact(&objects[i])) }
        report("redact", monotonicSeconds() - t, lines.count, megabytes)
        t = monotonicSeconds()
        var events: [AuditEvent] = []
        events.reserveCapacity(objects.count)
        for o in objects { if let e = try? AuditEvent(validating: o) { events.append(e) } }
        report("validate", monotonicSeconds() - t, lines.count, megabytes)
        let pd = StoreDescriptor.defaultPersonalDataPaths.sorted().map { ($0, $0.split(separator: ".").map(String.init)) }
        let marks = CanonicalJSON.PathMarks(pd.map(\.1))
        var deriver = SaltTree.SequentialDeriver(rootKey: SHA256.hash("bench"))
        var encoded: [[UInt8]] = []
        encoded.reserveCapacity(events.count)
        t = monotonicSeconds()
        var head = SHA256Digest.zero
        var merkle = MerkleTree.Builder()
        var bytes = 0
        for (i, e) in events.enumerated() {
            let (line, digest) = Record.encodeNew(seq: UInt64(i + 1), event: e.fields, personalData: pd, marks: marks, redaction: reports[i].isEmpty ? nil : reports[i].jsonValue, leafKey: deriver.leafKey(i))
            head = Chain.next(previous: head, recordDigest: digest)
            merkle.append(recordDigest: digest)
            bytes &+= line.count
        }
        report("seal+chain+encode", monotonicSeconds() - t, lines.count, megabytes)
        // The lines again, untimed, for the compression stage (keeping them above would time page faults).
        var again = SaltTree.SequentialDeriver(rootKey: SHA256.hash("bench"))
        for (i, e) in events.enumerated() {
            encoded.append(Record.encodeNew(seq: UInt64(i + 1), event: e.fields, personalData: pd, marks: marks, redaction: nil, leafKey: again.leafKey(i)).line)
        }

        t = monotonicSeconds()
        let deflater = try GzipDeflater(level: Int32(level))
        var out: [UInt8] = []
        var pending = 0
        for line in encoded {
            try deflater.write(line, into: &out)
            pending += line.count
            if pending >= 64 << 10 {
                try deflater.sync(into: &out)
                pending = 0
            }
            if deflater.uncompressedBytesInMember >= 256 << 10 { try deflater.finish(into: &out) }
            if out.count > 1 << 20 { out.removeAll(keepingCapacity: true) }
        }
        try deflater.finish(into: &out)
        report("compress, streamed (zlib)", monotonicSeconds() - t, lines.count, megabytes)

        // What the flusher does with a block whose records are all in one batch (ingest, where it
        // falls behind): the block's lines gathered and compressed in one call.
        t = monotonicSeconds()
        var block: [UInt8] = []
        out.removeAll(keepingCapacity: true)
        for line in encoded {
            block += line
            if block.count >= 256 << 10 {
                try block.withUnsafeBytes { try deflater.writeWholeMember($0, into: &out) }
                block.removeAll(keepingCapacity: true)
            }
            if out.count > 1 << 20 { out.removeAll(keepingCapacity: true) }
        }
        try block.withUnsafeBytes { try deflater.writeWholeMember($0, into: &out) }
        report("compress, whole blocks (libdeflate)", monotonicSeconds() - t, lines.count, megabytes)
        _ = head
    }

    private func report(_ stage: String, _ seconds: Double, _ count: Int, _ megabytes: Double) {
        print("  \(pad(stage, 20)) \(format2(seconds)) s  \(format2(Double(count) / seconds / 1000))k events/s  \(format2(megabytes / seconds)) MB/s  \(format2(seconds / Double(count) * 1e6)) µs/event")
    }
}

func format2(_ x: Double) -> String {
    let scaled = (x * 100).rounded() / 100
    var s = String(scaled)
    if let dot = s.firstIndex(of: ".") {
        let decimals = s.distance(from: dot, to: s.endIndex) - 1
        if decimals < 2 { s += String(repeating: "0", count: 2 - decimals) }
    }
    return s
}

func median(_ xs: [Double]) -> Double {
    let sorted = xs.sorted()
    return sorted[sorted.count / 2]
}

func readFile(_ path: String) throws -> [UInt8] {
    guard let f = fopen(path, "rb") else { throw ValidationError("cannot read \(path)") }
    defer { fclose(f) }
    fseek(f, 0, SEEK_END)
    let size = ftell(f)
    fseek(f, 0, SEEK_SET)
    var bytes = [UInt8](repeating: 0, count: size)
    _ = bytes.withUnsafeMutableBytes { fread($0.baseAddress, 1, size, f) }
    return bytes
}

func splitLines(_ data: [UInt8]) -> [[UInt8]] {
    var lines: [[UInt8]] = []
    var start = 0
    for i in data.indices where data[i] == 0x0A {
        if i > start { lines.append(Array(data[start..<i])) }
        start = i + 1
    }
    if start < data.count { lines.append(Array(data[start...])) }
    return lines
}

func timeShell(_ command: String) throws -> Double {
    let t = monotonicSeconds()
    guard system(command) == 0 else { throw ValidationError("command failed: \(command)") }
    return monotonicSeconds() - t
}

func fileSize(_ path: String) -> Int {
    var st = stat()
    return stat(path, &st) == 0 ? Int(st.st_size) : 0
}

func directoryBytes(_ path: String, suffix: String = "") -> Int {
    guard let d = opendir(path) else { return 0 }
    defer { closedir(d) }
    var total = 0
    while let e = readdir(d) {
        let name = withUnsafePointer(to: e.pointee.d_name) { $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) } }
        if name != "." && name != "..", name.hasSuffix(suffix) { total += fileSize(path + "/" + name) }
    }
    return total
}

func removeTree(_ path: String) throws {
    _ = system("rm -rf '\(path)'")
}

func pad(_ s: String, _ width: Int) -> String {
    s + String(repeating: " ", count: max(0, width - s.count))
}

/// An executable built beside this one (`swift build` puts all products in one directory).
func siblingExecutable(_ name: String) -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    let me = n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
    return String(me[..<(me.lastIndex(of: "/") ?? me.startIndex)]) + "/" + name
}
