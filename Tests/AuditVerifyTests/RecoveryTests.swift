import AuditTestSupport
import AuditCompression
import AuditCrypto
import AuditModel
import AuditVerify
import Foundation
import Testing
@testable import AuditStore

@Suite("Crash recovery")
struct RecoveryTests {
    let key = Fixtures.key()

    /// A store whose writer "died" after making `count` records durable, leaving the segment open.
    func crashedStore(_ dir: TemporaryDirectory, count: Int, checkpoint: Bool = true) throws -> String {
        let path = dir.child("store")
        let writer = try StoreWriter(path: path, key: key, configuration: Fixtures.configuration {
            $0.checkpointInterval = checkpoint ? 0 : 3600
            $0.idleCheckpointInterval = checkpoint ? 60 : 3600
            $0.blockBytes = 2048
        })
        for n in 1...count {
            try writer.append(Fixtures.event(n))
            if n % 7 == 0 { try writer.waitUntilDurable(UInt64(n)) }
        }
        writer.simulateCrash()
        return path
    }

    @Test("reopening after a crash keeps every durable record, continues the chain and records the recovery")
    func recovers() throws {
        let dir = TemporaryDirectory()
        let store = try crashedStore(dir, count: 50)
        let writer = try StoreWriter(path: store, key: key, configuration: Fixtures.configuration())
        let recovery = try #require(writer.recovery)
        #expect(recovery.recoveredThroughSeq == 50 && recovery.recordSeq == 51)
        try writer.appendDurably(Fixtures.event(52))
        try writer.close()
        let records = try Fixtures.records(store)
        #expect(records.map { $0["seq"]!.integerValue! } == (1...52).map { Int64($0) })
        #expect(records[50]["event"]?.objectValue?["action"] == "auditq.store.recovered")
        let report = Verifier(path: store, trustedKeys: [key.publicKey]).run()
        #expect(report.isIntact, "\(report.findings)")
    }

    @Test("a writer killed after sealing a segment, before its first checkpoint and the next segment, is recovered")
    func killedAfterSealBeforeFirstCheckpoint() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("store")
        let writer = try StoreWriter(path: path, key: key, configuration: Fixtures.configuration {
            $0.checkpointInterval = 3600
            $0.idleCheckpointInterval = 3600
        })
        for n in 1...20 { try writer.append(Fixtures.event(n)) }
        _ = try writer.sealOpenSegment()
        writer.simulateCrash()
        // The kill landed before the next segment file was created and before any checkpoint.
        let layout = StoreLayout(root: path)
        try? FileManager.default.removeItem(atPath: layout.segment(2))
        try? FileManager.default.removeItem(atPath: layout.head)
        #expect(FileManager.default.fileExists(atPath: layout.manifest(1)))

        let reopened = try StoreWriter(path: path, key: key, configuration: Fixtures.configuration())
        let recovery = try #require(reopened.recovery, "a store with a sealed newest segment and no checkpoint was not shut down cleanly")
        #expect(recovery.recoveredThroughSeq == 20 && recovery.recordSeq == 21)
        try reopened.close()
        let records = try Fixtures.records(path)
        #expect(records.last?["event"]?.objectValue?["action"] == "auditq.store.recovered")

