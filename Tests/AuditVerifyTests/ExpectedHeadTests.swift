import AuditCrypto
import AuditModel
import AuditTestSupport
import AuditVerify
import Foundation
import Testing
@testable import AuditStore

@Suite("Verify against a saved head, and checkpoint freshness")
struct ExpectedHeadTests {
    let key = Fixtures.key()

    func write(_ store: String, _ range: ClosedRange<Int>, perSegment: Int = 10) throws {
        let writer = try StoreWriter(path: store, key: key, configuration: Fixtures.configuration { $0.segmentMaxEvents = perSegment })
        for n in range { try writer.appendDurably(Fixtures.event(n)) }
        try writer.close()
    }

    func verify(_ store: String, expecting head: Checkpoint?, now: Timestamp = .now()) -> VerificationReport {
        var verifier = Verifier(path: store, trustedKeys: [key.publicKey])
        verifier.expectedHead = head
        verifier.maxCheckpointAge = 180
        verifier.now = now
        return verifier.run()
    }

    func head(_ store: String) throws -> Checkpoint {
        try Checkpoint(bytes: FileManager.default.bytes(store + "/head.json"))
    }

    @Test("a store that grew past the saved head contains and extends it")
    func extended() throws {
        let dir = TemporaryDirectory()
        let store = dir.child("store")
        try write(store, 1...15)
        let saved = try head(store)
        try write(store, 16...40)
        let report = verify(store, expecting: saved)
        #expect(report.isIntact, "\(report.findings)")
        #expect(report.expectedHeadConfirmed == saved.seq)
    }

    @Test("the newest segments removed with their manifests and checkpoint are caught by the saved head")
    func newestRemoved() throws {
        let dir = TemporaryDirectory()
        let store = dir.child("store")
        try write(store, 1...20)
        let older = FileManager.default.bytes(store + "/head.json")
        try write(store, 21...40)
        let saved = try head(store)
        let layout = StoreLayout(root: store)
        for n in UInt64(3)...UInt64(5) {
            for path in [layout.segment(n), layout.manifest(n), layout.signature(n), layout.index(n)] { try? FileManager.default.removeItem(atPath: path) }
        }
        FileManager.default.write(older, to: layout.head)
        // Without the saved head the truncated store is self-consistent...
        #expect(verify(store, expecting: nil).isIntact)
        // ...with it, the removal is found.
        let report = verify(store, expecting: saved)
        #expect(report.findings.contains { $0.kind == .headNotExtended })
        #expect(!report.isIntact)
    }

    @Test("a rewritten history is caught even when its own signatures are valid")
    func rewritten() throws {
        let dir = TemporaryDirectory()
        let store = dir.child("store")
        try write(store, 1...20)
        var forged = try head(store)
        forged.chainHead = SHA256.hash("another history")
        forged.signature = try key.sign(forged.signedBytes)
        let report = verify(store, expecting: forged)
        #expect(report.findings.contains { $0.kind == .headNotExtended && $0.message.contains("rewritten") })
    }

    @Test("a saved head signed by an untrusted key is not trusted")
    func untrustedHead() throws {
        let dir = TemporaryDirectory()
        let store = dir.child("store")
        try write(store, 1...5)
        var other = try head(store)
        other.keyID = Fixtures.key(9).keyID
        other.signature = try Fixtures.key(9).sign(other.signedBytes)
        #expect(verify(store, expecting: other).findings.contains { $0.kind == .untrustedKey })
    }

    @Test("a stale checkpoint without a clean shutdown is flagged; a clean store is not")
    func freshness() throws {
        let dir = TemporaryDirectory()
        let clean = dir.child("clean")
        try write(clean, 1...5)
        let later = Timestamp(microsecondsSinceEpoch: Timestamp.now().microsecondsSinceEpoch + 3_600_000_000)
        #expect(verify(clean, expecting: nil, now: later).isIntact)

        let crashed = dir.child("crashed")
        let writer = try StoreWriter(path: crashed, key: key, configuration: Fixtures.configuration())
        for n in 1...5 { try writer.appendDurably(Fixtures.event(n)) }
        writer.simulateCrash()
        #expect(verify(crashed, expecting: nil).isIntact, "a fresh checkpoint is fine")
        let report = verify(crashed, expecting: nil, now: later)
        #expect(report.findings.contains { $0.kind == .staleCheckpoint })
    }
}
