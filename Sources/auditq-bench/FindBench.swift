import ArgumentParser
import AuditModel
import AuditQuery
import AuditStore

#if canImport(Glibc)
import Glibc
#endif

/// Whole-process latency of `auditq find` per key type next to, in the same run, `zgrep -F` over the
/// same events gzipped and an indexed SQLite lookup (Python's sqlite3, timed in-process); index bytes
/// against compressed segment bytes. See docs/performance.md § Lookups.
struct FindBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "find",
        abstract: "auditq find latency (median, p95) per key type vs zgrep -F and indexed SQLite; index size vs segment size."
    )

    @Option(help: "JSON Lines input (shared/bench/gen_events.py output).")
    var input: String

    @Option(help: "Scratch directory: the store, the gzip and SQLite peers (kept for reruns; delete it afterwards).")
    var scratch: String = "/tmp/auditq-find-bench"

    @Option(help: "The auditq binary to time (a release build).")
    var auditq: String = ".build/release/auditq"

    @Option(help: "Keys per key type.")
    var keys: Int = 20

    @Option(help: "Timed runs per key (auditq); the median and p95 are over all runs of a key type.")
    var runs: Int = 5

    @Option(help: "Keys per key type for zgrep (one full decompression each).")
    var zgrepKeys: Int = 2

    @Flag(help: "Skip the SQLite peer (its load takes minutes per million events).")
    var noSqlite = false

    func run() throws {
        mkdir(scratch, 0o755)
        let store = scratch + "/store"
        let picks = try ingestAndPick(store: store)
        let segmentsDir = store + "/segments"
        var segmentBytes = 0, indexBytes = 0, manifestBytes = 0
        for name in (try? FileSystem.contents(of: segmentsDir)) ?? [] {
            let size = fileSize(segmentsDir + "/" + name)
            if name.hasSuffix(".jsonl.gz") { segmentBytes += size }
            if name.hasSuffix(".index") { indexBytes += size }
            if name.hasSuffix(".manifest.json") { manifestBytes += size }
        }
        print("store: \(picks.events) events, segments \(segmentBytes) B (\(format2(Double(segmentBytes) / Double(picks.events))) B/event), indexes \(indexBytes) B (\(format2(Double(indexBytes) / Double(picks.events))) B/event) = \(format2(100 * Double(indexBytes) / Double(segmentBytes)))% of segment bytes, manifests \(manifestBytes) B")

        // Startup: an empty store.
        let empty = scratch + "/empty"
        if !FileSystem.exists(empty + "/store.json") {
            let writer = try StoreWriter(path: empty, key: try key(), configuration: StoreWriter.Configuration())
            try writer.close()
        }
        let startup = (0..<20).map { _ in spawnTime([auditq, "find", "--store", empty, "--request", "req_none"]) }
        print("auditq find on an empty store (process start to exit): median \(ms(percentile(startup, 50))) ms, p95 \(ms(percentile(startup, 95))) ms")

        print("\nauditq find --store S --KEY K (default --limit 100), \(runs) runs per key, whole process, output to /dev/null:")
        print("  key type                     keys  median ms  p95 ms   matches (min–max)")
        for (name, option, list) in picks.groups {
            var samples: [Double] = []
            var counts: [Int] = []
            for key in list {
                counts.append(countLines([auditq, "find", "--store", store, option, key, "--limit", "0"]))
                for _ in 0..<runs { samples.append(spawnTime([auditq, "find", "--store", store, option, key])) }
            }
            print("  \(pad(name, 28)) \(pad(String(list.count), 5)) \(pad(ms(percentile(samples, 50)), 10)) \(pad(ms(percentile(samples, 95)), 8)) \(counts.min() ?? 0)–\(counts.max() ?? 0)")
        }
        print("\nauditq find --limit 0 (every match), customers:")
        for (name, option, list) in picks.groups where option == "--customer" {
            var samples: [Double] = []
            for key in list {
                for _ in 0..<max(1, runs / 5) { samples.append(spawnTime([auditq, "find", "--store", store, option, key, "--limit", "0"])) }
            }
            print("  \(pad(name, 28)) median \(ms(percentile(samples, 50))) ms  p95 \(ms(percentile(samples, 95))) ms")
        }

        // zgrep -F over the same events, gzipped (-6).
        let gz = scratch + "/events.jsonl.gz"
        if !FileSystem.exists(gz) {
            let t = try timeShell("gzip -6 -c '\(input)' > '\(gz).tmp' && mv '\(gz).tmp' '\(gz)'")
            print("\ngzip -6 of the input: \(format2(t)) s, \(fileSize(gz)) bytes")
        }
        print("\nzgrep -F K events.jsonl.gz | cat > /dev/null (\(zgrepKeys) keys per type, one run each):")
        for (name, _, list) in picks.groups where !name.hasPrefix("customer (rare") {
            let samples = try list.prefix(zgrepKeys).map { key in try timeShell("zgrep -F '\(key)' '\(gz)' | cat > /dev/null") }
            print("  \(pad(name, 28)) median \(ms(percentile(samples, 50))) ms  max \(ms(samples.max() ?? 0)) ms")
        }

        if !noSqlite { try sqlite(picks) }
    }

    // MARK: - Store and keys

    struct Picks {
        var events = 0
        var groups: [(name: String, option: String, keys: [String])] = []
    }

    func key() throws -> SigningKey {
        let path = scratch + "/bench.key"
        if FileSystem.exists(path) { return try SigningKey(contentsOfFile: path) }
        return try SigningKey.generate(writingTo: path)
    }

    /// Ingests the input (unless the store exists) and picks keys spread over it: transactions, requests
    /// and correlations at evenly spaced events; the top customer, the next nine, and ten seen once or twice.
    func ingestAndPick(store: String) throws -> Picks {
        let fresh = !FileSystem.exists(store + "/store.json")
        var writer: StoreWriter?
        if fresh {
            var configuration = StoreWriter.Configuration()
            configuration.durability = .osBuffered
            writer = try StoreWriter(path: store, key: try key(), configuration: configuration)
        }
        let ingestor = EventIngestor()
        var customers: [String: Int] = [:]
        var positions: [(txn: String, req: String, corr: String)] = []
        var lineNumber = 0
        let started = monotonicSeconds()
        guard let file = fopen(input, "rb") else { throw ValidationError("cannot read \(input)") }
        defer { fclose(file) }
        var buffer = [UInt8](repeating: 0, count: 1 << 22)
        var carry: [UInt8] = []
        var last: UInt64 = 0
        func value(_ name: String, in line: UnsafeRawBufferPointer) -> String? {
            let needle = Array("\"\(name)\":\"".utf8)
            guard let at = firstIndex(needle, line) else { return nil }
            var end = at + needle.count
            while end < line.count, line[end] != UInt8(ascii: "\"") { end += 1 }
            return String(decoding: UnsafeRawBufferPointer(rebasing: line[(at + needle.count)..<end]), as: UTF8.self)
        }
        func handle(_ line: UnsafeRawBufferPointer) throws {
            lineNumber += 1
            if let c = value("customer_code", in: line) { customers[c, default: 0] += 1 }
            if lineNumber % 997 == 500, let t = value("transaction_id", in: line), let r = value("request_id", in: line), let k = value("correlation_id", in: line) {
                positions.append((t, r, k))
            }
            if let writer, case .success(let seq) = try ingestor.ingest(line, into: writer) { last = seq }
        }
        while true {
            let n = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if n <= 0 { break }
            var start = 0
            try buffer.withUnsafeBytes { raw in
                for i in 0..<n where raw[i] == 0x0A {
                    if carry.isEmpty {
                        try handle(UnsafeRawBufferPointer(rebasing: raw[start..<i]))
                    } else {
                        carry.append(contentsOf: raw[start..<i])
                        try carry.withUnsafeBytes { try handle($0) }
                        carry = []
                    }
                    start = i + 1
                }
            }
            carry.append(contentsOf: buffer[start..<n])
        }
        if let writer {
            try writer.waitUntilDurable(last)
            try writer.close()
            let seconds = monotonicSeconds() - started
            print("ingest (buffered, key extraction included): \(lineNumber) events in \(format2(seconds)) s, \(Int(Double(lineNumber) / seconds)) events/s")
        }
        var picks = Picks()
        picks.events = lineNumber
        let spread = stride(from: 0, to: positions.count, by: max(1, positions.count / keys)).prefix(keys).map { positions[$0] }
        let ranked = customers.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        let rare = ranked.filter { $0.value <= 2 }
        picks.groups = [
            ("transaction_id", "--transaction", spread.map(\.txn)),
            ("request_id", "--request", spread.map(\.req)),
            ("correlation_id", "--correlation", spread.map(\.corr)),
            ("customer (top: \(ranked.first?.value ?? 0) events)", "--customer", Array(ranked.prefix(1).map(\.key))),
            ("customer (popular, ranks 2–10)", "--customer", Array(ranked.dropFirst().prefix(9).map(\.key))),
            ("customer (rare, 1–2 events)", "--customer", stride(from: 0, to: rare.count, by: max(1, rare.count / (keys / 2))).prefix(keys / 2).map { rare[$0].key }),
        ]
        try picksJSON(picks).write(to: scratch + "/keys.json")
        return picks
    }

    func picksJSON(_ picks: Picks) -> String {
        var object = JSONObject()
        for (name, option, keys) in picks.groups {
            let column = option == "--transaction" ? "transaction_id" : option == "--request" ? "request_id" : option == "--customer" ? "customer_code" : "correlation_id"
            object[name] = ["column": .string(column), "keys": .array(keys.map(JSONValue.string))]
        }
        return String(decoding: CanonicalJSON.encode(.object(object)), as: UTF8.self)
    }

    // MARK: - SQLite peer

    /// Loads the same events into SQLite (WAL, NORMAL, batches of 1000, B-tree indexes on the three key
    /// columns created before the load) unless the database exists, then times each lookup in-process:
    /// a first pass and a warm pass, the warm one reported.
    func sqlite(_ picks: Picks) throws {
        let script = scratch + "/sqlite_peer.py"
        try Self.sqliteScript.write(to: script)
        print("\nSQLite (python3 sqlite3, in-process execute().fetchall(), warm pass):")
        _ = try timeShell("python3 '\(script)' '\(input)' '\(scratch)/events.db' '\(scratch)/keys.json'")
    }

    static let sqliteScript = #"""
        import json, os, sqlite3, sys, time
        src, db, keyfile = sys.argv[1], sys.argv[2], sys.argv[3]
        fresh = not os.path.exists(db)
        con = sqlite3.connect(db)
        con.execute("PRAGMA journal_mode=WAL"); con.execute("PRAGMA synchronous=NORMAL")
        if fresh:
            t = time.time()
            con.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, ts TEXT, transaction_id TEXT, customer_code TEXT, request_id TEXT, doc TEXT)")
            for c in ("transaction_id", "customer_code", "request_id"):
                con.execute(f"CREATE INDEX idx_{c} ON events({c})")
            batch = []
            with open(src) as f:
                for line in f:
                    e = json.loads(line)
                    batch.append((e["ts"], e.get("transaction_id"), e.get("customer_code"), e.get("request_id"), line))
                    if len(batch) == 1000:
                        with con: con.executemany("INSERT INTO events (ts, transaction_id, customer_code, request_id, doc) VALUES (?,?,?,?,?)", batch)
                        batch = []
            if batch:
                with con: con.executemany("INSERT INTO events (ts, transaction_id, customer_code, request_id, doc) VALUES (?,?,?,?,?)", batch)
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            print(f"  load: {time.time() - t:.1f} s")
        size = os.path.getsize(db) + (os.path.getsize(db + "-wal") if os.path.exists(db + "-wal") else 0)
        print(f"  database: {size} bytes")
        groups = json.load(open(keyfile))
        for name, g in groups.items():
            if g["column"] == "correlation_id":
                print(f"  {name:<30} (no index on correlation_id in the peer)")
                continue
            times = []
            for p in range(2):
                for k in g["keys"]:
                    t = time.perf_counter()
                    rows = con.execute(f"SELECT doc FROM events WHERE {g['column']} = ? ORDER BY id", (k,)).fetchall()
                    if p == 1: times.append((time.perf_counter() - t) * 1000)
            times.sort()
            med = times[len(times) // 2]
            p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
            print(f"  {name:<30} median {med:.3f} ms  p95 {p95:.3f} ms")
        """#

    // MARK: - Timing

    /// Wall time from spawn to exit of a process whose output goes to /dev/null.
    func spawnTime(_ argv: [String]) -> Double {
        let t = monotonicSeconds()
        _ = spawn(argv, capture: false)
        return monotonicSeconds() - t
    }

    func countLines(_ argv: [String]) -> Int {
        spawn(argv, capture: true)
    }

    /// Runs a process (stdout to /dev/null, or counted) and returns the number of output lines.
    func spawn(_ argv: [String], capture: Bool) -> Int {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var fds: [Int32] = [0, 0]
        if capture {
            _ = pipe(&fds)
            posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
            posix_spawn_file_actions_addclose(&actions, fds[0])
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, argv[0], &actions, nil, &cArgs, environ) == 0 else { return -1 }
        var lines = 0
        if capture {
            close(fds[1])
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
                if n <= 0 { break }
                lines += buffer[0..<n].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            }
            close(fds[0])
        }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return lines
    }

    func percentile(_ xs: [Double], _ p: Double) -> Double {
        guard !xs.isEmpty else { return 0 }
        let sorted = xs.sorted()
        return sorted[min(sorted.count - 1, Int((p / 100 * Double(sorted.count - 1)).rounded()))]
    }

    func ms(_ seconds: Double) -> String { format2(seconds * 1000) }
}

private func firstIndex(_ needle: [UInt8], _ haystack: UnsafeRawBufferPointer) -> Int? {
    guard haystack.count >= needle.count else { return nil }
    var i = 0
    while i <= haystack.count - needle.count {
        if haystack[i] == needle[0] {
            var k = 1
            while k < needle.count, haystack[i + k] == needle[k] { k += 1 }
            if k == needle.count { return i }
        }
        i += 1
    }
    return nil
}

extension String {
    func write(to path: String) throws {
        guard let f = fopen(path, "wb") else { throw ValidationError("cannot write \(path)") }
        defer { fclose(f) }
        var copy = self
        _ = copy.withUTF8 { fwrite($0.baseAddress, 1, $0.count, f) }
    }
}
