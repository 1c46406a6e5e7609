import AuditCrypto
import Foundation
import Testing

@Suite("Ed25519")
struct Ed25519Tests {
    /// RFC 8032 section 7.1.
    struct Vector: Sendable, CustomTestStringConvertible {
        var name: String
        var secretKey: String
        var publicKey: String
        var message: String
        var signature: String
        var testDescription: String { name }
    }

    static let rfc8032: [Vector] = [
        Vector(
            name: "TEST 1",
            secretKey: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            message: "",
            signature: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        ),
        Vector(
            name: "TEST 2",
            secretKey: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            publicKey: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            message: "72",
            signature: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
        ),
        Vector(
            name: "TEST 3",
            secretKey: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            publicKey: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            message: "af82",
            signature: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"
        ),
        Vector(
            name: "TEST SHA(abc)",
            secretKey: "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
            publicKey: "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
            message: "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                + "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
            signature: "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
                + "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"
        ),
    ]

    @Test("RFC 8032 vector: derived public key and signature match byte for byte", arguments: rfc8032)
    func rfcVector(_ vector: Vector) throws {
        let key = try Ed25519.PrivateKey(rawRepresentation: try #require(Hex.decode(vector.secretKey)))
        let message = try #require(Hex.decode(vector.message))
        let expected = try #require(Hex.decode(vector.signature))

        #expect(Hex.encode(key.publicKey.rawRepresentation) == vector.publicKey)
        let signature = try key.signature(for: message)
        #expect(Hex.encode(signature) == vector.signature)
        #expect(message.withUnsafeBytes { try? key.signature(for: $0) } == expected)

        let publicKey = try Ed25519.PublicKey(rawRepresentation: try #require(Hex.decode(vector.publicKey)))
        #expect(publicKey == key.publicKey)
        #expect(publicKey.isValidSignature(expected, for: message))
        #expect(message.withUnsafeBytes { publicKey.isValidSignature(expected, for: $0) })
    }

    @Test("any flipped bit in message or signature fails verification", arguments: rfc8032)
    func tampering(_ vector: Vector) throws {
        let publicKey = try Ed25519.PublicKey(rawRepresentation: try #require(Hex.decode(vector.publicKey)))
        let message = try #require(Hex.decode(vector.message))
        let signature = try #require(Hex.decode(vector.signature))

        for bit in 0..<(signature.count * 8) {
            var bad = signature
            bad[bit / 8] ^= 1 << (bit % 8)
            #expect(!publicKey.isValidSignature(bad, for: message), "signature bit \(bit)")
        }
        for bit in 0..<(message.count * 8) {
            var bad = message
            bad[bit / 8] ^= 1 << (bit % 8)
            #expect(!publicKey.isValidSignature(signature, for: bad), "message bit \(bit)")
        }
        #expect(!publicKey.isValidSignature(signature, for: message + [0]))
        let otherKey = try Ed25519.PrivateKey().publicKey
        #expect(!otherKey.isValidSignature(signature, for: message))
    }

    @Test("wrong-length signatures are invalid, not errors")
    func wrongLengthSignature() throws {
        let key = try Ed25519.PrivateKey()
        let message: [UInt8] = [1, 2, 3]
        let signature = try key.signature(for: message)
        #expect(key.publicKey.isValidSignature(signature, for: message))
        #expect(!key.publicKey.isValidSignature(signature.dropLast(), for: message))
        #expect(!key.publicKey.isValidSignature(signature + [0], for: message))
        #expect(!key.publicKey.isValidSignature([UInt8](), for: message))
        #expect(!key.publicKey.isValidSignature([UInt8](repeating: 0, count: 64), for: message))
        // Non-array collections are accepted too.
        #expect(key.publicKey.isValidSignature(signature[...], for: message))
    }

    @Test("generated keys are distinct and sign verifiably")
    func generate() throws {
        let a = try Ed25519.PrivateKey()
        let b = try Ed25519.PrivateKey()
        #expect(a.publicKey != b.publicKey)
        let message = Array("audit record".utf8)
        #expect(a.publicKey.isValidSignature(try a.signature(for: message), for: message))
        #expect(!b.publicKey.isValidSignature(try a.signature(for: message), for: message))
    }

    @Test("private and public PEM round trip")
    func pemRoundTrip() throws {
        let key = try Ed25519.PrivateKey(rawRepresentation: try #require(Hex.decode(Self.rfc8032[0].secretKey)))
        let pem = key.pemRepresentation
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        #expect(pem.hasSuffix("-----END PRIVATE KEY-----\n"))
        // PKCS#8 for Ed25519 is a fixed 16-byte prefix followed by the seed (RFC 8410).
        let body = pem.split(separator: "\n")[1]
        #expect(Base64.decode(body).map(Hex.encode) == "302e020100300506032b657004220420" + Self.rfc8032[0].secretKey)

        let reloaded = try Ed25519.PrivateKey(pemRepresentation: pem)
        #expect(reloaded.publicKey == key.publicKey)
        #expect(try reloaded.signature(for: [1]) == key.signature(for: [1]))

        let publicPEM = key.publicKey.pemRepresentation
        #expect(publicPEM.hasPrefix("-----BEGIN PUBLIC KEY-----\n"))
        let publicKey = try Ed25519.PublicKey(pemRepresentation: publicPEM)
        #expect(publicKey == key.publicKey)
        #expect(publicKey.pemRepresentation == publicPEM)
    }

    @Test("keyID is the first 16 bytes of SHA-256 of the raw public key, in hex")
    func keyID() throws {
        let publicKey = try Ed25519.PublicKey(rawRepresentation: try #require(Hex.decode(Self.rfc8032[0].publicKey)))
        // printf d75a...511a | xxd -r -p | sha256sum | cut -c1-32
        #expect(publicKey.keyID == "21fe31dfa154a261626bf854046fd227")
    }

    @Test("public keys are equal and hashed by their raw bytes")
    func publicKeyHashable() throws {
        let raw = try #require(Hex.decode(Self.rfc8032[1].publicKey))
        let a = try Ed25519.PublicKey(rawRepresentation: raw)
        let b = try Ed25519.PublicKey(pemRepresentation: a.pemRepresentation)
        let c = try Ed25519.PublicKey(rawRepresentation: try #require(Hex.decode(Self.rfc8032[2].publicKey)))
        #expect(a == b)
        #expect(a != c)
        #expect(Set([a, b, c]).count == 2)
    }

    @Test("raw keys of the wrong length are rejected with invalidKey")
    func rawLength() {
        for count in [0, 31, 33, 64] {
            let bytes = [UInt8](repeating: 7, count: count)
            #expect(throws: CryptoError(code: .invalidKey, message: "")) { try Ed25519.PrivateKey(rawRepresentation: bytes) }
            #expect(throws: CryptoError(code: .invalidKey, message: "")) { try Ed25519.PublicKey(rawRepresentation: bytes) }
        }
    }

    @Test("text that is not PEM, or the wrong kind of PEM, is rejected with invalidPEM")
    func invalidPEM() throws {
        let key = try Ed25519.PrivateKey()
        let garbage = [
            "",
            "not a key",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n",
            key.publicKey.pemRepresentation,  // a public key where a private key is expected
        ]
        for text in garbage {
            #expect(throws: CryptoError(code: .invalidPEM, message: "")) { try Ed25519.PrivateKey(pemRepresentation: text) }
        }
        for text in garbage.dropLast() + [key.pemRepresentation] {
            #expect(throws: CryptoError(code: .invalidPEM, message: "")) { try Ed25519.PublicKey(pemRepresentation: text) }
        }
    }

    @Test("a rejected private key never appears in the error's description")
    func errorsDoNotLeakKeys() throws {
        let key = try Ed25519.PrivateKey()
        let pem = key.pemRepresentation
        let body = String(pem.split(separator: "\n")[1])
        // Corrupt the trailing newline/footer so parsing fails after the body was read.
        let broken = pem.replacingOccurrences(of: "END PRIVATE", with: "END PUBLIC")
        let error = try #require(throws: CryptoError.self) { try Ed25519.PrivateKey(pemRepresentation: broken) }
        #expect(error.code == .invalidPEM)
        #expect(!String(describing: error).contains(body))
        #expect(!String(describing: error).contains(String(body.prefix(16))))
    }

    @Test("one key signs from many tasks at once")
    func concurrentSigning() async throws {
        let key = try Ed25519.PrivateKey()
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<64 {
                group.addTask {
                    let message = Array("message \(i)".utf8)
                    let signature = try key.signature(for: message)
                    return key.publicKey.isValidSignature(signature, for: message)
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 64 && results.allSatisfy { $0 })
    }

    @Test("CryptoError equality is by code only")
    func errorEquality() {
        #expect(CryptoError(code: .invalidKey, message: "a") == CryptoError(code: .invalidKey, message: "b"))
        #expect(CryptoError(code: .invalidKey, message: "a") != CryptoError(code: .invalidPEM, message: "a"))
        #expect(String(describing: CryptoError(code: .notEd25519, message: "m")) == "CryptoError.notEd25519: m")
    }
}
