import ArgumentParser
import AuditCompression
import AuditCrypto
import AuditModel
import AuditRedaction
import AuditStore
import AuditVerify
import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// Mutation-based fuzzing of every reader of untrusted bytes: segment files (gzip members, header,
/// records, the verifier's fast digest path), manifests, checkpoints, the JSON parser and canonical
/// encoder, the tape and redaction fast paths (checked against the parser and the tree walk), and
/// the whole verifier on mutated stores. A crash or a trap ends the process (that is the
/// finding); an input that takes longer than `--hang-seconds` aborts with its seed and iteration.
struct FuzzBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuzz",
        abstract: "Feed mutated store files to every reader; report inputs/s and that nothing crashed or hung."
    )

    @Option(help: "Number of mutated inputs.")
    var iterations: Int = 1_000_000

    @Option(help: "Seed (runs replay exactly).")
    var seed: UInt64 = 1

    @Option(help: "Run the full verifier on a mutated store every N inputs.")
    var verifyEvery: Int = 2000

    @Option(help: "Abort if one input takes longer than this.")
    var hangSeconds: Double = 10

    @Option(help: "Scratch directory.")
    var scratch: String = "/tmp/auditq-fuzz"

    func run() throws {
        _ = system("rm -rf '\(scratch)'")
        mkdir(scratch, 0o755)
        defer { _ = system("rm -rf '\(scratch)'") }
        let corpus = try Corpus.make(in: scratch)
        var rng = SplitMix(seed: seed)
        let watchdog = Watchdog(limit: hangSeconds)
        let started = monotonicSeconds()
        var verified = 0
        for iteration in 0..<iterations {
            watchdog.begin(iteration: iteration, seed: seed)
            let kind = Int(rng.next() % 7)
            switch kind {
            case 0:
                let bytes = mutate(corpus.segments[Int(rng.next() % UInt64(corpus.segments.count))], &rng, donors: corpus.segments)
                readSegment(bytes)
            case 1:
                let bytes = mutate(corpus.manifests[Int(rng.next() % UInt64(corpus.manifests.count))], &rng, donors: corpus.manifests)
                _ = try? SegmentManifest(bytes: bytes)
            case 2:
                _ = try? Checkpoint(bytes: mutate(corpus.checkpoint, &rng, donors: [corpus.checkpoint]))
            case 3:
                let bytes = mutate(corpus.lines[Int(rng.next() % UInt64(corpus.lines.count))], &rng, donors: corpus.lines)
                readRecordLine(bytes)
            case 4:
                let bytes = mutate(corpus.lines[Int(rng.next() % UInt64(corpus.lines.count))], &rng, donors: corpus.lines)
                _ = try? SegmentHeader(line: bytes)
                _ = try? StoreDescriptor(json: bytes, path: "fuzz")
            case 5:
                let bytes = mutate(corpus.segments[Int(rng.next() % UInt64(corpus.segments.count))], &rng, donors: corpus.segments)
                _ = try? Gzip.inflateAll(bytes, maxOutput: 1 << 22)
                checkInflatePaths(bytes)
            default:
                // Producer events (what `auditq redact` and `auditq ingest` read), not records.
                let bytes = mutate(Self.events[Int(rng.next() % UInt64(Self.events.count))], &rng, donors: Self.events)
                checkFastPaths(bytes, parsed: try? Record.parser.parse(bytes))
            }
            if verifyEvery > 0, iteration % verifyEvery == verifyEvery - 1 {
                try verifyMutatedStore(corpus, &rng)
                verified += 1
            }
            if iteration % 100_000 == 99_999 {
                print("\(iteration + 1) inputs, \(Int(Double(iteration + 1) / (monotonicSeconds() - started))) inputs/s")
            }
        }
        watchdog.stop()
        let seconds = monotonicSeconds() - started
        print("fuzz: \(iterations) mutated inputs (seed \(seed)), \(verified) full verifications of mutated stores, \(Int(Double(iterations) / seconds)) inputs/s, \(Int(seconds)) s: no crash, no hang")
        print("fast paths checked against the parser and the tree walk: JSONTape took \(Self.tapeTaken) record lines, the redaction fast path \(Self.fastPathTaken); no disagreement")
        print("gzip members decoded by both inflate paths (zlib's stream, libdeflate's whole member): \(Self.wholeMembersChecked) complete ones; no disagreement")
    }

    /// Every member of a mutated segment decoded by zlib's stream and by the whole-member path
    /// (libdeflate, told where the member ends, as verify and lookups are) must give the same member or
    /// the same error; a disagreement is a finding, like a crash.
    private func checkInflatePaths(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let streamed = Result { try bytes.withUnsafeBytes { try Gzip.inflateMember($0, at: offset, maxOutput: 1 << 22) } }
            let end = (try? streamed.get()).map { $0.isComplete ? $0.compressedRange.upperBound : bytes.count } ?? bytes.count
            let located = Result { try bytes.withUnsafeBytes { try Gzip.inflateMember($0, at: offset, expectedEnd: end, maxOutput: 1 << 22) } }
            switch (streamed, located) {
            case (.success(let a), .success(let b)) where a == b: break
            case (.failure(let a as CompressionError), .failure(let b as CompressionError)) where a.code == b.code && a.offset == b.offset: break
            default: fatalError("the two inflate paths disagree at offset \(offset) of \(Hex.encode(bytes)): \(streamed) against \(located)")
            }
            guard case .success(let member) = streamed, member.isComplete else { return }
            Self.wholeMembersChecked += 1
            offset = member.compressedRange.upperBound
        }
    }

    private func readSegment(_ bytes: [UInt8]) {
        var scanner = SegmentScanner(bytes: bytes)
        let header = try? scanner.readHeader()
        while let block = scanner.nextBlock() {
            for line in block.lines {
                readRecordLine(Array(line), firstSeq: header?.firstSeq ?? 1, leaf: header?.saltTree.leafKey(0))
            }
        }
    }

    private func readRecordLine(_ bytes: [UInt8], firstSeq: UInt64 = 1, leaf: SHA256Digest? = nil) {
        let key = leaf ?? SHA256.hash("fuzz")
        _ = bytes.withUnsafeBytes { Record.fastDigest(line: $0, firstSeq: firstSeq, leafKey: { _ in key }) }
        let value = try? Record.parser.parse(bytes)
        checkFastPaths(bytes, parsed: value)
        guard let value else { return }
        _ = CanonicalJSON.encode(value)
        if case .object(let object) = value, let record = try? Record(stored: object) {
            _ = try? record.digest(leafKey: key)
            _ = try? record.digest(leafKey: nil)
        }
    }

    /// The tape and the redaction fast path must agree with the parser and the tree walk wherever
    /// they take a line; a disagreement is a finding, like a crash.
    private func checkFastPaths(_ bytes: [UInt8], parsed: JSONValue?) {
        let limits = Record.parser.limits
        let tape = bytes.withUnsafeBufferPointer { JSONTape($0, maxDepth: limits.maxDepth, maxBytes: limits.maxBytes)?.canonicalBytes() }
        if tape != nil { Self.tapeTaken += 1 }
        if let tape, tape != parsed.map({ CanonicalJSON.encode($0) }) {
            fatalError("JSONTape disagrees with the parser on \(Hex.encode(bytes))")
        }
        let filter = Self.filter
        guard let fast = bytes.withUnsafeBytes({ filter.canonicalIfUnchanged($0) }) else { return }
        guard case .object(var object) = parsed, filter.redactor.redact(&object).isEmpty, fast == CanonicalJSON.encode(.object(object)) else {
            fatalError("the redaction fast path disagrees with the tree walk on \(Hex.encode(bytes))")
        }
        Self.fastPathTaken += 1
    }

    /// Events in the shape of the shared workload, with and without secrets.
    static let events: [[UInt8]] = [
        #"{"ts":"2026-11-20T10:00:00.001055Z","level":"warn","source":"identity-svc","action":"auth.login","outcome":"success","actor":{"type":"api_key","id":"api_ScdpxZpcfRHyxJ"},"request_id":"req_ALENZ54pCRipuMoWnG3juGmD","customer_code":"CUS_7RS172VAQO","message":"Dashboard login","http":{"method":"POST","path":"/v1/auth/login","status":201,"duration_ms":207.0},"metadata":{"amount":2692337,"currency":"NGN","ip":"154.53.115.232"}}"#,
        #"{"ts":"2026-11-20T10:00:00.039077Z","level":"error","action":"payment.authorize","error":{"code":"timeout","message":"Upstream institution timed out"},"headers":[{"name":"Authorization","value":"Bearer abcdefghijklmnop0123456789"}],"list":["X-Api-Key","k3y-abcdefghijklmnop"],"authorization":{"status":"approved","code":"A1B2C3"}}"#,
        #"{"m":"password reset email sent","card":"4111 1111 1111 1111","n":4111111111111111,"url":"https://user:pa55w0rd@host/x?token=abc123def456ghi789","deep":[[{"k":"v"}]],"sk_live_4eC39HqLyjWDarjtT1zdp7dc":true}"#,
    ].map { Array($0.utf8) }

    /// Lines each fast path took (the run is single-threaded).
    nonisolated(unsafe) private static var tapeTaken = 0
    nonisolated(unsafe) private static var wholeMembersChecked = 0
    nonisolated(unsafe) private static var fastPathTaken = 0

    private static let filter = RedactionFilter(redactor: Redactor(), parser: Record.parser)

    private func verifyMutatedStore(_ corpus: Corpus, _ rng: inout SplitMix) throws {
        let store = scratch + "/mutated"
        _ = system("rm -rf '\(store)' && cp -r '\(corpus.store)' '\(store)'")
        let files = ["segments/segment-00000001.jsonl.gz", "segments/segment-00000002.manifest.json", "head.json", "segments/segment-00000003.jsonl.gz", "store.json"]
        let target = store + "/" + files[Int(rng.next() % UInt64(files.count))]
        let bytes = try FileSystem.readFile(target)
        try FileSystem.writeAtomically(mutate(bytes, &rng, donors: [bytes]), to: target)
        _ = Verifier(path: store, trustedKeys: [corpus.key.publicKey]).run()
    }

    /// One to four random edits: bit flips, interesting bytes, insertions, deletions, duplication,
    /// truncation, and splices from another sample.
    private func mutate(_ input: [UInt8], _ rng: inout SplitMix, donors: [[UInt8]]) -> [UInt8] {
        var bytes = input
        let edits = 1 + Int(rng.next() % 4)
        let interesting: [UInt8] = [0, 1, 0x7F, 0x80, 0xFF, UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "["), UInt8(ascii: ","), 0x0A, 0x1F, 0x8B]
        for _ in 0..<edits {
            let position = bytes.isEmpty ? 0 : Int(rng.next() % UInt64(bytes.count))
            switch rng.next() % 8 {
            case 0 where !bytes.isEmpty: bytes[position] ^= UInt8(1) << (rng.next() % 8)
            case 1 where !bytes.isEmpty: bytes[position] = interesting[Int(rng.next() % UInt64(interesting.count))]
            case 2: bytes.insert(contentsOf: (0..<(1 + rng.next() % 16)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: position)
            case 3 where !bytes.isEmpty: bytes.removeSubrange(position..<min(bytes.count, position + 1 + Int(rng.next() % 64)))
            case 4 where !bytes.isEmpty:
                let end = min(bytes.count, position + 1 + Int(rng.next() % 64))
                bytes.insert(contentsOf: bytes[position..<end], at: position)
            case 5: bytes = Array(bytes.prefix(position))
            case 6:
                let donor = donors[Int(rng.next() % UInt64(donors.count))]
                if !donor.isEmpty {
                    let from = Int(rng.next() % UInt64(donor.count))
                    bytes.replaceSubrange(position..<min(bytes.count, position + 32), with: donor[from..<min(donor.count, from + 32)])
                }
            default:
                if !bytes.isEmpty { bytes[position] = UInt8(truncatingIfNeeded: rng.next()) }
            }
        }
        return bytes
    }
}

