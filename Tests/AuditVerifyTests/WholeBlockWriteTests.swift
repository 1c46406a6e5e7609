import AuditTestSupport
import AuditCompression
import AuditModel
import AuditVerify
import Foundation
import Testing
@testable import AuditStore

/// A flusher that takes a long queue compresses the whole blocks in it in one call each (libdeflate);
/// a record acknowledged alone is streamed through zlib. Either way the blocks, records, index and
/// verification must be the same.
@Suite("Whole blocks compressed in one call")
struct WholeBlockWriteTests {
    let key = Fixtures.key()

    /// 400 records in blocks of about two: appended one durable record at a time (every block streamed
    /// record by record), or all queued before the flusher looks (most blocks whole).
    func store(in dir: TemporaryDirectory, _ name: String, queued: Bool) throws -> String {
        let path = dir.child(name)
        let writer = try StoreWriter(path: path, key: key, configuration: Fixtures.configuration {
            $0.blockBytes = 1024
            // Only whole blocks: no short block, and no streamed block ended early by a large group
            // commit, so both paths must give the same block boundaries.
            $0.shortBlockMinimumBytes = 1 << 30
            // Queued: the flusher waits for 64 KiB (or close) rather than a short window.
            if queued { $0.groupCommitWindow = 30 }
            $0.segmentMaxEvents = 250
        })
        for n in 1...400 {
            if queued { try writer.append(Fixtures.event(n)) } else { try writer.appendDurably(Fixtures.event(n)) }
        }
        try writer.close()
        return path
    }

    func manifests(_ store: String) throws -> [SegmentManifest] {
        try (1...2).filter { FileSystem.exists(StoreLayout(root: store).manifest($0)) }.map { try SegmentManifest(bytes: FileSystem.readFile(StoreLayout(root: store).manifest($0))) }
    }

    @Test("the same blocks, records and a clean verification, with most blocks written whole")
    func sameAsStreamed() throws {
        let dir = TemporaryDirectory()
        let streamed = try store(in: dir, "streamed", queued: false)
        let queued = try store(in: dir, "queued", queued: true)
        for store in [streamed, queued] {
            let report = Verifier(path: store, trustedKeys: [key.publicKey]).run()
            #expect(report.findings.isEmpty, "\(store): \(report.findings)")
            #expect(report.recordsChecked == 400)
        }
        // Block boundaries follow the same rule on both paths.
        let a = try manifests(streamed), b = try manifests(queued)
        for (x, y) in zip(a, b) {
            #expect(x.blocks.map { [$0.firstSeq, UInt64($0.count)] } == y.blocks.map { [$0.firstSeq, UInt64($0.count)] })
        }
        // The same events (ids and timestamps are assigned per store; compare what the producer gave).
        func events(_ store: String) throws -> [String] {
            try Fixtures.records(store).compactMap { record in
                guard case .object(let event)? = record["event"], case .string(let action)? = event["action"] else { return nil }
                return action + String(describing: event["request_id"])
            }
        }
        #expect(try events(streamed) == events(queued))

        // Most of the queued store's blocks were compressed whole: their bytes are not what zlib's stream
        // with its sync flushes gives (the streamed store's blocks are).
        let total = b.reduce(0) { $0 + $1.blocks.count }
        #expect(try wholeBlocks(streamed) == 0)
        #expect(try wholeBlocks(queued) > total / 2, "of \(total) blocks")
    }

    /// How many of the store's blocks are exactly what one libdeflate call gives for their records.
    func wholeBlocks(_ store: String) throws -> Int {
        var count = 0
        for (i, manifest) in try manifests(store).enumerated() {
            let file = try FileSystem.readFile(StoreLayout(root: store).segment(UInt64(i + 1)))
            for (j, block) in manifest.blocks.enumerated() {
                let end = j + 1 < manifest.blocks.count ? manifest.blocks[j + 1].offset : file.count
                let member = Array(file[block.offset..<end])
                let bytes = try member.withUnsafeBytes { try Gzip.inflateMember($0, at: 0, maxOutput: 1 << 20) }.bytes
                var whole: [UInt8] = []
                try bytes.withUnsafeBytes { try GzipDeflater(level: 6).writeWholeMember($0, into: &whole) }
                if whole == member { count += 1 }
            }
        }
        return count
    }

