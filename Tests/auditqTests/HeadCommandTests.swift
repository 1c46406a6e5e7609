import Foundation
import Testing

@Suite("auditq head")
struct HeadCommandTests {
    @Test("after a clean ingest: valid JSON, seq of the last record, clean_shutdown, and a signature openssl accepts")
    func headAfterCleanIngest() throws {
        let fixture = try StoreFixture()
        try fixture.ingestCleanly((0..<12).map { StoreFixture.event($0) })
        let lastSeq = try #require(try fixture.records().last?.seq)

        let head = try AuditQProcess.run("head", "--store", fixture.store)
        #expect(head.status == 0, "\(head.summary)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(head.stdout)) as? [String: Any])
        #expect((document["seq"] as? NSNumber)?.intValue == lastSeq)
        #expect(lastSeq == 12)
        #expect(document["clean_shutdown"] as? Bool == true)
        #expect((document["chain_head"] as? String)?.count == 64)
        let signatureText = try #require(document["signature"] as? String)
        let signature = try #require(Data(base64Encoded: signatureText))
        #expect(signature.count == 64)

        // The signature covers the document's canonical bytes without its `signature` member.
        let text = head.stdoutText.trimmingCharacters(in: .newlines)
        let signed = text.replacingOccurrences(of: #","signature":"\#(signatureText)""#, with: "")
        try #require(signed != text, "head output is not in canonical form: \(text)")
        let message = fixture.directory.path("head.signed")
        let signatureFile = fixture.directory.path("head.sig")
        try Data(signed.utf8).write(to: URL(fileURLWithPath: message))
        try signature.write(to: URL(fileURLWithPath: signatureFile))
        let openssl = try AuditQProcess.runTool(
            "openssl", "pkeyutl", "-verify", "-pubin", "-inkey", fixture.publicKey, "-rawin", "-in", message, "-sigfile", signatureFile
        )
        #expect(openssl.status == 0, "openssl: \(openssl.summary)")
    }

    @Test("a store with no records has no checkpoint: exit 1 with a message")
    func headOfEmptyStore() throws {
        let fixture = try StoreFixture()
        try fixture.ingestCleanly([])
        let head = try AuditQProcess.run("head", "--store", fixture.store)
        #expect(head.status == 1, "\(head.summary)")
        #expect(head.stderr.contains("no checkpoint"), "\(head.stderr)")
    }
}
