import Foundation
import Testing

@Suite("auditq keys generate")
struct KeysCommandTests {
    @Test("writes a 0600 private key and a public key that openssl parses and derives from it")
    func generatesKeyPair() throws {
        let dir = ScratchDirectory()
        let key = dir.path("k.pem")
        let result = try AuditQProcess.run("keys", "generate", "--out", key)
        #expect(result.status == 0, "\(result.summary)")

        let attributes = try FileManager.default.attributesOfItem(atPath: key)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(FileManager.default.fileExists(atPath: key + ".pub"))

        let parsed = try AuditQProcess.runTool("openssl", "pkey", "-pubin", "-in", key + ".pub", "-noout", "-text")
        #expect(parsed.status == 0, "openssl pkey -pubin: \(parsed.summary)")
        #expect(parsed.stdoutText.contains("ED25519"), "\(parsed.stdoutText)")

        // The public key file is the one belonging to the private key, as openssl derives it.
        let derived = try AuditQProcess.runTool("openssl", "pkey", "-in", key, "-pubout")
        #expect(derived.status == 0, "openssl pkey: \(derived.summary)")
        #expect(derived.stdoutText == (try String(contentsOfFile: key + ".pub", encoding: .utf8)))
    }

    @Test("refuses to overwrite an existing key, with a clear message, leaving both files untouched")
    func refusesOverwrite() throws {
        let dir = ScratchDirectory()
        let key = dir.path("k.pem")
        try #require(try AuditQProcess.run("keys", "generate", "--out", key).status == 0)
        let privateBefore = try Data(contentsOf: URL(fileURLWithPath: key))
        let publicBefore = try Data(contentsOf: URL(fileURLWithPath: key + ".pub"))

        let again = try AuditQProcess.run("keys", "generate", "--out", key)
        #expect(again.status == 2, "\(again.summary)")
        #expect(again.stderr.contains("refusing to overwrite"), "\(again.stderr)")
        #expect(again.stderr.contains(key), "the message names the file: \(again.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: key)) == privateBefore)
        #expect(try Data(contentsOf: URL(fileURLWithPath: key + ".pub")) == publicBefore)
    }

    @Test("refuses when only FILE.pub exists, and does not create FILE")
    func refusesWhenPublicKeyExists() throws {
        let dir = ScratchDirectory()
        let key = dir.path("k.pem")
        try Data("not a key\n".utf8).write(to: URL(fileURLWithPath: key + ".pub"))

        let result = try AuditQProcess.run("keys", "generate", "--out", key)
        #expect(result.status == 2, "\(result.summary)")
        #expect(result.stderr.contains(key + ".pub"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: key))
        #expect(try String(contentsOfFile: key + ".pub", encoding: .utf8) == "not a key\n")
    }

    @Test("ingest refuses a private key that group or others can read, and writes nothing")
    func ingestRefusesOpenKey() throws {
        let fixture = try StoreFixture()
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: fixture.key)

        let result = try fixture.ingest([StoreFixture.event(0)])
        #expect(result.status == 2, "\(result.summary)")
        #expect(result.stderr.contains("chmod 600"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fixture.store + "/store.json"))
    }

    @Test("ingest given the public key instead of the private one says so (not 'chmod 600')")
    func ingestGivenPublicKey() throws {
        let fixture = try StoreFixture()
        let result = try AuditQProcess.run(["ingest", "--store", fixture.store, "--key", fixture.publicKey], stdin: Array((StoreFixture.event(0) + "\n").utf8))
        #expect(result.status == 2, "\(result.summary)")
        #expect(result.stderr.contains("this is a public key") && !result.stderr.contains("chmod"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fixture.store + "/store.json"))
    }
}
