import AuditTestSupport
import AuditCrypto
import AuditModel
import AuditVerify
import Foundation
import Testing
@testable import AuditStore

@Suite("Verify checks segment indexes")
struct IndexVerifyTests {
    let key = Fixtures.key()

    func verify(_ path: String) -> VerificationReport {
        Verifier(path: path, trustedKeys: [key.publicKey]).run()
    }

    @Test("a changed byte anywhere in an index file is an error finding")
    func flippedIndexByte() throws {
        let dir = TemporaryDirectory()
        let store = try Fixtures.store(in: dir, count: 10, perSegment: 10)
        let path = StoreLayout(root: store).index(1)
        let original = FileManager.default.bytes(path)
        for position in stride(from: 0, to: original.count, by: 7) {
            var tampered = original
            tampered[position] ^= 0x40
            FileManager.default.write(tampered, to: path)
            let report = verify(store)
            #expect(!report.isIntact, "flip at byte \(position) went unnoticed")
            #expect(report.findings.contains { $0.kind == .indexMismatch && $0.segment == 1 }, "byte \(position)")
        }
        FileManager.default.write(original, to: path)
        #expect(verify(store).findings.isEmpty)
    }

    @Test("a missing index is a warning that names the rebuild; the rebuilt index verifies")
    func missingIndex() throws {
        let dir = TemporaryDirectory()
        let store = try Fixtures.store(in: dir, count: 25, perSegment: 10)
        let layout = StoreLayout(root: store)
        try FileSystem.remove(layout.index(2))
        let report = verify(store)
        #expect(report.isIntact)
        let finding = try #require(report.findings.first { $0.kind == .indexMissing })
        #expect(finding.segment == 2 && finding.severity == .warning && finding.message.contains("auditq index rebuild"))
        let rebuilt = try SegmentIndex.build(segmentBytes: FileSystem.readFile(layout.segment(2)))
        try FileSystem.writeAtomically(rebuilt.bytes, to: layout.index(2))
        #expect(verify(store).findings.isEmpty)
    }

    @Test("a validly signed index that does not describe the records is caught (a writer fault or a forged manifest)")
    func signedWrongIndex() throws {
        let dir = TemporaryDirectory()
        let store = try Fixtures.store(in: dir, count: 10, perSegment: 10)
        let layout = StoreLayout(root: store)
        // An index that hides request req_3: built from the records, minus that key.
        var builder = SegmentIndex.Builder()
        let manifest = try SegmentManifest(bytes: FileSystem.readFile(layout.manifest(1)))
        var seq: UInt64 = 1
        for block in manifest.blocks {
            for _ in 0..<block.count {
                var event = Fixtures.event(Int(seq)).fields
                if seq == 3 { event["request_id"] = nil }
                builder.add(SegmentIndex.RecordKeys(event: event, timestamp: try #require(Timestamp(rfc3339: event["ts"]!.stringValue!)).microsecondsSinceEpoch))
                seq += 1
            }
            builder.finishBlock(offset: block.offset, firstSeq: block.firstSeq)
        }
        let forged = builder.encode(segment: 1, firstSeq: 1, recordCount: manifest.recordCount, segmentBytes: manifest.segmentBytes)
        var resigned = manifest
        resigned.index = SegmentManifest.Index(bytes: forged.bytes.count, root: forged.root)
        try FileSystem.writeAtomically(forged.bytes, to: layout.index(1))
        try FileSystem.writeAtomically(resigned.canonicalBytes, to: layout.manifest(1))
        try FileSystem.writeAtomically(try key.sign(resigned.canonicalBytes), to: layout.signature(1))
        let report = verify(store)
        #expect(report.findings.contains { $0.kind == .indexMismatch && $0.severity == .error && $0.message.contains("does not describe") })
    }

    @Test("an index file without its segment is reported as not part of the store")
    func strayIndex() throws {
        let dir = TemporaryDirectory()
        let store = try Fixtures.store(in: dir, count: 10, perSegment: 10)
        let layout = StoreLayout(root: store)
        try FileSystem.writeAtomically(FileSystem.readFile(layout.index(1)), to: layout.index(7))
        let report = verify(store)
        #expect(report.findings.contains { $0.kind == .unaccountedFile && $0.segment == 7 })
        #expect(!report.findings.contains { $0.kind == .missingFile })
    }
}