extension FuzzBench {
    /// Valid samples of every file kind, from a small store written for the run.
    struct Corpus {
        var store: String
        var key: SigningKey
        var segments: [[UInt8]] = []
        var manifests: [[UInt8]] = []
        var checkpoint: [UInt8] = []
        var lines: [[UInt8]] = []

        static func make(in scratch: String) throws -> Corpus {
            let key = try SigningKey.generate(writingTo: scratch + "/fuzz.key")
            var configuration = StoreWriter.Configuration()
            configuration.segmentMaxEvents = 12
            configuration.blockBytes = 2048
            let store = scratch + "/store"
            let writer = try StoreWriter(path: store, key: key, configuration: configuration)
            let ingestor = EventIngestor()
            for n in 0..<30 {
                let line = #"{"ts":"2026-11-20T14:03:0\#(n % 10).5+01:00","action":"payment.capture","request_id":"req_\#(n)","customer_code":"CUS_\#(n % 4)","actor":{"type":"customer","id":"usr_\#(n)"},"message":"fuzz seed \#(n) \u00e9","http":{"status":\#(200 + n),"duration_ms":\#(n).25},"metadata":{"ip":"10.0.0.\#(n)","email":"u\#(n)@example.com","nested":[1,{"a":[null,true]}],"password":"hunter\#(n)"}}"#
                _ = try Array(line.utf8).withUnsafeBytes { try ingestor.ingest($0, into: writer) }
            }
            try writer.close()
            var corpus = Corpus(store: store, key: key)
            let layout = StoreLayout(root: store)
            for n in UInt64(1)...3 {
                let segment = try FileSystem.readFile(layout.segment(n))
                corpus.segments.append(segment)
                corpus.manifests.append(try FileSystem.readFile(layout.manifest(n)))
                corpus.lines += SegmentScannerLines.lines(segment)
            }
            corpus.checkpoint = try FileSystem.readFile(layout.head)
            return corpus
        }
    }

