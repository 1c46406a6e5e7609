import AuditTestSupport
import AuditCrypto
import AuditModel
import Foundation
import Testing
@testable import AuditStore

@Suite("Segment index (format and builder)")
struct SegmentIndexTests {
    /// A sealed store of `count` events in small blocks so segments have many blocks and pages.
    static func store(_ dir: TemporaryDirectory, count: Int, perSegment: Int, blockBytes: Int = 1024, event: (Int) -> AuditEvent = { Fixtures.event($0) }) throws -> String {
        let path = dir.child("store")
        let writer = try StoreWriter(path: path, key: Fixtures.key(), configuration: Fixtures.configuration {
            $0.segmentMaxEvents = perSegment
            $0.blockBytes = blockBytes
        })
        var last: UInt64 = 0
        for n in 1...count { last = try writer.append(event(n)) }
        try writer.waitUntilDurable(last)
        try writer.close()
        return path
    }

    @Test("the builder's radix sort gives sorted distinct entries, like a comparison sort")
    func sortUnique() {
        var rng = SystemRandomNumberGenerator()
        let shapes: [[UInt64]] = [
            [], [7], [3, 3], [2, 1], [UInt64.max, 0, UInt64.max, 1 << 63],
            (0..<1000).map { _ in UInt64(UInt32.random(in: 0...50, using: &rng)) << 32 | 17 },
            (0..<5000).map { _ in UInt64.random(in: 0...UInt64.max, using: &rng) },
            (0..<3000).map { i in UInt64(UInt32.random(in: 0...UInt32.max, using: &rng)) << 32 | UInt64(i / 100) },
            [UInt64](repeating: 42, count: 300),
        ]
        for entries in shapes {
            var sorted = entries
            let count = sorted.withUnsafeMutableBufferPointer { SegmentIndex.Builder.sortUnique($0) }
            #expect(Array(sorted[..<count]) == Array(Set(entries)).sorted(), "\(entries.count) entries")
        }
    }

    @Test("the index the writer builds at seal equals the one rebuilt from the segment, and its manifest signs it")
    func writerEqualsRebuild() throws {
        let dir = TemporaryDirectory()
        let path = try Self.store(dir, count: 700, perSegment: 300)
        let layout = StoreLayout(root: path)
        for number in UInt64(1)...3 {
            let manifest = try SegmentManifest(bytes: FileSystem.readFile(layout.manifest(number)))
            let signed = try #require(manifest.index)
            let onDisk = try FileSystem.readFile(layout.index(number))
            let rebuilt = try SegmentIndex.build(segmentBytes: FileSystem.readFile(layout.segment(number)))
            #expect(rebuilt.bytes == onDisk)
            #expect(rebuilt.root == signed.root && onDisk.count == signed.bytes)
            let directory = try SegmentIndex.check(onDisk, root: signed.root, bytes: signed.bytes)
            #expect(directory.blockCount == manifest.blocks.count && directory.recordCount == manifest.recordCount)
            #expect(directory.firstSeq == manifest.firstSeq && directory.segmentBytes == manifest.segmentBytes)
        }
    }

    @Test("every key of every record is found in the blocks its index entry names; page runs span pages")
    func entriesPointAtTheirRecords() throws {
        // Few distinct customers over many blocks: long runs of one fingerprint, several pages each.
        var builder = SegmentIndex.Builder()
        var expected: [SegmentIndex.Field: [String: Set<Int>]] = [:]
        for block in 0..<3000 {
            for r in 0..<5 {
                let n = block * 5 + r
                let event: JSONObject = [
                    "transaction_id": .string("txn_\(n / 3)"), "customer_code": .string("CUS_\(n % 3)"),
                    "request_id": .string("req_\(n)"), "correlation_id": .string("c\(n / 9)"),
                ]
                builder.add(SegmentIndex.RecordKeys(event: event, timestamp: Int64(n)))
                for field in SegmentIndex.Field.allCases {
                    expected[field, default: [:]][event[field.name]!.stringValue!, default: []].insert(block)
                }
            }
            builder.finishBlock(offset: 100 + block * 10, firstSeq: UInt64(block * 5 + 1))
        }
        let encoded = builder.encode(segment: 1, firstSeq: 1, recordCount: 15000, segmentBytes: 100 + 30000)
        let directory = try SegmentIndex.check(encoded.bytes, root: encoded.root, bytes: encoded.bytes.count)
        #expect(directory.section(.customerCode).pageCount > 1)
        #expect(directory.section(.requestID).pageCount > 2)
        try encoded.bytes.withUnsafeBytes { raw in
            for field in SegmentIndex.Field.allCases {
                for (key, blocks) in expected[field]! where key.hasSuffix("7") || field == .customerCode {
                    let fp = SegmentIndex.fingerprint(key)
                    var found = Set<Int>()
                    for number in directory.candidatePages(field, fingerprint: fp) {
                        let page = directory.pages[number]
                        try SegmentIndex.forEachEntry(UnsafeRawBufferPointer(rebasing: raw[page.offset..<(page.offset + page.length)]), page) { f, b in
                            if f == fp { found.insert(b) }
                            return f <= fp
                        }
                    }
                    #expect(found.isSuperset(of: blocks), "\(field) \(key)")
                }
            }
            let blocks = try SegmentIndex.decodeBlocks(UnsafeRawBufferPointer(rebasing: raw[directory.pages[0].offset..<(directory.pages[0].offset + directory.pages[0].length)]), directory.pages[0])
            #expect(blocks[1] == SegmentIndex.Block(offset: 110, length: 10, count: 5, firstSeq: 6, minTimestamp: 5, maxTimestamp: 9))
            #expect(directory.blockPage(2999) != nil && directory.blockPage(3000) == nil)
        }
    }

