import AuditTestSupport
import AuditCompression
import Testing

@Suite("Gzip round trips and member decoding")
struct GzipTests {
    static let limit = 64 << 20

    /// Decodes through both entry points, the streaming one and the one told where the member ends
    /// (libdeflate's whole-member path for an intact member), and requires the same answer from each:
    /// the same member, or the same error code, offset and message. Every test below runs both.
    static func inflateMember(_ data: [UInt8], at offset: Int = 0, maxOutput: Int = limit) throws -> GzipMember {
        let streamed = Result { try data.withUnsafeBytes { try Gzip.inflateMember($0, at: offset, maxOutput: maxOutput) } }
        let end = (try? streamed.get()).map { $0.isComplete ? $0.compressedRange.upperBound : data.count } ?? data.count
        let located = Result { try data.withUnsafeBytes { try Gzip.inflateMember($0, at: offset, expectedEnd: end, maxOutput: maxOutput) } }
        switch (streamed, located) {
        case (.success(let a), .success(let b)):
            #expect(a == b, "the two decoding paths disagree at offset \(offset)")
        case (.failure(let a as CompressionError), .failure(let b as CompressionError)):
            #expect(a.code == b.code && a.offset == b.offset && a.message == b.message, "\(a) against \(b)")
        default:
            Issue.record("one decoding path failed and the other did not: \(streamed) against \(located)")
        }
        return try streamed.get()
    }

    @Test("round trips: empty, one byte, 1 MiB random, 10 MiB JSON-like text")
    func roundTrips() throws {
        var rng = SeededGenerator(seed: 7)
        let inputs: [(String, [UInt8])] = [
            ("empty", []),
            ("one byte", [0x42]),
            ("1 MiB random", rng.bytes(1 << 20)),
            ("10 MiB JSON-like", Corpus.jsonText(bytes: 10 << 20)),
        ]
        for (name, input) in inputs {
            let compressed = try Gzip.deflate(input)
            let member = try Self.inflateMember(compressed)
            #expect(member.isComplete, "\(name)")
            #expect(member.bytes == input, "\(name)")
            #expect(member.compressedRange == 0..<compressed.count, "\(name)")
            #expect(try Gzip.inflateAll(compressed, maxOutput: Self.limit) == input, "\(name)")
        }
    }

    @Test("repetitive text compresses well and random data barely grows")
    func ratios() throws {
        let text = Corpus.jsonText(bytes: 1 << 20)
        #expect(try Gzip.deflate(text).count < text.count / 3)
        var rng = SeededGenerator(seed: 8)
        let random = rng.bytes(1 << 20)
        #expect(try Gzip.deflate(random).count < random.count + random.count / 500 + 64)
    }

    @Test("every compression level round trips", arguments: [Int32(-1), 0, 1, 6, 9])
    func levels(_ level: Int32) throws {
        let text = Corpus.jsonText(bytes: 100_000)
        #expect(try Gzip.inflateAll(Gzip.deflate(text, level: level), maxOutput: Self.limit) == text)
    }

    @Test("inflateMember at a member's offset in a multi-member buffer returns exactly that member")
    func memberInTheMiddle() throws {
        let blocks = (0..<5).map { Corpus.jsonText(bytes: 20_000 + $0 * 3_000, seed: UInt64($0)) }
        var file: [UInt8] = []
        var offsets: [Int] = []
        let deflater = try GzipDeflater()
        for block in blocks {
            offsets.append(file.count)
            try deflater.write(block, into: &file)
            try deflater.finish(into: &file)
        }
        offsets.append(file.count)
        for (i, block) in blocks.enumerated() {
            let member = try Self.inflateMember(file, at: offsets[i])
            #expect(member.isComplete)
            #expect(member.bytes == block, "block \(i)")
            #expect(member.compressedRange == offsets[i]..<offsets[i + 1], "block \(i)")
        }
        #expect(try Gzip.inflateAll(file, maxOutput: Self.limit) == blocks.flatMap { $0 })
        // The end of the buffer is an empty, incomplete member (nothing written yet).
        let end = try Self.inflateMember(file, at: file.count)
        #expect(!end.isComplete && end.bytes.isEmpty && end.compressedRange == file.count..<file.count)
    }

    @Test("a sync-flushed but unfinished member decodes to everything written before the sync")
    func syncedUnfinished() throws {
        let lines = Corpus.jsonLines(count: 40)
        let deflater = try GzipDeflater()
        var file: [UInt8] = []
        // A finished first block, so the open member is not at offset 0.
        try deflater.write(lines[0], into: &file)
        try deflater.finish(into: &file)
        let openOffset = file.count

        var synced: [UInt8] = []
        for line in lines[1..<30] {
            try deflater.write(line, into: &file)
            synced += line
        }
        try deflater.sync(into: &file)
        #expect(deflater.uncompressedBytesInMember == synced.count)
        let afterSync = file
        for line in lines[30...] { try deflater.write(line, into: &file) }  // buffered, not synced

        for data in [afterSync, file] {
            let member = try Self.inflateMember(data, at: openOffset)
            #expect(!member.isComplete)
            #expect(member.bytes == synced)
            #expect(member.compressedRange == openOffset..<data.count)
        }
        #expect(throws: CompressionError(code: .truncated, message: "")) {
            try Gzip.inflateAll(afterSync, maxOutput: Self.limit)
        }

