import AuditCrypto
import AuditModel
import AuditVerify
import Foundation
import Testing
@testable import AuditStore

/// A store written by this version and committed under `Tests/AuditVerifyTests/Golden/store`: every
/// later version must read and verify it byte for byte (format stability), and so must the
/// independent Python reader in `docs/verify_store.py`.
@Suite("Golden store (format stability)")
struct GoldenStoreTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden").path

    @Test("the committed golden store reads and verifies")
    func goldenVerifies() throws {
        let store = Self.golden + "/store"
        let key = Fixtures.key(7)
        let records = try Fixtures.records(store)
        #expect(records.count == 25)
        #expect(records.first?["event"]?.objectValue?["request_id"] == "req_1")
        #expect(records.last?["seq"]?.integerValue == 25)
        let report = Verifier(path: store, trustedKeys: [key.publicKey]).run()
        #expect(report.isIntact, "\(report.findings)")
        #expect(report.sealedSegments == 3 && report.authenticatedThroughSeq == 25)
        // The public key on disk is the one the fixtures derive.
        let pem = try String(contentsOfFile: Self.golden + "/golden.key.pub", encoding: .utf8)
        #expect(try Ed25519.PublicKey(pemRepresentation: pem) == key.publicKey)
    }

    @Test("the independent Python reader verifies the golden store")
    func pythonReader() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        process.arguments = ["python3", root.appendingPathComponent("docs/verify_store.py").path, Self.golden + "/store", Self.golden + "/golden.key.pub"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("INTACT"))
    }

    /// Regenerates the golden store (run by hand with AUDITQ_WRITE_GOLDEN=1 only when the format version changes).
    @Test("write the golden store", .enabled(if: ProcessInfo.processInfo.environment["AUDITQ_WRITE_GOLDEN"] == "1"))
    func writeGolden() throws {
        try? FileManager.default.removeItem(atPath: Self.golden)
        try FileManager.default.createDirectory(atPath: Self.golden, withIntermediateDirectories: true)
        let key = Fixtures.key(7)
        try key.publicKey.pemRepresentation.write(toFile: Self.golden + "/golden.key.pub", atomically: true, encoding: .utf8)
        let writer = try StoreWriter(path: Self.golden + "/store", key: key, configuration: Fixtures.configuration { $0.segmentMaxEvents = 10 })
        for n in 1...25 { try writer.appendDurably(Fixtures.event(n)) }
        try writer.close()
        try FileManager.default.removeItem(atPath: Self.golden + "/store/writer.lock")
    }
}