    @Test("a long run of one key spans pages and is found whole")
    func runAcrossPages() throws {
        var builder = SegmentIndex.Builder()
        for block in 0..<40000 {
            builder.add(SegmentIndex.RecordKeys(event: ["customer_code": "CUS_TOP", "request_id": .string("r\(block)")], timestamp: 0))
            builder.finishBlock(offset: block, firstSeq: UInt64(block + 1))
        }
        let encoded = builder.encode(segment: 1, firstSeq: 1, recordCount: 40000, segmentBytes: 40000)
        let directory = try SegmentIndex.check(encoded.bytes, root: encoded.root, bytes: encoded.bytes.count)
        let fp = SegmentIndex.fingerprint("CUS_TOP")
        let pages = directory.candidatePages(.customerCode, fingerprint: fp)
        #expect(pages.count == directory.section(.customerCode).pageCount && pages.count > 1)
        var found = 0
        try encoded.bytes.withUnsafeBytes { raw in
            for number in pages {
                let page = directory.pages[number]
                try SegmentIndex.forEachEntry(UnsafeRawBufferPointer(rebasing: raw[page.offset..<(page.offset + page.length)]), page) { f, _ in
                    if f == fp { found += 1 }
                    return true
                }
            }
        }
        #expect(found == 40000)
        #expect(directory.candidatePages(.customerCode, fingerprint: fp &+ 1).count <= 1)
        #expect(directory.candidatePages(.transactionID, fingerprint: fp).isEmpty)
    }

    @Test("a changed byte anywhere in an index file is refused")
    func tamperedIndexRefused() throws {
        let dir = TemporaryDirectory()
        let path = try Self.store(dir, count: 120, perSegment: 1000)
        let layout = StoreLayout(root: path)
        let signed = try #require(try SegmentManifest(bytes: FileSystem.readFile(layout.manifest(1))).index)
        let bytes = try FileSystem.readFile(layout.index(1))
        for i in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 97)) {
            var changed = bytes
            changed[i] ^= 0x01
            #expect(throws: SegmentIndexError.self) { try SegmentIndex.check(changed, root: signed.root, bytes: signed.bytes) }
        }
        #expect(throws: SegmentIndexError.self) { try SegmentIndex.check(Array(bytes.dropLast()), root: signed.root, bytes: signed.bytes) }
    }

    @Test("a segment recovered after a crash is indexed from its file at seal")
    func recoveredSegmentIndexed() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("store")
        var writer: StoreWriter? = try StoreWriter(path: path, key: Fixtures.key(), configuration: Fixtures.configuration { $0.blockBytes = 1024 })
        for n in 1...50 { try writer!.appendDurably(Fixtures.event(n)) }
        writer!.simulateCrash()
        writer = nil
        writer = try StoreWriter(path: path, key: Fixtures.key(), configuration: Fixtures.configuration { $0.blockBytes = 1024 })
        for n in 51...80 { try writer!.appendDurably(Fixtures.event(n)) }
        try writer!.close()
        let layout = StoreLayout(root: path)
        let signed = try #require(try SegmentManifest(bytes: FileSystem.readFile(layout.manifest(1))).index)
        let rebuilt = try SegmentIndex.build(segmentBytes: FileSystem.readFile(layout.segment(1)))
        #expect(rebuilt.root == signed.root)
        #expect(try FileSystem.readFile(layout.index(1)) == rebuilt.bytes)
    }

    @Test("version 1 manifests (no index) still read and round-trip byte for byte")
    func version1Manifest() throws {
        let dir = TemporaryDirectory()
        let path = try Self.store(dir, count: 5, perSegment: 10)
        var manifest = try SegmentManifest(bytes: FileSystem.readFile(StoreLayout(root: path).manifest(1)))
        manifest.index = nil
        let v1 = manifest.canonicalBytes
        #expect(String(decoding: v1, as: UTF8.self).contains(#""version":1"#))
        #expect(try SegmentManifest(bytes: v1) == manifest)
        #expect(throws: RecordError.self) {
            try SegmentManifest(bytes: Array(String(decoding: v1, as: UTF8.self).replacingOccurrences(of: #""version":1"#, with: #""version":2"#).utf8))
        }
    }
}
