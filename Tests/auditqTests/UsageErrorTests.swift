import Foundation
import Testing

@Suite("Usage errors and exit statuses")
struct UsageErrorTests {
    @Test("verify without --trust exits 64 and says what is missing")
    func verifyNeedsTrust() throws {
        let fixture = try StoreFixture()
        try fixture.ingestCleanly([StoreFixture.event(0)])
        let result = try AuditQProcess.run("verify", "--store", fixture.store)
        #expect(result.status == 64, "\(result.summary)")
        #expect(result.stderr.contains("--trust"), "\(result.stderr)")
    }

    @Test("an unknown option exits 64", arguments: [
        ["verify", "--store", "x", "--trust", "k.pub", "--bogus"],
        ["ingest", "--store", "x", "--key", "k", "--no-such-flag"],
        ["cat", "--store", "x", "--bogus"],
        ["ingest", "--store", "x", "--key", "k", "--durability", "sometimes"],
        ["no-such-command"],
    ])
    func unknownOption(_ arguments: [String]) throws {
        let dir = ScratchDirectory()
        let result = try AuditQProcess.run(arguments, in: dir.url)
        #expect(result.status == 64, "\(result.summary)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("x")), "a usage error must not create the store")
    }

    @Test("cat of a nonexistent store exits 2 with a message naming the path")
    func catMissingStore() throws {
        let dir = ScratchDirectory()
        let missing = dir.path("no-store-here")
        let result = try AuditQProcess.run("cat", "--store", missing)
        #expect(result.status == 2, "\(result.summary)")
        #expect(result.stderr.contains(missing), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test("verify of a nonexistent store exits 2 (store unreadable), not 1 (findings)")
    func verifyMissingStore() throws {
        let fixture = try StoreFixture()
        let missing = fixture.directory.path("no-store-here")
        let result = try AuditQProcess.run("verify", "--store", missing, "--trust", fixture.publicKey)
        #expect(result.status == 2, "documented: 2 the store could not be read; \(result.summary)")
        #expect((result.stdoutText + result.stderr).contains(missing))
    }

    @Test("verify with an unreadable trusted key file exits 2 naming the file")
    func verifyMissingKey() throws {
        let fixture = try StoreFixture()
        try fixture.ingestCleanly([StoreFixture.event(0)])
        let missing = fixture.directory.path("missing.pub")
        let result = try AuditQProcess.run("verify", "--store", fixture.store, "--trust", missing)
        #expect(result.status == 2, "\(result.summary)")
        #expect(result.stderr.contains(missing), "\(result.stderr)")
    }
}
