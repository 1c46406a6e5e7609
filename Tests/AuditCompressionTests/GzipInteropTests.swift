import AuditCompression
import Testing

/// Segment files must stay readable by standard tools (`zcat`, `gzip -dc`), and
/// standard tools' output must be readable by us. These tests run the real `gzip`.
@Suite("Gzip interop with the gzip CLI")
struct GzipInteropTests {
    @Test("a multi-member file with synced and empty members decodes with gzip -dc and inflateAll")
    func multiMemberWithGzip() throws {
        let cli = try GzipCommandLine()
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

    @Test("gzip's own output, with a file name in the header and concatenated members, decodes")
    func gzipOutputDecodes() throws {
        let cli = try GzipCommandLine()
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
        let cli = try GzipCommandLine()
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