        // A clean close signs a checkpoint, so reopening a cleanly closed store records nothing.
        let again = try StoreWriter(path: path, key: key, configuration: Fixtures.configuration())
        #expect(again.recovery == nil)
        try again.close()
        let report = Verifier(path: path, trustedKeys: [key.publicKey]).run()
        #expect(report.isIntact, "\(report.findings)")
    }

    @Test("a torn tail after the signed region is cut at every length; durable records survive")
    func tornTail() throws {
        let dir = TemporaryDirectory()
        let store = try crashedStore(dir, count: 40)
        let layout = StoreLayout(root: store)
        let original = FileManager.default.bytes(layout.segment(1))
        let originalHead = FileManager.default.bytes(layout.head)
        let head = try Checkpoint(bytes: originalHead)
        // A partly written next batch: more gzip bytes past the end, cut anywhere, or garbage.
        var extra = try Gzip.deflate(Array(repeating: UInt8(ascii: "x"), count: 3000))
        extra.removeLast(8)
        // Random bytes, from fixed seeds: some of them decode as deflate data, a few end the stream.
        var random = SeededGenerator(seed: 20261121)
        let noise = (0..<24).map { _ in random.bytes(200) }
        let tails: [[UInt8]] = (0..<extra.count).map { Array(extra[0..<$0]) }
            + [[0, 0, 0, 0, 0, 0], Array(repeating: 0, count: 4096), [0x1F], Array(repeating: 0xFF, count: 100)] + noise
        for (i, tail) in tails.enumerated() where i % 3 == 0 || i >= extra.count {
            FileManager.default.write(original + tail, to: layout.segment(1))
            let writer = try StoreWriter(path: store, key: key, configuration: Fixtures.configuration())
            writer.simulateCrash()
            let records = try Fixtures.records(store)
            #expect(records.count >= Int(head.seq), "tail \(i)")
            #expect(records.prefix(40).map { $0["seq"]!.integerValue! } == (1...40).map { Int64($0) }, "tail \(i)")
            #expect(Verifier(path: store, trustedKeys: [key.publicKey]).run().isIntact, "tail \(i)")
            FileManager.default.write(original, to: layout.segment(1))
            FileManager.default.write(originalHead, to: layout.head)
        }
    }

    @Test("stale bytes after the last fsync that end the deflate stream with a wrong trailer are a torn tail, not tampering")
    func tailEndingTheStream() throws {
        let dir = TemporaryDirectory()
        let store = try crashedStore(dir, count: 40)
        let layout = StoreLayout(root: store)
        let original = FileManager.default.bytes(layout.segment(1))
        // The open member ends at a sync point; what follows here is a complete final deflate block
        // and an 8-byte trailer that does not match, so the member "ends" with a checksum error.
        let member = try Gzip.deflate(Array("garbage that decodes\n".utf8))
        var tail = Array(member[10..<(member.count - 8)])
        tail += [0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02, 0x03, 0x04]
        FileManager.default.write(original + tail, to: layout.segment(1))

        let writer = try StoreWriter(path: store, key: key, configuration: Fixtures.configuration())
        #expect(writer.recovery?.recoveredThroughSeq == 40)
        try writer.close()
        let records = try Fixtures.records(store)
        #expect(records.prefix(40).map { $0["seq"]!.integerValue! } == (1...40).map { Int64($0) })
        #expect(Verifier(path: store, trustedKeys: [key.publicKey]).run().isIntact)
    }

    @Test("data missing inside the signed region is tampering: the writer refuses and changes nothing")
    func signedRegionDamaged() throws {
        let dir = TemporaryDirectory()
        let store = try crashedStore(dir, count: 40)
        let layout = StoreLayout(root: store)
        let head = try Checkpoint(bytes: FileManager.default.bytes(layout.head))
        #expect(head.seq >= 35)
        let original = FileManager.default.bytes(layout.segment(1))
        let cut = Array(original[0..<(head.segmentBytes / 2)])
        FileManager.default.write(cut, to: layout.segment(1))
        #expect(throws: AuditStoreError(.tampered, "")) { try StoreWriter(path: store, key: key, configuration: Fixtures.configuration()) }
        #expect(FileManager.default.bytes(layout.segment(1)) == cut)
        let report = Verifier(path: store, trustedKeys: [key.publicKey]).run()
        #expect(report.findings.contains { $0.kind == .checkpointMismatch })
    }

    @Test("verifying while the segment is open reports the unsigned tail as a note, not a finding")
    func openSegment() throws {
        let dir = TemporaryDirectory()
        let store = try crashedStore(dir, count: 20)
        let report = Verifier(path: store, trustedKeys: [key.publicKey]).run()
        #expect(report.isIntact, "\(report.findings)")
        #expect(report.recordsChecked == 20)
    }
}
