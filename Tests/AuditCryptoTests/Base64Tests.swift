import AuditTestSupport
import AuditCrypto
import Testing

@Suite("Base64")
struct Base64Tests {
    @Test("RFC 4648 section 10 vectors")
    func rfcVectors() {
        let vectors = [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
                       ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")]
        for (plain, encoded) in vectors {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.decode(encoded) == Array(plain.utf8))
        }
    }

    @Test("the full alphabet, including + and /, round trips")
    func alphabet() {
        let bytes: [UInt8] = [0x00, 0x10, 0x83, 0x10, 0x51, 0x87, 0x20, 0x92, 0x8B, 0x30, 0xD3, 0x8F,
                              0x41, 0x14, 0x93, 0x51, 0x55, 0x97, 0x61, 0x96, 0x9B, 0x71, 0xD7, 0x9F,
                              0x82, 0x18, 0xA3, 0x92, 0x59, 0xA7, 0xA2, 0x9A, 0xAB, 0xB2, 0xDB, 0xAF,
                              0xC3, 0x1C, 0xB3, 0xD3, 0x5D, 0xB7, 0xE3, 0x9E, 0xBB, 0xF3, 0xDF, 0xBF]
        let text = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        #expect(Base64.encode(bytes) == text)
        #expect(Base64.decode(text) == bytes)
        #expect(Base64.encode(bytes.lazy.map { $0 }) == text)
    }

    @Test("random lengths round trip")
    func randomRoundTrip() {
        var rng = SeededGenerator(seed: 64)
        for length in 0..<200 {
            let bytes = rng.bytes(length)
            let text = Base64.encode(bytes)
            #expect(text.utf8.count == (length + 2) / 3 * 4)
            #expect(Base64.decode(text) == bytes)
            #expect(Base64.decode(text[...]) == bytes)
        }
    }

    @Test("non-canonical or malformed text is rejected", arguments: [
        "Zg",  // padding missing
        "Zg=",  // padding short
        "Zm9",  // length not a multiple of 4
        "Zh==",  // non-zero bits under the padding
        "Zm9=",  // non-zero bits under the padding
        "Zm 9v",  // whitespace
        "Zm9v\n",  // line break
        "Zm9v\r\nYmFy",
        "Zm-_",  // URL-safe alphabet
        "=Zm9",  // padding first
        "Zg==Zg==",  // padding in the middle
        "Z===",
        "====",
        "Zm9vYmFy=",
        "Zm9vYmF√",
    ])
    func strict(_ text: String) {
        #expect(Base64.decode(text) == nil)
    }
}
