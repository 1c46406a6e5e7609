import AuditTestSupport
@testable import AuditCompression
import Testing

@Suite("libdeflate's whole-member path answers for intact members only")
struct WholeMemberInflaterTests {
    static func inflate(_ data: [UInt8], at offset: Int = 0, expectedSize: Int, maxOutput: Int = 64 << 20) -> GzipMember? {
        data.withUnsafeBytes { WholeMemberInflater.inflate($0, at: offset, expectedSize: expectedSize, maxOutput: maxOutput) }
    }

    @Test("intact members, synced or not, with optional header fields, decode as zlib decodes them")
    func intact() throws {
        let lines = Corpus.jsonLines(count: 2_000)
        let deflater = try GzipDeflater()
        var file = try Gzip.deflate([])
        var blocks: [(offset: Int, bytes: [UInt8])] = [(0, [])]
        for chunk in stride(from: 0, to: lines.count, by: 300) {
            let offset = file.count
            var written: [UInt8] = []
            for (i, line) in lines[chunk..<min(chunk + 300, lines.count)].enumerated() {
                try deflater.write(line, into: &file)
                written += line
                if i % 50 == 49 { try deflater.sync(into: &file) }  // group commits inside the block
            }
            try deflater.finish(into: &file)
            blocks.append((offset, written))
        }
        for (i, block) in blocks.enumerated() {
            let member = try #require(Self.inflate(file, at: block.offset, expectedSize: block.bytes.count), "block \(i)")
            let streamed = try file.withUnsafeBytes { try Gzip.inflateMember($0, at: block.offset, maxOutput: 64 << 20) }
            #expect(member == streamed && member.isComplete && member.bytes == block.bytes, "block \(i)")
        }
        // FEXTRA, FNAME, FCOMMENT and FHCRC: the header is parsed by GzipHeader, as on the streaming path.
        let text = Array("optional fields\n".utf8)
        var header: [UInt8] = [0x1F, 0x8B, 0x08, 0x04 | 0x08 | 0x10, 0, 0, 0, 0, 0, 3, 2, 0, 0xAA, 0xBB]
        header += Array("name.log".utf8) + [0] + Array("comment".utf8) + [0]
        let member = header + (try Gzip.deflate(text))[10...]
        #expect(Self.inflate(member, expectedSize: text.count)?.bytes == text)
    }

    @Test("anything else is left to zlib: a wrong size, damage anywhere, a torn member, output over the limit")
    func declines() throws {
        let text = Corpus.jsonText(bytes: 50_000)
        let member = try Gzip.deflate(text)
        #expect(Self.inflate(member, expectedSize: text.count) != nil)
        // The size is taken from the trailer, which an attacker controls. Too small: left to zlib. Larger than
        // the output: only a bigger buffer (the trailer itself is still checked). Over the limit: left to zlib.
        for size in [0, 1, text.count - 1] {
            #expect(Self.inflate(member, expectedSize: size) == nil, "size \(size)")
        }
        for size in [text.count + 1, 2 * text.count] {
            #expect(Self.inflate(member, expectedSize: size)?.bytes == text, "size \(size)")
        }
        #expect(Self.inflate(member, expectedSize: Int(UInt32.max)) == nil)
        var lyingTrailer = member
        lyingTrailer[lyingTrailer.count - 4] ^= 0x01
        #expect(Self.inflate(lyingTrailer, expectedSize: text.count + 300) == nil)
        #expect(Self.inflate(member, expectedSize: text.count, maxOutput: text.count - 1) == nil)
        #expect(Self.inflate(member, expectedSize: -1) == nil)
        // A flipped bit in every byte past the fixed header (a bit in MTIME, XFL or OS changes nothing).
        var accepted: [Int] = []
        for position in 10..<member.count {
            var damaged = member
            damaged[position] ^= 0x10
            if let decoded = Self.inflate(damaged, expectedSize: text.count) {
                // Deflate can absorb a flipped bit only by decoding the same bytes; the CRC-32 sees anything else.
                #expect(decoded.bytes.count == text.count && decoded.bytes == text, "byte \(position)")
                accepted.append(position)
            }
        }
        #expect(accepted.count < 4, "flipped bits the fast path accepted: \(accepted)")
        for cut in [0, 5, 10, member.count / 2, member.count - 8, member.count - 1] {
            #expect(Self.inflate(Array(member[..<cut]), expectedSize: text.count) == nil, "cut at \(cut)")
        }
        var badMagic = member
        badMagic[0] = 0
        #expect(Self.inflate(badMagic, expectedSize: text.count) == nil)
        #expect(Self.inflate(member, at: member.count, expectedSize: 0) == nil)
    }
}
