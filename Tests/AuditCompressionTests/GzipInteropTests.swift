import AuditCompression
import Testing

/// Segment files must stay readable by standard tools (`zcat`, `gzip -dc`), and
/// standard tools' output must be readable by us. These tests run the real `gzip`.
@Suite("Gzip interop with the gzip CLI")
struct GzipInteropTests {
    @Test("a multi-member file with synced and empty members decodes with gzip -dc and inflateAll")
    func multiMemberWithGzip() throws {
        let cli = GzipCommandLine()
        let deflater = try GzipDeflater()
        var file: [UInt8] = []
        var expected: [UInt8] = []
        for (i, line) in Corpus.jsonLines(count: 3_000).enumerated() {
            try deflater.write(line, into: &file)
            expected += line
            if i % 100 == 99 { try deflater.sync(into: &file) }
            if deflater.uncompressedBytesInMember > 64 * 1024 { try deflater.finish(into: &file) }
        }
        try deflater.finish(into: &file)
        try deflater.finish(into: &file)  // an empty member at the end
        try cli.write("segment.gz", file)

        let result = try cli.gzip("-dc", "segment.gz", stdoutFile: "out")
        #expect(result.status == 0, "gzip: \(result.stderr)")
        #expect(try cli.read("out") == expected)
        #expect(try Gzip.inflateAll(file, maxOutput: 1 << 30) == expected)
        let test = try cli.gzip("-t", "segment.gz", stdoutFile: "test-out")
        #expect(test.status == 0, "gzip -t: \(test.stderr)")
    }

    @Test("whole members (libdeflate) between streamed ones decode with gzip -dc, with zlib's header for the level", arguments: [Int32(1), 5, 6, 9])
    func wholeMembers(_ level: Int32) throws {
        let cli = GzipCommandLine()
        let deflater = try GzipDeflater(level: level)
        var file: [UInt8] = []
        var expected: [UInt8] = []
        let blocks = [Corpus.jsonText(bytes: 70_000, seed: 1), [], Array("x".utf8), Corpus.jsonText(bytes: 300_000, seed: 2)]
        for (i, block) in blocks.enumerated() {
            let start = file.count
            try block.withUnsafeBytes { try deflater.writeWholeMember($0, into: &file) }
            expected += block
            let member = try file.withUnsafeBytes { try Gzip.inflateMember($0, at: start, maxOutput: 1 << 30) }
            #expect(member.isComplete && member.bytes == block && member.compressedRange == start..<file.count, "block \(i)")
            // The same 10-byte header as zlib's member for this level.
            #expect(Array(file[start..<(start + 10)]) == Array(try Gzip.deflate(block, level: level)[..<10]), "block \(i)")
            // A streamed member in between: the two kinds mix in one file.
            try deflater.write(Array("streamed \(i)\n".utf8), into: &file)
            expected += Array("streamed \(i)\n".utf8)
            // Not while it is open.
            #expect(throws: CompressionError(code: .invalidArgument, message: "")) {
                try block.withUnsafeBytes { try deflater.writeWholeMember($0, into: &file) }
            }
            try deflater.finish(into: &file)
        }
        try cli.write("segment.gz", file)
        let result = try cli.gzip("-dc", "segment.gz", stdoutFile: "out")
        #expect(result.status == 0, "gzip: \(result.stderr)")
        #expect(try cli.read("out") == expected)
        // libdeflate at the same level is within a few per cent of zlib's size (usually smaller).
        var whole: [UInt8] = []
        let text = Corpus.jsonText(bytes: 256 << 10, seed: 3)
        try text.withUnsafeBytes { try deflater.writeWholeMember($0, into: &whole) }
        #expect(Double(whole.count) <= Double(try Gzip.deflate(text, level: level).count) * 1.05)
    }

    @Test("gzip's own output, with a file name in the header and concatenated members, decodes")
    func gzipOutputDecodes() throws {
        let cli = GzipCommandLine()
        let a = Corpus.jsonText(bytes: 300_000, seed: 11)
        let b = Corpus.jsonText(bytes: 1_000, seed: 12)
        try cli.write("a.log", a)
        try cli.write("b.log", b)
        // `gzip -c FILE` stores FILE's name (FNAME) in the header.
        #expect(try cli.gzip("-c", "-9", "a.log", stdoutFile: "a.gz").status == 0)
        #expect(try cli.gzip("-c", "-1", "b.log", stdoutFile: "b.gz").status == 0)
        let aGz = try cli.read("a.gz")
        let bGz = try cli.read("b.gz")
        #expect(aGz[3] & 0x08 != 0, "expected gzip to set FNAME")

        let both = aGz + bGz
        #expect(try Gzip.inflateAll(both, maxOutput: 1 << 30) == a + b)
        let second = try both.withUnsafeBytes { try Gzip.inflateMember($0, at: aGz.count, maxOutput: 1 << 30) }
        #expect(second.isComplete && second.bytes == b && second.compressedRange == aGz.count..<both.count)
    }

    @Test("gzip -dc recovers everything before the last sync of a torn member")
    func gzipReadsTornSyncedMember() throws {
        let cli = GzipCommandLine()
        let deflater = try GzipDeflater()
        var file: [UInt8] = []
        let synced = Corpus.jsonText(bytes: 50_000)
        try deflater.write(synced, into: &file)
        try deflater.sync(into: &file)
        try cli.write("torn.gz", file)
        let result = try cli.gzip("-dc", "torn.gz", stdoutFile: "out")
        #expect(result.status != 0)  // gzip reports the missing end
        #expect(try cli.read("out") == synced)
    }
}