        // Syncing twice in a row is harmless, and finishing completes the member.
        try deflater.sync(into: &file)
        try deflater.sync(into: &file)
        try deflater.finish(into: &file)
        let complete = try Self.inflateMember(file, at: openOffset)
        #expect(complete.isComplete)
        #expect(complete.bytes == lines[1...].flatMap { $0 })
    }

    @Test("a member truncated at every byte position yields a prefix of what was written, never an error")
    func truncatedEverywhere() throws {
        let lines = Corpus.jsonLines(count: 12)
        let deflater = try GzipDeflater()
        var member: [UInt8] = []
        var written: [UInt8] = []
        for (i, line) in lines.enumerated() {
            try deflater.write(line, into: &member)
            written += line
            if i % 4 == 3 { try deflater.sync(into: &member) }
        }
        try deflater.finish(into: &member)
        // Put a complete member in front so offsets other than 0 are exercised too.
        let prefix = try Gzip.deflate(Array("first block\n".utf8))
        let file = prefix + member

        var longestSeen = 0
        for cut in prefix.count..<file.count {
            let torn = Array(file[..<cut])
            let result = try Self.inflateMember(torn, at: prefix.count)
            #expect(!result.isComplete, "cut at \(cut)")
            #expect(written.starts(with: result.bytes), "cut at \(cut): bytes that were never written")
            #expect(result.bytes.count >= longestSeen, "cut at \(cut): output shrank")
            #expect(result.compressedRange == prefix.count..<cut)
            longestSeen = result.bytes.count
        }
        // Once all deflate data is present only the trailer is missing: all bytes, still incomplete.
        let withoutTrailer = try Self.inflateMember(Array(file.dropLast(8)), at: prefix.count)
        #expect(withoutTrailer.bytes == written && !withoutTrailer.isComplete)
        let whole = try Self.inflateMember(file, at: prefix.count)
        #expect(whole.isComplete && whole.bytes == written)
    }

    @Test("a flipped byte in the CRC-32 or ISIZE trailer is a checksum mismatch at the member's offset")
    func trailerDamage() throws {
        let first = try Gzip.deflate(Array("one".utf8))
        let second = try Gzip.deflate(Corpus.jsonText(bytes: 5_000))
        let file = first + second
        for position in (file.count - 8)..<file.count {
            var damaged = file
            damaged[position] ^= 0x01
            let error = try #require(throws: CompressionError.self) {
                try Self.inflateMember(damaged, at: first.count)
            }
            #expect(error.code == .checksumMismatch, "byte \(position)")
            #expect(error.offset == first.count)
            #expect(throws: CompressionError(code: .checksumMismatch, message: "")) {
                try Gzip.inflateAll(damaged, maxOutput: Self.limit)
            }
        }
    }

    @Test("garbage, zlib-wrapped data and bad gzip headers are notGzip")
    func notGzip() throws {
        var rng = SeededGenerator(seed: 9)
        let good = try Gzip.deflate(Array("hello".utf8))
        var badMethod = good
        badMethod[2] = 7
        var reservedFlag = good
        reservedFlag[3] = 0x20
        let cases: [(String, [UInt8])] = [
            ("text", Array("this is not gzip at all".utf8)),
            ("random", [0x00] + rng.bytes(100)),
            ("zlib wrapper", [0x78, 0x9C, 0x4B, 0x04, 0x00, 0x00, 0x62, 0x00, 0x62]),
            ("second magic byte", [0x1F, 0x00, 0x08]),
            ("compression method", badMethod),
            ("reserved flag", reservedFlag),
        ]
        for (name, data) in cases {
            let error = try #require(throws: CompressionError.self, "\(name)") { try Self.inflateMember(data) }
            #expect(error.code == .notGzip, "\(name)")
            #expect(error.offset == 0)
        }
        // After a valid member, trailing garbage is reported at its own offset.
        let error = try #require(throws: CompressionError.self) {
            try Gzip.inflateAll(good + Array("junk".utf8), maxOutput: Self.limit)
        }
        #expect(error.code == .notGzip && error.offset == good.count)
        // A lone first magic byte is merely the start of a member.
        let start = try Self.inflateMember([0x1F])
        #expect(!start.isComplete && start.bytes.isEmpty)
    }

    @Test("invalid deflate data is corruptData")
    func corruptDeflate() throws {
        var data = try Gzip.deflate(Corpus.jsonText(bytes: 10_000))
        // BFINAL=1, BTYPE=11: a reserved block type, invalid in any deflate stream.
        data[10] = 0x07
        let error = try #require(throws: CompressionError.self) { try Self.inflateMember(data) }
        #expect(error.code == .corruptData)
        #expect(error.offset == 0)
        #expect(String(describing: error).contains("invalid block type"))
    }

    @Test("maxOutput bounds decompression, per member and in total")
    func outputLimit() throws {
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        let bomb = try Gzip.deflate(zeros)
        #expect(bomb.count < 2_000)
        for limit in [0, 1, 1000, zeros.count - 1] {
            #expect(throws: CompressionError(code: .outputLimitExceeded, message: ""), "limit \(limit)") {
                try Self.inflateMember(bomb, maxOutput: limit)
            }
        }
        #expect(try Self.inflateMember(bomb, maxOutput: zeros.count).bytes.count == zeros.count)
        #expect(try Self.inflateMember(try Gzip.deflate([]), maxOutput: 0).isComplete)

        // A torn member is bounded too.
        let error = try #require(throws: CompressionError.self) {
            try Self.inflateMember(Array(bomb.dropLast(8)), maxOutput: 1000)
        }
        #expect(error.code == .outputLimitExceeded)

        let twoMembers = bomb + bomb
        #expect(throws: CompressionError(code: .outputLimitExceeded, message: "")) {
            try Gzip.inflateAll(twoMembers, maxOutput: 2 * zeros.count - 1)
        }
        #expect(try Gzip.inflateAll(twoMembers, maxOutput: 2 * zeros.count).count == 2 * zeros.count)
    }

    @Test("a member's expected end only sizes the output: a lying length field or end changes no result")
    func expectedEndIsAHint() throws {
        let text = Array((0..<20_000).map { "line \($0)\n" }.joined().utf8)
        let member = try Gzip.deflate(text)
        let data = member + (try Gzip.deflate([1, 2, 3]))
        func inflate(_ data: [UInt8], end: Int, maxOutput: Int = Self.limit) throws -> GzipMember {
            try data.withUnsafeBytes { try Gzip.inflateMember($0, at: 0, expectedEnd: end, maxOutput: maxOutput) }
        }
        for end in [member.count, 0, 17, member.count - 1, data.count, data.count + 5] {
            let hinted = try inflate(data, end: end)
            #expect(hinted.bytes == text && hinted.isComplete && hinted.compressedRange == 0..<member.count, "end \(end)")
        }
        for size in [UInt32(0), 1, UInt32(text.count - 1), UInt32.max] {
            // The trailer's length field rewritten where the caller expects the member to end: the member itself
            // fails its trailer check; a copy of it elsewhere only misleads the buffer size.
            let lying = member + [0, 0, 0, 0] + withUnsafeBytes(of: size.littleEndian, Array.init)
            let hinted = try inflate(lying, end: lying.count)
            #expect(hinted.bytes == text && hinted.compressedRange == 0..<member.count, "size \(size)")
            #expect(throws: CompressionError(code: .outputLimitExceeded, message: "")) { try inflate(lying, end: lying.count, maxOutput: text.count - 1) }
        }
    }

    @Test("optional header fields (FEXTRA, FNAME, FCOMMENT, FHCRC) are parsed, and a bad header CRC is notGzip")
    func optionalHeaderFields() throws {
        let text = Array("optional fields\n".utf8)
        let plain = try Gzip.deflate(text)
        let deflateData = plain[10...]  // raw deflate data and trailer
        var header: [UInt8] = [0x1F, 0x8B, 0x08, 0x02 | 0x04 | 0x08 | 0x10, 0, 0, 0, 0, 0, 3]
        header += [3, 0, 0xAA, 0xBB, 0xCC]  // FEXTRA, XLEN = 3
        header += Array("name.log".utf8) + [0]
        header += Array("a comment".utf8) + [0]
        let crc = CRC32.checksum(header)
        header += [UInt8(crc & 0xFF), UInt8(crc >> 8 & 0xFF)]
        let member = header + deflateData

        let decoded = try Self.inflateMember(member)
        #expect(decoded.isComplete && decoded.bytes == text && decoded.compressedRange == 0..<member.count)
        // Truncated inside the optional fields: incomplete, nothing decoded.
        for cut in 0..<header.count {
            let torn = try Self.inflateMember(Array(member[..<cut]))
            #expect(!torn.isComplete && torn.bytes.isEmpty, "cut at \(cut)")
        }
        var badCRC = member
        badCRC[header.count - 1] ^= 0xFF
        #expect(throws: CompressionError(code: .notGzip, message: "")) { try Self.inflateMember(badCRC) }
    }

    @Test("an offset outside the input is rejected")
    func badOffset() throws {
        let data = try Gzip.deflate([1, 2, 3])
        for offset in [-1, data.count + 1] {
            #expect(throws: CompressionError(code: .invalidArgument, message: "")) {
                try Self.inflateMember(data, at: offset)
            }
        }
    }

    @Test("CompressionError equality is by code only; the description names the offset")
    func errorEquality() {
        let a = CompressionError(code: .corruptData, message: "a", offset: 1)
        let b = CompressionError(code: .corruptData, message: "b", offset: 2)
        #expect(a == b)
        #expect(a != CompressionError(code: .notGzip, message: "a", offset: 1))
        #expect(String(describing: a) == "CompressionError.corruptData: a (member at byte offset 1)")
    }
}
