import AuditCompression
import Testing

@Suite("GzipDeflater")
struct GzipDeflaterTests {
    @Test("finishing with nothing written gives a valid empty member, and the deflater is reusable")
    func emptyMember() throws {
        let deflater = try GzipDeflater()
        var output: [UInt8] = []
        try deflater.finish(into: &output)
        #expect(output.count == 20)  // 10-byte header, 2-byte empty final block, 8-byte trailer
        #expect(Array(output.suffix(8)) == [0, 0, 0, 0, 0, 0, 0, 0])  // CRC-32 and ISIZE of nothing
        let member = try output.withUnsafeBytes { try Gzip.inflateMember($0, at: 0, maxOutput: 0) }
        #expect(member.isComplete && member.bytes.isEmpty)

        try deflater.finish(into: &output)
        #expect(try Gzip.inflateAll(output, maxOutput: 0).isEmpty)
    }

    @Test("the header is a fixed, deterministic gzip header")
    func header() throws {
        let a = try Gzip.deflate(Array("same input".utf8))
        let b = try Gzip.deflate(Array("same input".utf8))
        #expect(a == b)
        // Magic, deflate, no flags, mtime 0, then XFL and OS (3 = Unix).
        #expect(Array(a.prefix(8)) == [0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00])
    }

    @Test("uncompressedBytesInMember counts the open member and resets on finish")
    func counter() throws {
        let deflater = try GzipDeflater()
        var output: [UInt8] = []
        #expect(deflater.uncompressedBytesInMember == 0)
        try deflater.write([1, 2, 3], into: &output)
        try deflater.sync(into: &output)
        try [UInt8](repeating: 9, count: 100).withUnsafeBytes { try deflater.write($0, into: &output) }
        #expect(deflater.uncompressedBytesInMember == 103)
        try deflater.finish(into: &output)
        #expect(deflater.uncompressedBytesInMember == 0)
        try deflater.write([4], into: &output)
        #expect(deflater.uncompressedBytesInMember == 1)
    }

    @Test("write appends to existing output rather than replacing it")
    func appends() throws {
        let deflater = try GzipDeflater()
        var output: [UInt8] = [0xEE, 0xEE]
        try deflater.write(Array("abc".utf8), into: &output)
        try deflater.finish(into: &output)
        #expect(Array(output.prefix(2)) == [0xEE, 0xEE])
        let member = try output.withUnsafeBytes { try Gzip.inflateMember($0, at: 2, maxOutput: 10) }
        #expect(member.bytes == Array("abc".utf8))
    }

    @Test("levels outside -1...9 are rejected", arguments: [Int32(-2), 10, 100])
    func badLevel(_ level: Int32) {
        #expect(throws: CompressionError(code: .invalidArgument, message: "")) { try GzipDeflater(level: level) }
    }

    @Test("sync makes every byte written so far decodable from the output so far, at every record")
    func syncEveryRecord() throws {
        let deflater = try GzipDeflater()
        var output: [UInt8] = []
        var written: [UInt8] = []
        for line in Corpus.jsonLines(count: 50) {
            try deflater.write(line, into: &output)
            written += line
            try deflater.sync(into: &output)
            let member = try output.withUnsafeBytes { try Gzip.inflateMember($0, at: 0, maxOutput: 1 << 20) }
            #expect(member.bytes == written)
            #expect(!member.isComplete)
        }
    }
}
