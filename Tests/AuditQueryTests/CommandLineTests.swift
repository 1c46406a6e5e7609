import AuditModel
import AuditTestSupport
import Foundation
import Testing
@testable import AuditQuery
@testable import AuditStore

/// `auditq find`, `show` and `index rebuild` as a person runs them: the built binary next to the tests.
@Suite("auditq find, show, index on the command line")
struct CommandLineTests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func auditq(_ arguments: String...) throws -> Run {
        try auditq(arguments)
    }

    /// The `auditq` binary built next to the test bundle.
    static func binary() throws -> URL {
        var candidates = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.insert(URL(fileURLWithPath: exe).deletingLastPathComponent(), at: 0)
        }
        guard let binary = candidates.map({ $0.appendingPathComponent("auditq") }).first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw RecordError("the auditq executable is not next to the test bundle; run `swift build` first")
        }
        return binary
    }

    static func auditq(_ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = try binary()
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test("results, formats and exit statuses")
    func results() throws {
        let dir = TemporaryDirectory()
        let (path, writer) = try Fixtures.store(dir, sealed: 500, open: 20)
        defer { try? writer.close() }
        let records = try Fixtures.allRecords(path)
        let txn = records.first { $0.event["outcome"] == "failure" && $0.event["transaction_id"] != nil }!.event["transaction_id"]!.stringValue!
        let expected = Fixtures.bruteForce(records, FindQuery(keys: [.init(.transactionID, txn)]))

        // Not a terminal: JSON Lines, the records as stored.
        let jsonl = try Self.auditq("find", "--store", path, "--transaction", txn)
        #expect(jsonl.status == 0, "\(jsonl.stderr)")
        let seqs = jsonl.stdout.split(separator: "\n").map { line -> UInt64 in
            guard case .object(let o)? = try? JSONParser().parse(String(line)) else { return 0 }
            return UInt64(o["seq"]?.integerValue ?? 0)
        }
        #expect(seqs == expected)

        let table = try Self.auditq("find", "--store", path, "--transaction", txn, "--format", "table")
        #expect(table.stdout.hasPrefix("SEQ") && table.stdout.contains("✗ failure") && table.stdout.contains("request_ids of the failures"))
        #expect(table.stdout.contains("HTTP 402  card_declined: Issuer declined the card"))

        let json = try Self.auditq("find", "--store", path, "--customer", "CUS_0", "--limit", "3", "--format", "json")
        guard case .object(let document)? = try? JSONParser().parse(json.stdout) else { Issue.record("\(json.stdout)"); return }
        #expect(document["format"] == "auditq-find-result" && document["count"] == 3 && document["truncated"] == true)
        #expect(json.stderr.contains("showing the newest 3 matches"))
        #expect(try SchemaValidation.validate(json.stdout, schema: "find-result") == nil)

        // Without a limit: every match, each record as stored, and the whole document canonical.
        let all = try Self.auditq("find", "--store", path, "--transaction", txn, "--format", "json")
        #expect(all.status == 0, "\(all.stderr)")
        guard case .object(let whole)? = try? JSONParser().parse(all.stdout) else { Issue.record("\(all.stdout)"); return }
        #expect(whole["count"]?.integerValue == Int64(expected.count) && whole["truncated"] == false)
        #expect(whole["records"]?.arrayValue?.compactMap { $0.objectValue?["seq"]?.integerValue }.map(UInt64.init) == expected)
        #expect(all.stdout == CanonicalJSON.string(.object(whole)) + "\n")
        #expect(all.stdout.contains("[" + jsonl.stdout.split(separator: "\n").joined(separator: ",") + "]"))
        #expect(try SchemaValidation.validate(all.stdout, schema: "find-result") == nil)
        let nothing = try Self.auditq("find", "--store", path, "--request", "req_nope", "--format", "json")
        #expect(nothing.status == 1 && nothing.stdout.contains(#""count":0"#) && nothing.stdout.contains(#""records":[]"#))

        let none = try Self.auditq("find", "--store", path, "--request", "req_nope")
        #expect(none.status == 1 && none.stdout.isEmpty)

        let show = try Self.auditq("show", "--store", path, "--seq", "510")
        #expect(show.status == 0 && show.stdout.contains(#""request_id":"req_510""#))
        let pretty = try Self.auditq("show", "--store", path, "--seq", "7", "--format", "pretty")
        #expect(pretty.stdout.contains("\n  \"event\": {\n"))
        #expect(try Self.auditq("show", "--store", path, "--seq", "9999").status == 1)

        try FileSystem.remove(StoreLayout(root: path).index(1))
        let scanned = try Self.auditq("find", "--store", path, "--transaction", txn)
        #expect(scanned.status == 0 && scanned.stderr.contains("index not used") && scanned.stderr.contains("auditq index rebuild"))
        let rebuild = try Self.auditq("index", "rebuild", "--store", path)
        #expect(rebuild.status == 0 && rebuild.stdout.contains("segment 1: index rebuilt"), "\(rebuild.stderr)")
        #expect(try Self.auditq("find", "--store", path, "--transaction", txn).stderr.isEmpty)
    }

    @Test("bad dates, unknown flags and missing keys are usage errors that say what to do")
    func usageErrors() throws {
        let dir = TemporaryDirectory()
        let (path, writer) = try Fixtures.store(dir, sealed: 10, open: 0)
        try writer.close()
        for (arguments, says) in [
            (["--customer", "C", "--since", "2026-13-01"], "month 13 is out of range"),
            (["--customer", "C", "--since", "yesterday"], "--since 'yesterday'"),
            (["--customer", "C", "--until", "2026-11-20T14:03:00"], "followed by Z"),
            (["--customer", "C", "--since", "2026-11-20T14:03:00.1234567891Z"], "more than 9 fraction digits"),
            (["--customer", "C", "--since", "2026-11-21", "--until", "2026-11-20"], "must be later than --since"),
            (["--customer", "C", "--colour"], "Unknown option '--colour'"),
            ([], "give a key"),
            (["--customer", "C", "--limit", "-1"], "--limit"),
            (["--customer", "C", "--format", "xml"], "xml"),
        ] {
            let run = try Self.auditq(["find", "--store", path] + arguments)
            #expect(run.status == 64, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains(says), "\(arguments): \(run.stderr)")
        }
        for good in ["2026-11-20", "2026-11-20T14:03:07Z", "2026-11-20T14:03:07.123456789+01:00", "2026-11-20t14:03:07,5z"] {
            #expect(try Self.auditq("find", "--store", path, "--customer", "CUS_0", "--since", good).status != 64, "\(good)")
        }
        let notAStore = try Self.auditq("find", "--store", dir.child("nothing"), "--customer", "C")
        #expect(notAStore.status == 2 && notAStore.stderr.contains("not an auditq store"))
        #expect(try Self.auditq("show", "--store", path).status == 64)
        #expect(try Self.auditq("index", "rebuild", "--store", path, "--segment", "42").status == 2)
    }
}

