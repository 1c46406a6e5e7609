import AuditTestSupport
import AuditCompression
import AuditCrypto
import AuditModel
import AuditVerify
import Foundation
import Testing
@testable import AuditStore

@Suite("Verify catches edits")
struct VerifierTests {
    let key = Fixtures.key()

    func verify(_ path: String, keys: [Ed25519.PublicKey]? = nil) -> VerificationReport {
        Verifier(path: path, trustedKeys: keys ?? [key.publicKey]).run()
    }

    @Test("a clean store is intact, with every record checked and authenticated")
    func clean() throws {
        let dir = TemporaryDirectory()
        let store = try Fixtures.store(in: dir)
        let report = verify(store)
        #expect(report.isIntact, "\(report.findings)")
        #expect(report.findings.isEmpty)
        #expect(report.recordsChecked == 30 && report.sealedSegments == 3 && report.authenticatedThroughSeq == 30)
    }

    @Test("a flipped byte anywhere in a sealed segment is caught")
    func flippedByte() throws {
        let dir = TemporaryDirectory()
        let store = try Fixtures.store(in: dir, count: 6, perSegment: 6)
        let segment = StoreLayout(root: store).segment(1)
        let original = FileManager.default.bytes(segment)
        for position in original.indices {
            var tampered = original
            tampered[position] ^= 0x01
            FileManager.default.write(tampered, to: segment)
            let report = verify(store)
            #expect(!report.isIntact, "flip at byte \(position) went unnoticed")
            #expect(report.findings.contains { $0.kind == .segmentDigestMismatch && $0.segment == 1 }, "byte \(position)")
        }
        FileManager.default.write(original, to: segment)
        #expect(verify(store).isIntact)
    }

