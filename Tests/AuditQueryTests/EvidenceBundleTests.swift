import AuditCrypto
import AuditModel
import AuditTestSupport
import AuditVerify
import Foundation
import Testing
@testable import AuditQuery
@testable import AuditStore

@Suite("Evidence bundles (export and verify-bundle)")
struct EvidenceBundleTests {
    func bundle(_ path: String, _ key: FindQuery.Key) throws -> (EvidenceBundle, [UInt8]) {
        let result = try BundleExporter(path: path).export(key, trustedKeys: [Fixtures.key().publicKey])
        let bytes = CanonicalJSON.encode(result.bundle.json)
        return (try EvidenceBundle(bytes: bytes), bytes)
    }

    @Test("a bundle larger than readers parse is refused, not written: verify-bundle could not read it")
    func tooLarge() throws {
        let dir = TemporaryDirectory()
        let (store, writer) = try Fixtures.store(dir, sealed: 800, open: 0)
        try writer.close()
        let result = try BundleExporter(path: store).export(.init(.customerCode, "CUS_1"), trustedKeys: nil)
        #expect(!result.bundle.entries.isEmpty)
        let bytes = try result.bundle.encoded()
        #expect(try EvidenceBundle(bytes: Array(bytes.dropLast())).entries.count == result.bundle.entries.count)
        #expect(throws: RecordError.self) { try result.bundle.encoded(maxBytes: bytes.count - 1) }
    }

    @Test("a customer's bundle proves exactly that customer's sealed records, across segments, and holds nothing of others")
    func customer() throws {
        let dir = TemporaryDirectory()
        let (path, writer) = try Fixtures.store(dir, sealed: 1200, open: 30)
        defer { try? writer.close() }
        let records = try Fixtures.allRecords(path)
        let sealedLast = UInt64(1200)
        let expected = records.filter { $0.seq <= sealedLast && $0.event["customer_code"] == "CUS_1" }.map(\.seq)
        let (bundle, bytes) = try bundle(path, .init(.customerCode, "CUS_1"))
        #expect(bundle.entries.map(\.seq) == expected)
        #expect(Set(bundle.entries.map(\.segment)).count > 1)
        let report = BundleVerifier(trustedKeys: [Fixtures.key().publicKey]).verify(bundle: bytes)
        #expect(report.isIntact, "\(report.findings)")
        #expect(report.recordsProven == expected.count)
        // Nothing about other records but hashes: no other request id, no salt tree or leaf key.
        let text = String(decoding: bytes, as: UTF8.self)
        for other in records where other.seq <= sealedLast && other.event["customer_code"] != "CUS_1" {
            if let request = other.event["request_id"]?.stringValue { #expect(!text.contains("\"\(request)\"")) }
        }
        #expect(!text.contains("salt_tree"))
        #expect(try SchemaValidation.validate(bytes, schema: "bundle") == nil)
    }

    @Test("the independent Python reader proves the same bundle with openssl and the spec alone")
    func pythonReader() throws {
        let dir = TemporaryDirectory()
        let (path, writer) = try Fixtures.store(dir, sealed: 500, open: 0)
        try writer.close()
        let (_, bytes) = try bundle(path, .init(.customerCode, "CUS_1"))
        FileManager.default.createFile(atPath: dir.child("bundle.json"), contents: Data(bytes))
        FileManager.default.createFile(atPath: dir.child("key.pub"), contents: Data(Fixtures.key().publicKey.pemRepresentation.utf8))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", SchemaValidation.root.appendingPathComponent("docs/verify_store.py").path, "--bundle", dir.child("bundle.json"), dir.child("key.pub")]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.hasPrefix("PROVEN"))
    }

    @Test("an edited record, a swapped proof, an untrusted key and a forged manifest are all caught")
    func tampering() throws {
        let dir = TemporaryDirectory()
        let (path, writer) = try Fixtures.store(dir, sealed: 900, open: 0)
        try writer.close()
        let (original, bytes) = try bundle(path, .init(.customerCode, "CUS_0"))
        let verifier = BundleVerifier(trustedKeys: [Fixtures.key().publicKey])
        #expect(verifier.verify(bundle: bytes).isIntact)
        #expect(original.entries.count > 2)

        var edited = original
        edited.entries[1].line = edited.entries[1].line.replacingOccurrences(of: "\"outcome\":\"success\"", with: "\"outcome\":\"failure\"")
            .replacingOccurrences(of: "\"outcome\":\"failure\"", with: "\"outcome\":\"successful\"")
        #expect(verifier.verify(bundle: CanonicalJSON.encode(edited.json)).findings.contains { $0.kind == .recordAltered && $0.seqRange?.lowerBound == edited.entries[1].seq })

        var swapped = original
        swapped.entries[0].proof = original.entries[1].proof
        if swapped.entries[0].proof != original.entries[0].proof {
            #expect(!verifier.verify(bundle: CanonicalJSON.encode(swapped.json)).isIntact)
        }

        var salted = original
        if let path = salted.entries[0].salts.keys.first {
            salted.entries[0].salts[path] = SHA256.hash("guessed salt")
            #expect(!verifier.verify(bundle: CanonicalJSON.encode(salted.json)).isIntact)
        }

        let untrusted = BundleVerifier(trustedKeys: [SigningKey(privateKey: try Ed25519.PrivateKey()).publicKey]).verify(bundle: bytes)
        #expect(untrusted.findings.contains { $0.kind == .untrustedKey })

        var forged = original
        let number = forged.manifests.keys.sorted()[0]
        var manifestBytes = forged.manifests[number]!.bytes
        manifestBytes[manifestBytes.count / 2] ^= 1
        forged.manifests[number]!.bytes = manifestBytes
        #expect(!verifier.verify(bundle: CanonicalJSON.encode(forged.json)).isIntact)

        #expect(!verifier.verify(bundle: Array("not json".utf8)).isIntact)
    }
}
