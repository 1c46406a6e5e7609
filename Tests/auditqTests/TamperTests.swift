import Foundation
import Testing

@Suite("verify detects tampering")
struct TamperTests {
    /// One change an attacker (or a failing disk) makes to a sealed store of three segments (seq 1-30).
    struct Tamper: CustomTestStringConvertible, Sendable {
        var name: String
        var apply: @Sendable (StoreFixture) throws -> Void
        var testDescription: String { name }
    }

    static func flipByte(_ path: String, at offset: (Int) -> Int) throws {
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
        let index = offset(bytes.count)
        bytes[index] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func remove(_ fixture: StoreFixture, segment: Int, suffixes: [String] = [".jsonl.gz", ".manifest.json", ".manifest.sig"]) throws {
        for suffix in suffixes { try FileManager.default.removeItem(atPath: fixture.segmentPath(segment, suffix)) }
    }

    static let tampers: [Tamper] = [
        Tamper(name: "a byte of the segment header member") { try flipByte($0.segmentPath(2), at: { _ in 20 }) },
        Tamper(name: "a byte in the middle of a segment") { try flipByte($0.segmentPath(2), at: { $0 / 2 }) },
        Tamper(name: "a byte of a segment's last 8 bytes (CRC and size)") { try flipByte($0.segmentPath(2), at: { $0 - 3 }) },
        Tamper(name: "the last byte of the newest segment") { try flipByte($0.segmentPath(3), at: { $0 - 1 }) },
        Tamper(name: "a byte in the middle of a manifest") { try flipByte($0.segmentPath(2, ".manifest.json"), at: { $0 / 2 }) },
        Tamper(name: "a manifest's record count, still valid JSON") { fixture in
            let path = fixture.segmentPath(2, ".manifest.json")
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let edited = text.replacingOccurrences(of: #""record_count":10"#, with: #""record_count":9"#)
            try #require(edited != text)
            try edited.write(toFile: path, atomically: false, encoding: .utf8)
        },
        Tamper(name: "a byte of a manifest signature") { try flipByte($0.segmentPath(1, ".manifest.sig"), at: { _ in 10 }) },
        Tamper(name: "the middle segment's three files deleted") { try remove($0, segment: 2) },
        Tamper(name: "only the middle segment file deleted") { try remove($0, segment: 2, suffixes: [".jsonl.gz"]) },
        Tamper(name: "the newest segment's three files deleted (truncation)") { try remove($0, segment: 3) },
        Tamper(name: "a segment truncated by its last 8 bytes") { fixture in
            let path = fixture.segmentPath(2)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            try bytes.dropLast(8).write(to: URL(fileURLWithPath: path))
        },
        Tamper(name: "two segments swapped") { fixture in
            for suffix in [".jsonl.gz", ".manifest.json", ".manifest.sig"] {
                let a = fixture.segmentPath(1, suffix), b = fixture.segmentPath(2, suffix), t = a + ".swap"
                try FileManager.default.moveItem(atPath: a, toPath: t)
                try FileManager.default.moveItem(atPath: b, toPath: a)
                try FileManager.default.moveItem(atPath: t, toPath: b)
            }
        },
    ]

    static func sealedStore() throws -> StoreFixture {
        let fixture = try StoreFixture()
        try fixture.ingestCleanly((0..<30).map { StoreFixture.event($0) }, options: ["--segment-max-events", "10"])
        let before = try fixture.verify()
        try #require(before.status == 0, "the untouched store must verify: \(before.result.summary)")
        return fixture
    }

    @Test("a tampered sealed store fails verification with findings", arguments: tampers)
    func tamperIsFound(_ tamper: Tamper) throws {
        let fixture = try Self.sealedStore()
        try tamper.apply(fixture)

        let verify = try fixture.verify()
        #expect(verify.status == 1, "\(verify.result.summary)")
        #expect(verify.intact == false)
        #expect(!verify.errorKinds.isEmpty, "no error finding: \(verify.result.stdoutText)")
        for finding in verify.findings {
            #expect(finding["message"] is String && finding["kind"] is String && finding["severity"] is String, "\(finding)")
        }
    }

    @Test("a store signed by a key that is not trusted: exit 1 with an untrusted-key finding")
    func untrustedKey() throws {
        let fixture = try Self.sealedStore()
        let other = fixture.directory.path("other.key")
        try #require(try AuditQProcess.run("keys", "generate", "--out", other).status == 0)

        let verify = try fixture.verify(trust: [other + ".pub"])
        #expect(verify.status == 1, "\(verify.result.summary)")
        #expect(verify.errorKinds.contains("untrusted-key"), "\(verify.findingKinds)")

        let both = try fixture.verify(trust: [other + ".pub", fixture.publicKey])
        #expect(both.status == 0, "trusting the signer among others verifies: \(both.result.summary)")
    }

    @Test("text output says INTACT, then FAILED after tampering")
    func textFormat() throws {
        let fixture = try Self.sealedStore()
        let intact = try AuditQProcess.run("verify", "--store", fixture.store, "--trust", fixture.publicKey)
        #expect(intact.status == 0)
        #expect(intact.stdoutText.hasPrefix("INTACT"), "\(intact.stdoutText)")
        try Self.flipByte(fixture.segmentPath(1), at: { $0 / 2 })
        let failed = try AuditQProcess.run("verify", "--store", fixture.store, "--trust", fixture.publicKey)
        #expect(failed.status == 1)
        #expect(failed.stdoutText.hasPrefix("FAILED"), "\(failed.stdoutText)")
        #expect(failed.stdoutText.contains("segment 1"), "the finding names the segment: \(failed.stdoutText)")
    }
}
