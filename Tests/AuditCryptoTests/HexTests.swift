import AuditCrypto
import Testing

@Suite("Hex")
struct HexTests {
    @Test("RFC 4648 section 10 base16 vectors")
    func rfcVectors() {
        let vectors = [("", ""), ("f", "66"), ("fo", "666f"), ("foo", "666f6f"), ("foob", "666f6f62"),
                       ("fooba", "666f6f6261"), ("foobar", "666f6f626172")]
        for (plain, encoded) in vectors {
            #expect(Hex.encode(Array(plain.utf8)) == encoded)
            #expect(Hex.decode(encoded) == Array(plain.utf8))
            #expect(Hex.decode(encoded.uppercased()) == Array(plain.utf8))
        }
    }

    @Test("every byte value round trips, from contiguous and lazy sequences")
    func allBytes() {
        let bytes = (0...255).map { UInt8($0) }
        let encoded = Hex.encode(bytes)
        #expect(encoded.count == 512)
        #expect(encoded.hasPrefix("000102") && encoded.hasSuffix("fdfeff"))
        #expect(Hex.encode(bytes.lazy.map { $0 }) == encoded)
        #expect(Hex.decode(encoded) == bytes)
        #expect(Hex.decode(encoded[...]) == bytes)
    }

    @Test("malformed hex is rejected", arguments: ["0", "abc", "0g", "g0", "0x00", " 00", "00 ", "0-", "zz"])
    func rejects(_ text: String) {
        #expect(Hex.decode(text) == nil)
    }
}
