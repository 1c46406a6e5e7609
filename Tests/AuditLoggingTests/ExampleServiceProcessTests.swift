import AuditTestSupport
import AuditModel
import AuditStore
import AuditVerify
import Foundation
import Testing
@testable import AuditLogging

/// Runs the built `example-service` (next to this test bundle) as a real producer process and stops it
/// the hard way and the polite way.
@Suite("example-service process", .serialized)
struct ExampleServiceProcessTests {
    static var binary: String {
        let bundle = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: bundle).deletingLastPathComponent().appendingPathComponent("example-service").path
    }

    /// A running producer whose stdout is read line by line.
    final class Producer {
        let process = Process()
        let output = Pipe()
        private var buffer = Data()
        private(set) var lines: [String] = []

        init(store: String, key: String, extra: [String]) throws {
            process.executableURL = URL(fileURLWithPath: ExampleServiceProcessTests.binary)
            process.arguments = ["--store", store, "--key", key, "--progress", "--console-level", "critical"] + extra
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        /// Reads lines until `done` holds for the latest one or `timeout` seconds pass.
        func read(until done: (String) -> Bool, timeout: Double) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { return false }
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: 0x0A) {
                    let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                    buffer.removeSubrange(buffer.startIndex...newline)
                    lines.append(line)
                    if done(line) { return true }
                }
            }
            return false
        }

        func readToEnd() {
            _ = read(until: { _ in false }, timeout: 30)
        }

        var highestDurableSeq: UInt64 {
            lines.compactMap { $0.hasPrefix("durable_seq=") ? UInt64($0.dropFirst(12)) : nil }.max() ?? 0
        }

        func value(_ name: String) -> Int? {
            lines.last { $0.hasPrefix(name + "=") }.flatMap { Int($0.dropFirst(name.count + 1).prefix { $0.isNumber }) }
        }
    }

    static func durableAtLeast(_ n: UInt64) -> (String) -> Bool {
        { line in line.hasPrefix("durable_seq=") && (UInt64(line.dropFirst(12)) ?? 0) >= n }
    }

    @Test("kill -9: every record acknowledged as durable is in the store after recovery, chain intact")
    func killNine() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary), "build example-service first (swift build)")
        let dir = TemporaryDirectory()
        let store = dir.child("store"), key = dir.child("key.pem")
        let producer = try Producer(store: store, key: key, extra: ["--requests", "1000000", "--concurrency", "8"])
        #expect(producer.read(until: Self.durableAtLeast(500), timeout: 20))
        kill(producer.process.processIdentifier, SIGKILL)
        producer.readToEnd()
        producer.process.waitUntilExit()
        #expect(producer.process.terminationReason == .uncaughtSignal)
        let acknowledged = producer.highestDurableSeq
        #expect(acknowledged >= 500)

        // Recover the way the next producer would: open and close the store.
        let sink = try AuditSink(path: store, keyPath: key)
        try await sink.shutdown()
        let seqs = try Fixtures.events(store).map(\.seq)
        #expect(seqs == Array(1...UInt64(seqs.count)))
        #expect(UInt64(seqs.count) >= acknowledged)
        let report = Verifier(path: store, trustedKeys: [try SigningKey(contentsOfFile: key).publicKey]).run()
        #expect(report.isIntact)
    }

    @Test(
        "a full disk never freed: the service's audit calls fail, and the store holds exactly the records acknowledged",
        .enabled(if: PrivateMount.isAvailable, "needs unshare(1) and a private mount namespace to mount a small tmpfs")
    )
    func fullDisk() async throws {
        let run = try SmallDisk()
        try run.run("""
            "$SERVICE" --store "$MNT/s" --key "$KEY" --progress --console-level critical --requests 6000 --concurrency 8 --store-reopen-interval 0 > "$OUT/service.out" 2> "$OUT/service.err"
            echo $? > "$OUT/service.rc"
            """)
        let output = run.file("service.out").split(separator: "\n").map(String.init)
        #expect(run.file("service.rc") != "0", "the service did not notice the full disk")
        #expect(output.contains { $0.hasPrefix("store_failed=") && $0.contains("No space left on device") }, "\(output.suffix(3))")
        // The last line the service printed is the writer's final durable sequence number.
        let acknowledged = try #require(output.last { $0.hasPrefix("durable_seq=") }.flatMap { UInt64($0.dropFirst(12)) })
        #expect(acknowledged > 100, "the disk filled before much was stored: \(acknowledged)")

        // Recover the way the next producer would. The writer cut its file back at the failure, so
        // recovery keeps exactly the acknowledged records: none lost, none that a caller was told failed.
        let store = run.store
        let writer = try StoreWriter(path: store, key: try SigningKey(contentsOfFile: run.key))
        let recovery = try #require(writer.recovery, "no recovery after the failure")
        #expect(recovery.recoveredThroughSeq == acknowledged)
        try writer.close()
        let report = Verifier(path: store, trustedKeys: [try SigningKey(contentsOfFile: run.key).publicKey]).run()
        #expect(report.isIntact, "\(report.findings)")
        #expect(report.lastSeq == acknowledged + 1, "the records, then the recovery record")
    }

    @Test(
        "a full disk freed while the service runs: the sink reopens the store by itself, and every acknowledged record is in it",
        .enabled(if: PrivateMount.isAvailable, "needs unshare(1) and a private mount namespace to mount a small tmpfs")
    )
    func fullDiskFreed() async throws {
        let run = try SmallDisk()
        // The tmpfs fills after about 3,000 records; a second later space is freed (remounted larger)
        // while the service goes on serving; once the sink has reopened the store, SIGTERM.
        try run.run("""
            "$SERVICE" --store "$MNT/s" --key "$KEY" --console-level critical --requests 1000000 --concurrency 8 --delay-ms 2 --store-reopen-interval 0.2 > "$OUT/service.out" 2> "$OUT/service.err" &
            pid=$!
            i=0
            while [ $i -lt 600 ] && [ "$(df -k "$MNT" | awk 'NR == 2 { print $4 }')" != 0 ]; do sleep 0.05; i=$((i + 1)); done
            echo "full after $i polls" > "$OUT/filled"
            sleep 1
            mount -o remount,size=64m "$MNT" || exit 91
            i=0
            while [ $i -lt 600 ] && ! grep -q "the store is writable again" "$OUT/service.err"; do sleep 0.05; i=$((i + 1)); done
            sleep 0.5
            kill -TERM $pid
            wait $pid
            echo $? > "$OUT/service.rc"
            """)
        let file = run.file
        #expect(file("service.rc") == "0", "the service: \(file("service.err").suffix(1000))")
        #expect(file("service.err").contains("the store is writable again"), "the sink did not say it reopened the store: \(file("service.err").suffix(1000))")
        let lines = file("service.out").split(separator: "\n").map(String.init)
        let acknowledged = try #require(lines.last { $0.hasPrefix("acknowledged=") }.flatMap { Int($0.dropFirst(13)) }, "\(lines.suffix(3))")
        let failedCalls = lines.last { $0.hasPrefix("audit_records=") } ?? ""
        #expect(!failedCalls.hasSuffix("failed_calls=0"), "no audit call failed while the disk was full: \(failedCalls); \(file("filled"))")

        // Every record the sink acknowledged is in the store, and nothing it was told failed.
        let store = run.store
        let events = try Fixtures.events(store)
        let actions = events.map { $0.event["action"]?.stringValue ?? "" }
        #expect(actions.contains("auditq.store.recovered"), "the store was not recovered by a reopened writer")
        #expect(actions.contains("auditq.events.dropped"), "the log events dropped while the store had failed are not noted in the chain")
        #expect(try Fixtures.producerEvents(store).count == acknowledged, "\(acknowledged) acknowledged")
        #expect(events.map(\.seq) == Array(1...UInt64(events.count)))
        let report = Verifier(path: store, trustedKeys: [try SigningKey(contentsOfFile: run.key).publicKey]).run()
        #expect(report.isIntact, "\(report.findings)")
        #expect(report.sealedSegments == report.segmentsChecked, "the service closed cleanly: every segment sealed")
    }

    @Test("SIGTERM: every accepted event is stored, the segment sealed, acknowledged=N printed")
    func sigterm() async throws {
        let dir = TemporaryDirectory()
        let store = dir.child("store"), key = dir.child("key.pem")
        let producer = try Producer(store: store, key: key, extra: ["--requests", "1000000", "--concurrency", "4", "--delay-ms", "1"])
        #expect(producer.read(until: Self.durableAtLeast(200), timeout: 20))
        kill(producer.process.processIdentifier, SIGTERM)
        producer.readToEnd()
        producer.process.waitUntilExit()
        #expect(producer.process.terminationReason == .exit)
        #expect(producer.process.terminationStatus == 0)
        let acknowledged = try #require(producer.value("acknowledged"))
        #expect(acknowledged >= 200)

        let stored = try Fixtures.producerEvents(store)
        #expect(stored.count == acknowledged)
        let report = Verifier(path: store, trustedKeys: [try SigningKey(contentsOfFile: key).publicKey]).run()
        #expect(report.isIntact)
        #expect(report.sealedSegments == report.segmentsChecked)
        let head = try #require(try StoreReader(path: store).headDocument())
        #expect(String(decoding: head, as: UTF8.self).contains("\"clean_shutdown\":true"))
    }

    /// `example-service` on a 96 KiB tmpfs (it fills after about 3,000 records) in a private mount
    /// namespace: ``run(_:)`` mounts it, runs the commands (with `SERVICE`, `KEY`, `MNT` and `OUT` set),
    /// then copies the store to ``store``, on a disk with room.
    struct SmallDisk {
        let dir = TemporaryDirectory()
        var key: String { dir.child("key.pem") }
        var out: String { dir.child("out") }
        var store: String { out + "/store" }

        init() throws {
            try FileManager.default.createDirectory(atPath: dir.child("disk"), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            _ = try SigningKey.generate(writingTo: key)
        }

        func run(_ commands: String) throws {
            let script = "mount -t tmpfs -o size=96k tmpfs \"$MNT\" || exit 90\n" + commands + "\ncp -a \"$MNT/s\" \"$OUT/store\" || exit 92\n"
            let result = try PrivateMount.run(script, environment: ["SERVICE": ExampleServiceProcessTests.binary, "KEY": key, "MNT": dir.child("disk"), "OUT": out])
            try #require(result.status == 0, "the namespace script failed: exit \(result.status): \(result.output)")
        }

        /// A file the commands wrote under `OUT`, trimmed.
        func file(_ name: String) -> String {
            ((try? String(contentsOfFile: out + "/" + name, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

}
