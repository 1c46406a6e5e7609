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
        try [1, 2].map { try SegmentManifest(bytes: FileSystem.readFile(StoreLayout(root: store).manifest($0))) }
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
        let total = b.reduce(0) { $0 + $1.blocks.count }
        #expect(try wholeBlocks(streamed) == 0)
        #expect(try wholeBlocks(queued) > total / 2, "of \(total) blocks")
    }
}