    @Test("a group commit of at least the short-block minimum is a block of its own, compressed in one call")
    func shortBlocks() throws {
        let dir = TemporaryDirectory()
        // The flusher waits for 64 KiB (or close) before it writes: records go in until it has taken a
        // first batch (at least 64 KiB, at most about 200 KB: under one default block of 256 KiB), then
        // ten more and close, whose batch ends at the seal.
        func store(_ name: String, shortBlockMinimum: Int) throws -> String {
            let path = dir.child(name)
            let writer = try StoreWriter(path: path, key: key, configuration: Fixtures.configuration {
                $0.groupCommitWindow = 30
                $0.shortBlockMinimumBytes = shortBlockMinimum
            })
            var n = 0
            while writer.durableSeq == 0, n < 500 {
                n += 1
                try writer.append(Fixtures.event(n))
            }
            try writer.waitUntilDurable(1)
            for _ in 0..<10 {
                n += 1
                try writer.append(Fixtures.event(n))
            }
            try writer.close()
            count = n
            return path
        }
        var count = 0
        let short = try store("short", shortBlockMinimum: 16 << 10)
        let shortCount = count
        let streamed = try store("streamed", shortBlockMinimum: 1 << 30)
        for (store, count) in [(short, shortCount), (streamed, count)] {
            let report = Verifier(path: store, trustedKeys: [key.publicKey]).run()
            #expect(report.findings.isEmpty, "\(store): \(report.findings)")
            #expect(report.recordsChecked == count)
            #expect(try Fixtures.records(store).count == count)
        }
        let shortBlocks = try SegmentManifest(bytes: FileSystem.readFile(StoreLayout(root: short).manifest(1))).blocks
        let streamedBlocks = try SegmentManifest(bytes: FileSystem.readFile(StoreLayout(root: streamed).manifest(1))).blocks
        // Each batch before the seal (one, or more if the flusher took another 64 KiB before the loop
        // saw the first acknowledged) became a block of its own; the last one ends at the seal.
        #expect(shortBlocks.count >= 2)
        #expect(try wholeBlocks(short) == shortBlocks.count)
        // Without short blocks the batches stream into one block, which only the seal ends.
        #expect(streamedBlocks.count == 1)
        #expect(try wholeBlocks(streamed) == 0)
    }

    @Test("a block streamed by small group commits ends when one of at least the short-block minimum arrives")
    func streamedBlockEndsEarly() throws {
        let dir = TemporaryDirectory()
        // One durable record (a group commit of one: streamed, its block left open), then 300 more
        // appended at once: the flusher takes them when 64 KiB are queued or after 50 ms, a batch far
        // over the 16 KiB minimum (and all 301 fit in one default 256 KiB block).
        func store(_ name: String, shortBlockMinimum: Int) throws -> [SegmentManifest.Block] {
            let path = dir.child(name)
            let writer = try StoreWriter(path: path, key: key, configuration: Fixtures.configuration {
                $0.groupCommitWindow = 0.05
                $0.shortBlockMinimumBytes = shortBlockMinimum
            })
            try writer.appendDurably(Fixtures.event(1))
            for n in 2...301 { try writer.append(Fixtures.event(n)) }
            try writer.close()
            let report = Verifier(path: path, trustedKeys: [key.publicKey]).run()
            #expect(report.findings.isEmpty, "\(name): \(report.findings)")
            #expect(report.recordsChecked == 301)
            #expect(try Fixtures.records(path).count == 301)
            let blocks = try SegmentManifest(bytes: FileSystem.readFile(StoreLayout(root: path).manifest(1))).blocks
            #expect(try wholeBlocks(path) == blocks.count - 1, "only the first block is streamed")
            return blocks
        }
        let early = try store("early", shortBlockMinimum: 16 << 10)
        // The streamed block holds only what came before the large group commit; the rest are whole.
        #expect(early.count >= 2)
        #expect(early.first.map { ($0.firstSeq, $0.count) }.map { $0.0 == 1 && $0.1 < 301 } == true)
        // Without that rule every batch continues the streamed block, which only the seal ends.
        let streamed = try store("streamed", shortBlockMinimum: 1 << 30)
        #expect(streamed.count == 1)
    }
}
