import AuditTestSupport
import AuditCrypto
import Testing

@Suite("SHA-256")
struct SHA256Tests {
    /// FIPS 180-2 appendix B and the NIST "SHA-256 examples" document.
    static let vectors: [(message: String, digest: String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        (
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        ),
    ]
    static let millionA = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"

    @Test("FIPS 180 vectors hash to the published digests through every one-shot entry point")
    func fipsVectors() {
        for (message, expected) in Self.vectors {
            let bytes = Array(message.utf8)
            #expect(SHA256.hash(message).hex == expected, "String: \(message)")
            #expect(SHA256.hash(bytes).hex == expected, "[UInt8]: \(message)")
            #expect(bytes.withUnsafeBytes { SHA256.hash($0) }.hex == expected, "raw: \(message)")
            var hasher = SHA256()
            hasher.update(message.utf8)
            #expect(hasher.finalize().hex == expected, "String.UTF8View: \(message)")
        }
    }

    @Test("one million 'a' fed in 1000-byte updates")
    func millionAIncremental() {
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        var hasher = SHA256()
        for _ in 0..<1000 { hasher.update(chunk) }
        #expect(hasher.finalize().hex == Self.millionA)
    }

    @Test("one million 'a' fed as a non-contiguous sequence")
    func millionANonContiguous() {
        var hasher = SHA256()
        hasher.update(repeatElement(UInt8(ascii: "a"), count: 1_000_000))
        #expect(hasher.finalize().hex == Self.millionA)
    }

    @Test("incremental hashing over random splits equals the one-shot digest")
    func randomSplits() {
        var rng = SeededGenerator(seed: 0x5EED)
        for length in [0, 1, 31, 55, 56, 63, 64, 65, 600, 4099] {
            let message = rng.bytes(length)
            let expected = SHA256.hash(message)
            for _ in 0..<20 {
                var hasher = SHA256()
                var start = 0
                while start < message.count {
                    let end = min(message.count, start + Int.random(in: 0...80, using: &rng))
                    hasher.update(message[start..<end])
                    start = end
                }
                #expect(hasher.finalize() == expected, "length \(length)")
            }
        }
    }

    @Test("a message in up to three parts, joined on the stack or not, hashes like the whole message")
    func parts() {
        var rng = SeededGenerator(seed: 0xC0FFEE)
        for length in [0, 1, 33, 55, 56, 64, 65, 97, 255, 256, 257, 600] {
            let message = rng.bytes(length)
            let expected = SHA256.hash(message)
            for _ in 0..<20 {
                let i = Int.random(in: 0...length, using: &rng), j = Int.random(in: i...length, using: &rng)
                let digest = message.withUnsafeBytes { all in
                    SHA256.hash(UnsafeRawBufferPointer(rebasing: all[..<i]), UnsafeRawBufferPointer(rebasing: all[i..<j]), UnsafeRawBufferPointer(rebasing: all[j...]))
                }
                #expect(digest == expected, "length \(length) split at \(i), \(j)")
                let two = message.withUnsafeBytes { all in SHA256.hash(UnsafeRawBufferPointer(rebasing: all[..<i]), UnsafeRawBufferPointer(rebasing: all[i...])) }
                #expect(two == expected, "length \(length) split at \(i)")
            }
        }
        var hasher = SHA256()
        hasher.update(Array("abc".utf8))
        #expect(hasher.digest().hex == Self.vectors[1].digest)
    }

    @Test("finalize resets the hasher for the next message")
    func finalizeResets() {
        var hasher = SHA256()
        hasher.update(Array("abc".utf8))
        _ = hasher.finalize()
        #expect(hasher.finalize().hex == Self.vectors[0].digest)
        hasher.update(Array("abc".utf8))
        #expect(hasher.finalize().hex == Self.vectors[1].digest)
    }

    @Test("copying a hasher forks its state")
    func copyForks() {
        var prefix = SHA256()
        prefix.update(Array("ab".utf8))
        var fork = prefix
        fork.update(Array("c".utf8))
        prefix.update(Array("d".utf8))
        #expect(fork.finalize().hex == Self.vectors[1].digest)
        #expect(prefix.finalize() == SHA256.hash("abd"))
    }

    @Test("update(digest) feeds the digest's 32 bytes")
    func updateWithDigest() {
        let a = SHA256.hash("a")
        let b = SHA256.hash("b")
        var hasher = SHA256()
        hasher.update(a)
        hasher.update(b)
        #expect(hasher.finalize() == SHA256.hash(a.bytes + b.bytes))
    }
}

@Suite("SHA256Digest")
struct SHA256DigestTests {
    @Test("hex round trip, either case, and byte order")
    func hexRoundTrip() throws {
        let digest = SHA256.hash("abc")
        #expect(digest.bytes.count == SHA256Digest.byteCount)
        #expect(digest.bytes.first == 0xBA && digest.bytes.last == 0xAD)
        #expect(SHA256Digest(hex: digest.hex) == digest)
        #expect(SHA256Digest(hex: digest.hex.uppercased()) == digest)
        #expect(SHA256Digest(hex: digest.hex[...]) == digest)
        #expect(SHA256Digest(bytes: digest.bytes) == digest)
        #expect(digest.description == digest.hex)
        #expect(digest.withUnsafeBytes { Array($0) } == digest.bytes)
    }

    @Test("bad hex is rejected", arguments: [
        "",
        String(repeating: "0", count: 63),
        String(repeating: "0", count: 65),
        String(repeating: "0", count: 62) + "0g",
        " " + String(repeating: "0", count: 63),
        String(repeating: "é", count: 32),  // 64 UTF-8 bytes, not hex
    ])
    func badHex(_ text: String) {
        #expect(SHA256Digest(hex: text) == nil)
    }

    @Test("only exactly 32 bytes make a digest")
    func byteLength() {
        #expect(SHA256Digest(bytes: [UInt8](repeating: 1, count: 31)) == nil)
        #expect(SHA256Digest(bytes: [UInt8](repeating: 1, count: 33)) == nil)
        #expect(SHA256Digest(bytes: [UInt8](repeating: 0, count: 32)) == .zero)
        #expect(SHA256Digest.zero.hex == String(repeating: "0", count: 64))
    }

    @Test("equal digests hash equally; different digests differ in every word")
    func hashable() {
        var set = Set<SHA256Digest>()
        for i in 0..<100 { set.insert(SHA256.hash("\(i)")) }
        set.insert(SHA256.hash("0"))
        #expect(set.count == 100)
        // A digest that differs only in its last byte must not compare equal.
        var bytes = SHA256.hash("x").bytes
        let original = SHA256Digest(bytes: bytes)
        bytes[31] ^= 1
        #expect(SHA256Digest(bytes: bytes) != original)
    }
}