    @Test("an edited record re-compressed into valid gzip is caught and located")
    func editedRecompressed() throws {
        let dir = TemporaryDirectory()
        let store = try Fixtures.store(in: dir, count: 10, perSegment: 10)
        let segment = StoreLayout(root: store).segment(1)
        let text = String(decoding: try Gzip.inflateAll(FileManager.default.bytes(segment), maxOutput: 1 << 20), as: UTF8.self)
        let edited = text.replacingOccurrences(of: #""amount":4,"#, with: #""amount":40000,"#)
        #expect(edited != text)
        let lines = edited.split(separator: "\n", omittingEmptySubsequences: false)
        var file = try Gzip.deflate(Array((lines[0] + "\n").utf8))
        file += try Gzip.deflate(Array(lines[1...].joined(separator: "\n").utf8))
        FileManager.default.write(file, to: segment)
        let report = verify(store)
        #expect(!report.isIntact)
        #expect(report.findings.contains { $0.kind == .recordAltered && $0.seqRange?.contains(4) == true })
        #expect(report.findings.contains { $0.kind == .merkleRootMismatch })
    }

    @Test("a manifest byte changed, a segment removed from the middle, segments swapped")
    func structural() throws {
        let dir = TemporaryDirectory()
        let store = try Fixtures.store(in: dir)
        let layout = StoreLayout(root: store)
        let manifest = FileManager.default.bytes(layout.manifest(2))
        var edited = manifest
        edited[edited.count / 2] ^= 0x20
        FileManager.default.write(edited, to: layout.manifest(2))
        #expect(!verify(store).isIntact)
        FileManager.default.write(manifest, to: layout.manifest(2))

        let fm = FileManager.default
        let a = fm.bytes(layout.segment(1)), b = fm.bytes(layout.segment(2))
        fm.write(b, to: layout.segment(1))
        fm.write(a, to: layout.segment(2))
        #expect(verify(store).findings.contains { $0.segment == 1 && $0.severity == .error })
        fm.write(a, to: layout.segment(1))
        fm.write(b, to: layout.segment(2))
        #expect(verify(store).isIntact)

        for path in [layout.segment(2), layout.manifest(2), layout.signature(2)] { try fm.removeItem(atPath: path) }
        let report = verify(store)
        #expect(report.findings.contains { $0.kind == .missingFile && $0.segment == 2 })
    }

    @Test("signatures by an untrusted key, and verification against the wrong key, fail")
    func wrongKey() throws {
        let dir = TemporaryDirectory()
        let store = try Fixtures.store(in: dir)
        let report = verify(store, keys: [Fixtures.key(9).publicKey])
        #expect(!report.isIntact)
        #expect(report.findings.contains { $0.kind == .untrustedKey })
    }

    @Test("key rotation: both keys trusted is intact; the old key alone flags the new segments")
    func keyRotation() throws {
        let dir = TemporaryDirectory()
        let store = dir.child("store")
        let old = Fixtures.key(1), new = Fixtures.key(2)
        var writer = try StoreWriter(path: store, key: old, configuration: Fixtures.configuration())
        for n in 1...5 { try writer.appendDurably(Fixtures.event(n)) }
        try writer.close()
        writer = try StoreWriter(path: store, key: new, configuration: Fixtures.configuration())
        for n in 6...10 { try writer.appendDurably(Fixtures.event(n)) }
        try writer.close()
        #expect(verify(store, keys: [old.publicKey, new.publicKey]).isIntact)
        let onlyOld = verify(store, keys: [old.publicKey])
        #expect(onlyOld.findings.contains { $0.kind == .untrustedKey && $0.segment == 2 })
        let rotated = try Fixtures.records(store).first { $0["event"]?.objectValue?["action"] == "auditq.key.rotated" }
        #expect(rotated?["event"]?.objectValue?["metadata"]?.objectValue?["key_id"] == .string(new.keyID))
    }

    @Test("the newest segment deleted with its manifest is caught by the signed checkpoint")
    func newestRemoved() throws {
        let dir = TemporaryDirectory()
        let store = try Fixtures.store(in: dir)
        let layout = StoreLayout(root: store)
        for path in [layout.segment(3), layout.manifest(3), layout.signature(3)] { try FileManager.default.removeItem(atPath: path) }
        let report = verify(store)
        #expect(report.findings.contains { $0.kind == .checkpointMismatch })
    }

    @Test("downgrade: a middle segment stripped of its manifest and signature is a finding, not an open segment")
    func downgrade() throws {
        let dir = TemporaryDirectory()
        let store = try Fixtures.store(in: dir)
        let layout = StoreLayout(root: store)
        for path in [layout.manifest(2), layout.signature(2)] { try FileManager.default.removeItem(atPath: path) }
        let report = verify(store)
        #expect(!report.isIntact)
        #expect(report.findings.contains { $0.kind == .missingFile && $0.segment == 2 })
    }

    @Test("a copied segment under a new number is reported")
    func copiedSegment() throws {
        let dir = TemporaryDirectory()
        let store = try Fixtures.store(in: dir)
        let layout = StoreLayout(root: store)
        try FileManager.default.copyItem(atPath: layout.segment(1), toPath: layout.segment(4))
        let report = verify(store)
        #expect(!report.isIntact)
        #expect(report.findings.contains { $0.segment == 4 && $0.severity == .error })
    }

    @Test("an injected file is reported")
    func injected() throws {
        let dir = TemporaryDirectory()
        let store = try Fixtures.store(in: dir)
        FileManager.default.write([1, 2, 3], to: store + "/segments/extra.jsonl.gz")
        #expect(verify(store).findings.contains { $0.kind == .unaccountedFile })
    }
}

@Suite("Key validity windows")
struct KeyValidityTests {
    @Test("signatures inside a key's window pass; outside it, they are findings")
    func windows() throws {
        let dir = TemporaryDirectory()
        let store = try Fixtures.store(in: dir, count: 12, perSegment: 5)
        let key = Fixtures.key()
        let now = Timestamp.now().microsecondsSinceEpoch
        func verify(_ notBefore: Int64?, _ notAfter: Int64?) -> VerificationReport {
            var verifier = Verifier(path: store, trustedKeys: [key.publicKey])
            verifier.keyValidity = [(key.publicKey, Verifier.Validity(
                notBefore: notBefore.map { Timestamp(microsecondsSinceEpoch: now + $0) },
                notAfter: notAfter.map { Timestamp(microsecondsSinceEpoch: now + $0) }
            ))]
            return verifier.run()
        }
        #expect(verify(-3_600_000_000, 3_600_000_000).isIntact)
        #expect(verify(nil, nil).isIntact)
        let retired = verify(nil, -3_600_000_000)
        #expect(retired.findings.contains { $0.kind == .keyOutsideValidity })
        #expect(!retired.isIntact)
        #expect(verify(3_600_000_000, nil).findings.contains { $0.kind == .keyOutsideValidity })
    }
}