    enum SegmentScannerLines {
        static func lines(_ segment: [UInt8]) -> [[UInt8]] {
            var scanner = SegmentScanner(bytes: segment)
            var out: [[UInt8]] = []
            if let header = try? scanner.readHeader() { out.append(Array(header.line.dropLast())) }
            while let block = scanner.nextBlock() { out += block.lines.map { Array($0) } }
            return out
        }
    }

    struct SplitMix {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Aborts the process when one input runs longer than the limit, naming it.
    final class Watchdog: @unchecked Sendable {
        // `current` and `stopped` are only touched under `lock`.
        private let lock = DispatchSemaphore(value: 1)
        private var current: (iteration: Int, seed: UInt64, started: Double)?
        private var stopped = false

        init(limit: Double) {
            DispatchQueue(label: "auditq.fuzz.watchdog").async { [self] in
                while true {
                    usleep(200_000)
                    lock.wait()
                    let snapshot = current
                    let done = stopped
                    lock.signal()
                    if done { return }
                    if let snapshot, monotonicSeconds() - snapshot.started > limit {
                        print("fuzz: HANG at iteration \(snapshot.iteration) (seed \(snapshot.seed)): one input ran longer than \(limit) s")
                        abort()
                    }
                }
            }
        }

        func begin(iteration: Int, seed: UInt64) {
            lock.wait()
            current = (iteration, seed, monotonicSeconds())
            lock.signal()
        }

        func stop() {
            lock.wait()
            stopped = true
            lock.signal()
        }
    }
}
