import AuditCrypto
import AuditModel
import AuditTestSupport
import Foundation
import Testing
@testable import AuditStore

@Suite("Store writer")
struct StoreWriterTests {
    @Test("records come back in order, intact, with ids, chained and sealed", arguments: StoreWriter.Durability.allCases)
    func roundTrip(durability: StoreWriter.Durability) throws {
        let dir = TemporaryDirectory()
        let store = dir.child("store")
        let writer = try StoreWriter(path: store, key: Fixtures.key(), configuration: Fixtures.configuration { $0.durability = durability })
        var last: UInt64 = 0
        for n in 1...200 { last = try writer.append(Fixtures.event(n)) }
        try writer.waitUntilDurable(last)
        #expect(writer.durableSeq == 200)
        try writer.close()

        let records = try Fixtures.records(store)
        #expect(records.map { $0["seq"]?.integerValue } == (1...200).map { Int64($0) })
        for (i, record) in records.enumerated() {
            let event = try #require(record["event"]?.objectValue)
            #expect(event["request_id"] == .string("req_\(i + 1)"))
            let id = try #require(event["id"]?.stringValue)
            #expect(id.hasSuffix(String(format: "-%012d", i + 1)))
            #expect(record["pd"] == ["actor.id", "customer_code", "metadata.email", "metadata.ip"])
        }
        let manifests = try FileManager.default.contentsOfDirectory(atPath: store + "/segments").filter { $0.hasSuffix(".manifest.json") }
        #expect(manifests.count == 1)
        let head = try Checkpoint(bytes: Array(FileManager.default.contents(atPath: store + "/head.json")!))
        #expect(head.seq == 200 && head.cleanShutdown && head.sealed)
        #expect(Fixtures.key().publicKey.isValidSignature(head.signature, for: head.signedBytes))
    }

    @Test("assigned ids: the store id's first 16 hex digits, a dash and the sequence number in at least 12 digits")
    func assignedIDs() throws {
        let dir = TemporaryDirectory()
        let writer = try StoreWriter(path: dir.child("store"), key: Fixtures.key(), configuration: Fixtures.configuration())
        defer { try? writer.close() }
        let prefix = try #require(writer.assignedID(1).description.split(separator: "-").first).description
        #expect(prefix.count == 16 && prefix.allSatisfy(\.isHexDigit))
        for (seq, digits) in [(1, "000000000001"), (9, "000000000009"), (10, "000000000010"), (123_456_789_012, "123456789012"),
                              (1_234_567_890_123, "1234567890123"), (UInt64.max, String(UInt64.max))] as [(UInt64, String)] {
            #expect(writer.assignedID(seq).description == prefix + "-" + digits)
        }
    }