@Suite("auditq find while auditq ingest is writing")
struct LiveFindTests {
    @Test("events written a moment ago by another process are found, before and after the seal")
    func findsWhileWriting() throws {
        let dir = TemporaryDirectory()
        let store = dir.child("store")
        let key = dir.child("writer.key")
        #expect(try CommandLineTests.auditq("keys", "generate", "--out", key).status == 0)
        let ingest = Process()
        ingest.executableURL = try CommandLineTests.binary()
        ingest.arguments = ["ingest", "--store", store, "--key", key, "--print-acks"]
        let input = Pipe()
        let acks = Pipe()
        ingest.standardInput = input
        ingest.standardOutput = acks
        ingest.standardError = FileHandle.nullDevice
        try ingest.run()
        var lines = ""
        for n in 1...30 {
            lines += #"{"ts":"2026-11-20T14:03:\#(String(format: "%02d", n)).000Z","action":"payment.capture","outcome":"success","transaction_id":"txn_live","request_id":"req_live_\#(n)","customer_code":"CUS_LIVE"}"# + "\n"
        }
        input.fileHandleForWriting.write(Data(lines.utf8))
        // Wait until the writer says every record is durable.
        var seen = ""
        while !seen.contains("durable 30") {
            let chunk = acks.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        #expect(seen.contains("durable 30"))
        let live = try CommandLineTests.auditq("find", "--store", store, "--transaction", "txn_live", "--limit", "0")
        #expect(live.status == 0 && live.stdout.split(separator: "\n").count == 30, "\(live.stderr)")
        #expect(try CommandLineTests.auditq("find", "--store", store, "--request", "req_live_29").stdout.contains("req_live_29"))
        try input.fileHandleForWriting.close()
        ingest.waitUntilExit()
        #expect(ingest.terminationStatus == 0)
        let sealed = try CommandLineTests.auditq("find", "--store", store, "--customer", "CUS_LIVE", "--limit", "0", "--stats")
        #expect(sealed.stdout.split(separator: "\n").count == 30 && sealed.stderr.contains("0 scanned"), "\(sealed.stderr)")
    }
}
