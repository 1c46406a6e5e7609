import AuditCrypto
import Foundation
import Testing

/// Interoperability with the `openssl` command line, which operators use to make
/// and inspect keys. These tests run the real binary.
@Suite("Ed25519 interop with the openssl CLI")
struct Ed25519InteropTests {
    @Test("a key from `openssl genpkey -algorithm ed25519` loads and matches openssl's public key")
    func loadsOpenSSLKey() throws {
        let cli = OpenSSLCommandLine()
        try cli.require("genpkey", "-algorithm", "ed25519", "-out", "key.pem")
        try cli.require("pkey", "-in", "key.pem", "-pubout", "-out", "pub.pem")

        let key = try Ed25519.PrivateKey(pemRepresentation: try cli.readText("key.pem"))
        let publicKey = try Ed25519.PublicKey(pemRepresentation: try cli.readText("pub.pem"))
        #expect(key.publicKey == publicKey)
        #expect(publicKey.pemRepresentation == (try cli.readText("pub.pem")))
        #expect(key.pemRepresentation == (try cli.readText("key.pem")))
    }

    @Test("our signature verifies with `openssl pkeyutl -verify`, and a tampered one does not")
    func opensslVerifiesOurs() throws {
        let cli = OpenSSLCommandLine()
        let key = try Ed25519.PrivateKey()
        let message = Array("{\"seq\":1,\"actor\":\"alice\"}\n".utf8)
        try cli.write("pub.pem", key.publicKey.pemRepresentation)
        try cli.write("msg", message)
        var signature = try key.signature(for: message)
        try cli.write("sig", signature)

        let verified = try cli.openssl("pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-in", "msg", "-sigfile", "sig")
        #expect(verified.status == 0, "openssl: \(verified.stdout) \(verified.stderr)")
        #expect(verified.stdout.contains("Signature Verified Successfully"))

        signature[10] ^= 0x04
        try cli.write("sig", signature)
        let rejected = try cli.openssl("pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-in", "msg", "-sigfile", "sig")
        #expect(rejected.status != 0)
    }

    @Test("openssl's signature verifies with ours and is byte-identical (Ed25519 is deterministic)")
    func weVerifyOpenSSLs() throws {
        let cli = OpenSSLCommandLine()
        try cli.require("genpkey", "-algorithm", "ed25519", "-out", "key.pem")
        let message = Array(repeating: Array("segment block ".utf8), count: 100).flatMap { $0 }
        try cli.write("msg", message)
        try cli.require("pkeyutl", "-sign", "-inkey", "key.pem", "-rawin", "-in", "msg", "-out", "sig")

        let signature = try cli.read("sig")
        let key = try Ed25519.PrivateKey(pemRepresentation: try cli.readText("key.pem"))
        #expect(signature.count == 64)
        #expect(key.publicKey.isValidSignature(signature, for: message))
        #expect(!key.publicKey.isValidSignature(signature, for: Array(message.dropLast())))
        #expect(try key.signature(for: message) == signature)
    }

    @Test("our PEM private key is readable by openssl and gives the same public key")
    func opensslReadsOurs() throws {
        let cli = OpenSSLCommandLine()
        let key = try Ed25519.PrivateKey()
        try cli.write("key.pem", key.pemRepresentation)
        let result = try cli.require("pkey", "-in", "key.pem", "-pubout")
        #expect(result.stdout == key.publicKey.pemRepresentation)
    }

    @Test("keyID matches the documented openssl | sha256sum pipeline")
    func keyIDPipeline() throws {
        let cli = OpenSSLCommandLine()
        let key = try Ed25519.PrivateKey()
        try cli.write("key.pub", key.publicKey.pemRepresentation)
        let result = try cli.shell("openssl pkey -pubin -in key.pub -outform DER | tail -c 32 | sha256sum | cut -c1-32")
        #expect(result.status == 0)
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == key.publicKey.keyID)
    }

    @Test("EC and X25519 keys are rejected with notEd25519, naming the type but never the key")
    func wrongKeyType() throws {
        let cli = OpenSSLCommandLine()
        try cli.require("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ec.pem")
        try cli.require("pkey", "-in", "ec.pem", "-pubout", "-out", "ec.pub")
        try cli.require("genpkey", "-algorithm", "X25519", "-out", "x.pem")

        for file in ["ec.pem", "x.pem"] {
            let pem = try cli.readText(file)
            let error = try #require(throws: CryptoError.self) { try Ed25519.PrivateKey(pemRepresentation: pem) }
            #expect(error.code == .notEd25519)
            #expect(error.message.contains("not Ed25519"))
            let description = String(describing: error)
            for line in pem.split(separator: "\n") where !line.hasPrefix("-----") {
                #expect(!description.contains(line), "\(file): the error repeats key material")
            }
        }
        let ecError = try #require(throws: CryptoError.self) {
            try Ed25519.PrivateKey(pemRepresentation: try cli.readText("ec.pem"))
        }
        #expect(ecError.message.contains("EC"))

        let publicError = try #require(throws: CryptoError.self) {
            try Ed25519.PublicKey(pemRepresentation: try cli.readText("ec.pub"))
        }
        #expect(publicError.code == .notEd25519)
    }

    @Test("a passphrase-protected key is rejected with encryptedPEM instead of prompting")
    func encryptedKey() throws {
        let cli = OpenSSLCommandLine()
        try cli.require("genpkey", "-algorithm", "ed25519", "-aes-256-cbc", "-pass", "pass:correct horse", "-out", "enc.pem")
        let pem = try cli.readText("enc.pem")
        #expect(pem.hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----"))
        let error = try #require(throws: CryptoError.self) { try Ed25519.PrivateKey(pemRepresentation: pem) }
        #expect(error.code == .encryptedPEM)
        #expect(!String(describing: error).contains("correct horse"))
    }
}