    @Test("rotation by event count, size and age seals segments that chain together")
    func rotation() throws {
        let dir = TemporaryDirectory()
        for (name, change) in [
            ("events", { (c: inout StoreWriter.Configuration) in c.segmentMaxEvents = 10 }),
            ("bytes", { (c: inout StoreWriter.Configuration) in c.segmentMaxBytes = 4096; c.groupCommitWindow = 0 }),
        ] as [(String, (inout StoreWriter.Configuration) -> Void)] {
            let store = dir.child(name)
            let writer = try StoreWriter(path: store, key: Fixtures.key(), configuration: Fixtures.configuration(change))
            for n in 1...95 { try writer.appendDurably(Fixtures.event(n)) }
            try writer.close()
            let segments = try Fixtures.segmentFiles(store)
            #expect(segments.count > 1, "\(name)")
            if name == "events" { #expect(segments.count == 10) }
            var previous: SegmentManifest?
            for number in 1...UInt64(segments.count) {
                let layout = StoreLayout(root: store)
                let manifest = try SegmentManifest(bytes: FileSystem.readFile(layout.manifest(number)))
                if let previous {
                    #expect(manifest.firstSeq == previous.lastSeq + 1)
                    #expect(manifest.prevHash == previous.chainHead)
                    #expect(manifest.prevManifestSHA256 == SHA256.hash(try FileSystem.readFile(layout.manifest(number - 1))))
                }
                #expect(Fixtures.key().publicKey.isValidSignature(try FileSystem.readFile(layout.signature(number)), for: try FileSystem.readFile(layout.manifest(number))))
                previous = manifest
            }
            #expect(previous?.lastSeq == 95)
        }
        let store = dir.child("age")
        let writer = try StoreWriter(path: store, key: Fixtures.key(), configuration: Fixtures.configuration { $0.segmentMaxAge = 0.05 })
        try writer.appendDurably(Fixtures.event(1))
        Thread.sleep(forTimeInterval: 0.1)
        try writer.appendDurably(Fixtures.event(2))
        try writer.close()
        #expect(try Fixtures.segmentFiles(store).count == 2)
    }

    @Test("a second writer gets a clear error and the store is unharmed")
    func singleWriter() throws {
        let dir = TemporaryDirectory()
        let store = dir.child("store")
        let first = try StoreWriter(path: store, key: Fixtures.key(), configuration: Fixtures.configuration())
        try first.appendDurably(Fixtures.event(1))
        #expect(throws: AuditStoreError(.locked, "")) { try StoreWriter(path: store, key: Fixtures.key(), configuration: Fixtures.configuration()) }
        try first.appendDurably(Fixtures.event(2))
        try first.close()
        #expect(try Fixtures.records(store).count == 2)
        let again = try StoreWriter(path: store, key: Fixtures.key(), configuration: Fixtures.configuration())
        try again.close()
    }

    @Test("settings that would write what readers refuse, or make them hold too much, are configuration errors")
    func configurationLimits() throws {
        let dir = TemporaryDirectory()
        for change in [
            { (c: inout StoreWriter.Configuration) in c.blockBytes = SegmentScanner.maxBlockBytes },
            { (c: inout StoreWriter.Configuration) in c.maxRecordBytes = Record.maxRecordBytes + 1 },
            { (c: inout StoreWriter.Configuration) in c.maxRecordBytes = 0 },
            { (c: inout StoreWriter.Configuration) in c.segmentMaxBytes = StoreWriter.maxSegmentBytes + 1 },
        ] {
            #expect(throws: AuditStoreError(.configuration, "")) {
                try StoreWriter(path: dir.child("store"), key: Fixtures.key(), configuration: Fixtures.configuration(change))
            }
        }
    }

    @Test("a segment is sealed before its manifest's block table could outgrow what readers parse")
    func blocksPerSegment() throws {
        let dir = TemporaryDirectory()
        let store = dir.child("store")
        let writer = try StoreWriter(path: store, key: Fixtures.key(), configuration: Fixtures.configuration {
            $0.blockBytes = 1024
            $0.maxBlocksPerSegment = 4
        })
        for n in 1...40 { try writer.appendDurably(Fixtures.event(n)) }
        try writer.close()
        let reader = try StoreReader(path: store)
        let numbers = try reader.segmentNumbers()
        #expect(numbers.count > 1)
        for number in numbers {
            let manifest = try SegmentManifest(bytes: try FileSystem.readFile(StoreLayout(root: store).manifest(number)))
            #expect(manifest.blocks.count <= 5, "segment \(number): \(manifest.blocks.count) blocks")
        }
        #expect(try Fixtures.records(store).count == 40)
    }

    @Test("a record over maxRecordBytes is refused with .invalidEvent and takes no sequence number; the writer goes on")
    func oversizedRecord() throws {
        let dir = TemporaryDirectory()
        let store = dir.child("store")
        let writer = try StoreWriter(path: store, key: Fixtures.key(), configuration: Fixtures.configuration { $0.maxRecordBytes = 4096 })
        let big = try AuditEvent(validating: ["ts": "2026-11-20T10:00:00Z", "action": "a.b", "message": .string(String(repeating: "x", count: 5000))])
        #expect(throws: AuditStoreError(.invalidEvent, "")) { try writer.append(big) }
        let seq = try writer.appendDurably(Fixtures.event(1))
        try writer.close()
        #expect(seq == 1)
        #expect(try Fixtures.records(store).count == 1)
    }

    @Test("refuses a directory that is not a store, and a private key others can read")
    func refusals() throws {
        let dir = TemporaryDirectory()
        FileManager.default.createFile(atPath: dir.child("notes.txt"), contents: Data("x".utf8))
        #expect(throws: AuditStoreError(.notAStore, "")) { try StoreWriter(path: dir.path, key: Fixtures.key()) }
        let keyPath = dir.child("k.key")
        _ = try SigningKey.generate(writingTo: keyPath)
        #expect(try FileSystem.permissions(of: keyPath) == 0o600)
        #expect(throws: AuditStoreError(.key, "")) { try SigningKey.generate(writingTo: keyPath) }
        chmod(keyPath, 0o644)
        #expect(throws: AuditStoreError(.key, "")) { try SigningKey(contentsOfFile: keyPath) }
        chmod(keyPath, 0o600)
        #expect(throws: Never.self) { try SigningKey(contentsOfFile: keyPath) }
    }

