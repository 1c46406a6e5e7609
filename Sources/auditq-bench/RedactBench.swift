import ArgumentParser
import AuditModel
import AuditRedaction

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Redaction throughput next to a plain parse-and-serialise of the same events, so that the
/// redactor's own cost is visible (docs/performance.md, "Redaction").
struct RedactBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redact",
        abstract: "MB/s per core of parse+serialise and of parse+redact+serialise over a JSON Lines file."
    )

    @Option(help: "JSON Lines events, e.g. from shared/bench/gen_events.py.")
    var input: String

    @Option(help: "Timed passes over the file per mode; the best is reported.")
    var runs: Int = 3

    @Option(help: "Rules file merged onto the defaults.")
    var rules: String?

    @Option(help: "Time only the modes whose name contains this text (for profiling one path).")
    var only: String?

    func run() throws {
        let lines = try Self.loadLines(input)
        let totalBytes = lines.reduce(0) { $0 + $1.count + 1 }
        let redactor = Redactor(rules: try rules.map { try RedactionRules(contentsOfFile: $0) } ?? .default)
        let parser = JSONParser()
        print("input: \(lines.count) events, \(totalBytes) bytes (\(totalBytes / max(lines.count, 1)) B/event); single thread, thread CPU time, best of \(runs)")

        var fired: [String: Int] = [:]
        var eventsRedacted = 0
        for line in lines {
            guard case .object(var object) = try parser.parse(line) else { continue }
            let report = redactor.redact(&object)
            if !report.isEmpty { eventsRedacted += 1 }
            for (rule, count) in report.counts { fired[rule, default: 0] += count }
        }
        print("events with redactions: \(eventsRedacted) (\(String(format1: 100 * Double(eventsRedacted) / Double(max(lines.count, 1))))%)")
        print("rules fired: " + fired.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))

        // Each mode turns one line into its output bytes; all four give the same bytes for an
        // event with nothing to redact.
        let filter = RedactionFilter(redactor: redactor, parser: parser)
        var gate = RedactionFilter.FastPathGate()
        func tree(_ line: [UInt8], redacting: Bool, into out: inout [UInt8]) {
            guard case .object(var object) = try? parser.parse(line) else { return }
            if redacting { _ = redactor.redact(&object) }
            CanonicalJSON.encode(object, into: &out)
        }
        let modes: [(String, ([UInt8], inout [UInt8]) -> Void)] = [
            ("parse+serialise (tree)", { line, out in tree(line, redacting: false, into: &out) }),
            ("parse+redact+serialise (tree)", { line, out in tree(line, redacting: true, into: &out) }),
            ("parse+serialise (tape, tree when outside it)", { line, out in
                let done = line.withUnsafeBufferPointer { bytes in
                    JSONTape(bytes, maxDepth: 64, maxBytes: 16 << 20)?.encodeCanonical(into: &out) ?? false
                }
                if !done { tree(line, redacting: false, into: &out) }
            }),
            ("parse+redact+serialise (auditq redact: RedactionFilter)", { line, out in
                out.append(contentsOf: filter.process(line, lineNumber: 1, gate: &gate).line)
            }),
        ]
        let fast = lines.reduce(0) { count, line in
            count + (line.withUnsafeBytes { filter.canonicalIfUnchanged($0) } == nil ? 0 : 1)
        }
        print("lines on the fast path (tape, nothing to redact): \(fast) of \(lines.count) (\(String(format1: 100 * Double(fast) / Double(max(lines.count, 1))))%)")
        var results: [Double] = []
        for (name, body) in modes where only.map(name.contains) ?? true {
            var best = Double.infinity
            for _ in 0..<max(runs, 1) {
                var out: [UInt8] = []
                out.reserveCapacity(1 << 16)
                var sink = 0
                let start = Self.now()
                for line in lines {
                    body(line, &out)
                    sink &+= out.count
                    out.removeAll(keepingCapacity: true)
                }
                let seconds = Self.now() - start
                if sink == 42 { print("") }
                best = min(best, seconds)
            }
            let mbps = Double(totalBytes) / best / 1e6
            results.append(mbps)
            print("\(name): \(String(format1: mbps)) MB/s per core, \(String(format1: Double(lines.count) / best / 1e3))k events/s, \(String(format1: best * 1e9 / Double(max(lines.count, 1)))) ns/event")
        }
        // Redaction alone, over events parsed beforehand (the first 50,000, to bound memory).
        let parsed: [JSONObject] = try lines.prefix(50_000).compactMap {
            if case .object(let object) = try parser.parse($0) { return object } else { return nil }
        }
        var bestRedact = Double.infinity
        for _ in 0..<max(runs, 1) {
            var copies = parsed
            var fired = 0
            let start = Self.now()
            for i in copies.indices { fired &+= redactor.redact(&copies[i]).counts.count }
            bestRedact = min(bestRedact, Self.now() - start)
            if fired == -1 { print("") }
        }
        print("redact only: \(String(format1: bestRedact * 1e9 / Double(max(parsed.count, 1)))) ns/event over \(parsed.count) parsed events")
        if results.count == 4 {
            let perEventBase = 1 / results[0]
            let perEventRedact = 1 / results[1]
            print("redaction's own share of the tree path: \(String(format1: 100 * (perEventRedact - perEventBase) / perEventRedact))%")
            print("redaction's own share of auditq redact's path: \(String(format1: 100 * (1 / results[3] - 1 / results[2]) * results[3]))%")
        }
    }

    /// This thread's CPU time: "per core" throughput that other processes on a shared machine
    /// do not distort (they still pollute caches, so figures stay somewhat noisy).
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func loadLines(_ path: String) throws -> [[UInt8]] {
        guard let file = fopen(path, "rb") else { throw ValidationError("cannot open \(path)") }
        defer { fclose(file) }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if n <= 0 { break }
            data.append(contentsOf: chunk[0..<n])
        }
        return data.split(separator: UInt8(ascii: "\n")).map(Array.init)
    }
}

extension String {
    /// A number with one decimal, without Foundation.
    fileprivate init(format1 value: Double) {
        let tenths = (value * 10).rounded()
        let whole = Int(tenths / 10)
        let fraction = Int(abs(tenths).truncatingRemainder(dividingBy: 10))
        self = "\(whole).\(fraction)"
    }
}