    @Test("a written batch goes back to the next append, to be freed on the thread that allocated its lines")
    func spentBatchTakenByAppend() throws {
        let dir = TemporaryDirectory()
        // The flusher writes when 64 KiB are queued and otherwise sleeps for seconds (long window and
        // checkpoint interval), so the batch it gives back waits for an append. Appends stop as soon as
        // 64 KiB are in: one batch is written, and no later append can take it before the check (with a
        // fixed count, a second batch could be written and taken while the appends went on).
        let writer = try StoreWriter(path: dir.child("store"), key: Fixtures.key(), configuration: Fixtures.configuration {
            $0.groupCommitWindow = 30
            $0.checkpointInterval = 10
            $0.idleCheckpointInterval = 10
        })
        defer { try? writer.close() }
        var n = 0
        repeat {
            n += 1
            _ = try writer.append(Fixtures.event(n))
        } while writer.state.withLock({ $0.appendedBytes }) < 64 << 10
        let deadline = Date().addingTimeInterval(5)
        while writer.state.withLock({ $0.spent.isEmpty }), Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
        #expect(!writer.state.withLock { $0.spent.isEmpty }, "no written batch was given back")
        _ = try writer.append(Fixtures.event(n + 1))
        #expect(writer.state.withLock { $0.spent.isEmpty }, "the append did not take the batch")
    }

    @Test("an idle writer keeps no written batch: the flusher frees what no append took")
    func spentBatchFreedWhenIdle() throws {
        let dir = TemporaryDirectory()
        let writer = try StoreWriter(path: dir.child("store"), key: Fixtures.key(), configuration: Fixtures.configuration())
        defer { try? writer.close() }
        var last: UInt64 = 0
        for n in 1...50 { last = try writer.append(Fixtures.event(n)) }
        try writer.waitUntilDurable(last)
        let deadline = Date().addingTimeInterval(5)
        while !writer.state.withLock({ $0.spent.isEmpty }), Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
        #expect(writer.state.withLock { $0.spent.isEmpty }, "an idle writer still holds a written batch")
    }

    @Test("16 threads appending concurrently: every record once, in one valid chain")
    func concurrentAppenders() async throws {
        let dir = TemporaryDirectory()
        let store = dir.child("store")
        let writer = try StoreWriter(path: store, key: Fixtures.key(), configuration: Fixtures.configuration { $0.segmentMaxEvents = 700 })
        let seqs = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for t in 0..<16 {
                group.addTask {
                    try (0..<150).map { i in try writer.appendDurably(Fixtures.event(t * 1000 + i)) }
                }
            }
            return try await group.reduce(into: [UInt64]()) { $0 += $1 }
        }
        try writer.close()
        #expect(Set(seqs).count == 2400)
        let records = try Fixtures.records(store)
        #expect(records.map { $0["seq"]!.integerValue! } == (1...2400).map { Int64($0) })
        let requests = records.compactMap { $0["event"]?.objectValue?["request_id"]?.stringValue }
        #expect(Set(requests).count == 2400)
    }

    @Test("the generated files validate against their JSON Schemas")
    func artifactsMatchSchemas() throws {
        let dir = TemporaryDirectory()
        let store = dir.child("store")
        let writer = try StoreWriter(path: store, key: Fixtures.key(), configuration: Fixtures.configuration())
        for n in 1...5 { try writer.appendDurably(Fixtures.event(n)) }
        try writer.close()
        let layout = StoreLayout(root: store)
        #expect(try SchemaValidation.validate(FileSystem.readFile(layout.descriptor), schema: "store") == nil)
        #expect(try SchemaValidation.validate(FileSystem.readFile(layout.manifest(1)), schema: "manifest") == nil)
        #expect(try SchemaValidation.validate(FileSystem.readFile(layout.head), schema: "checkpoint") == nil)
        var scanner = SegmentScanner(bytes: try FileSystem.readFile(layout.segment(1)))
        let header = try scanner.readHeader()
        #expect(try SchemaValidation.validate(header.line, schema: "segment-header") == nil)
        let next = scanner.nextBlock()
        let block = try #require(next)
        for line in block.lines {
            #expect(try SchemaValidation.validate(Array(line), schema: "record") == nil)
        }
    }
}
