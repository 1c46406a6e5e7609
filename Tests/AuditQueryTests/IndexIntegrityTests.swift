import AuditTestSupport
import AuditCrypto
import AuditModel
import Foundation
import Testing
@testable import AuditQuery
@testable import AuditStore

/// An index is never trusted blindly (journald CVE-2023-31437): one that is missing, damaged, or does
/// not match the digest its signed manifest records is not used, and the answer stays right.
@Suite("Index integrity")
struct IndexIntegrityTests {
    static func sealedStore(_ dir: TemporaryDirectory) throws -> (path: String, records: [(seq: UInt64, event: JSONObject)]) {
        let (path, writer) = try Fixtures.store(dir, sealed: 1200, open: 0)
        try writer.close()
        return (path, try Fixtures.allRecords(path))
    }

    static let queries = [
        FindQuery(keys: [.init(.customerCode, "CUS_1")]), FindQuery(keys: [.init(.requestID, "req_500")]),
        FindQuery(keys: [.init(.transactionID, "txn_40")]), FindQuery(keys: [.init(.customerCode, "CUS_0")], limit: 7),
    ]

    func expectRightAnswers(_ path: String, _ records: [(seq: UInt64, event: JSONObject)], noteAbout segment: UInt64?) throws {
        for query in Self.queries {
            let outcome = try Finder(path: path).find(query)
            let expected = Fixtures.bruteForce(records, query)
            #expect(outcome.matches.map(\.seq) == (query.limit.map { Array(expected.suffix($0)) } ?? expected))
            if let segment {
                #expect(outcome.notes.contains { $0.segment == segment && $0.message.contains("auditq index rebuild") } || query.limit != nil, "\(outcome.notes)")
            }
        }
    }

    @Test("a flipped byte anywhere in an index: not used, the segment is scanned, the answer is right")
    func flippedBytes() throws {
        let dir = TemporaryDirectory()
        let (path, records) = try Self.sealedStore(dir)
        let file = StoreLayout(root: path).index(2)
        let original = try FileSystem.readFile(file)
        for position in stride(from: 0, to: original.count, by: max(1, original.count / 40)) {
            var changed = original
            changed[position] ^= 0x10
            try FileSystem.writeAtomically(changed, to: file)
            try expectRightAnswers(path, records, noteAbout: nil)
        }
    }

    @Test("an index that hides a record (re-encoded without it, directory consistent) is refused")
    func hidingIndexRefused() throws {
        let dir = TemporaryDirectory()
        let (path, records) = try Self.sealedStore(dir)
        let layout = StoreLayout(root: path)
        // Rebuild segment 2's index without req_500's customer entry: a valid file whose root differs.
        let manifest = try SegmentManifest(bytes: FileSystem.readFile(layout.manifest(2)))
        var builder = SegmentIndex.Builder()
        var seq = manifest.firstSeq
        let bySeq = Dictionary(uniqueKeysWithValues: records.map { ($0.seq, $0.event) })
        for block in manifest.blocks {
            for _ in 0..<block.count {
                var event = bySeq[seq]!
                if event["customer_code"] == "CUS_1" { event["customer_code"] = nil }
                builder.add(SegmentIndex.RecordKeys(event: event, timestamp: Timestamp(rfc3339: event["ts"]!.stringValue!)!.microsecondsSinceEpoch))
                seq += 1
            }
            builder.finishBlock(offset: block.offset, firstSeq: block.firstSeq)
        }
        let forged = builder.encode(segment: 2, firstSeq: manifest.firstSeq, recordCount: manifest.recordCount, segmentBytes: manifest.segmentBytes)
        try FileSystem.writeAtomically(forged.bytes, to: layout.index(2))
        try expectRightAnswers(path, records, noteAbout: 2)
        // With trusted keys a lookup also refuses a manifest that is not validly signed.
        try FileSystem.writeAtomically(manifest.canonicalBytes + [0x20], to: layout.manifest(2))
        #expect(throws: QueryError.self) { try Finder(path: path, trustedKeys: [Fixtures.key().publicKey]).find(Self.queries[0]) }
        #expect(throws: QueryError.self) {
            try Finder(path: path, trustedKeys: [SigningKey(privateKey: try! Ed25519.PrivateKey(rawRepresentation: [UInt8](repeating: 9, count: 32))).publicKey]).find(Self.queries[1])
        }
    }

    @Test("a missing index: scanned with a note; auditq index rebuild restores the signed bytes")
    func missingThenRebuilt() throws {
        let dir = TemporaryDirectory()
        let (path, records) = try Self.sealedStore(dir)
        let layout = StoreLayout(root: path)
        let original = try FileSystem.readFile(layout.index(3))
        try FileSystem.remove(layout.index(3))
        var damaged = try FileSystem.readFile(layout.index(1))
        damaged[damaged.count - 1] ^= 0xFF
        try FileSystem.writeAtomically(damaged, to: layout.index(1))
        try expectRightAnswers(path, records, noteAbout: nil)

        var statuses: [UInt64: IndexRebuilder.Status] = [:]
        try IndexRebuilder(path: path).run { statuses[$0] = $1 }
        #expect(statuses[1] == .rebuilt && statuses[3] == .rebuilt && statuses[2] == .intact)
        #expect(try FileSystem.readFile(layout.index(3)) == original)
        for query in Self.queries { #expect(try Finder(path: path).find(query).notes.isEmpty) }

        // A segment that no longer matches its manifest is not indexed from its altered records.
        var segment = try FileSystem.readFile(layout.segment(2))
        segment[segment.count - 3] ^= 0x01
        try FileSystem.writeAtomically(segment, to: layout.segment(2))
        try FileSystem.remove(layout.index(2))
        statuses = [:]
        try IndexRebuilder(path: path).run(segment: 2) { statuses[$0] = $1 }
        guard case .failed(let why)? = statuses[2] else { Issue.record("\(statuses)"); return }
        #expect(why.contains("auditq verify") && !FileSystem.exists(layout.index(2)))
        #expect(throws: QueryError.self) { try IndexRebuilder(path: path).run(segment: 99) { _, _ in } }
    }

    @Test("version 1 manifests (sealed before indexes) are scanned")
    func version1Scanned() throws {
        let dir = TemporaryDirectory()
        let (path, records) = try Self.sealedStore(dir)
        let layout = StoreLayout(root: path)
        var manifest = try SegmentManifest(bytes: FileSystem.readFile(layout.manifest(1)))
        manifest.index = nil
        try FileSystem.writeAtomically(manifest.canonicalBytes, to: layout.manifest(1))
        try FileSystem.remove(layout.index(1))
        let outcome = try Finder(path: path).find(FindQuery(keys: [.init(.customerCode, "CUS_1")]))
        #expect(outcome.matches.map(\.seq) == Fixtures.bruteForce(records, FindQuery(keys: [.init(.customerCode, "CUS_1")])))
        #expect(outcome.notes.contains { $0.segment == 1 && $0.message.contains("version 1") })
    }

    @Test("the manifest reader used by lookups agrees with the full parser")
    func manifestSummary() throws {
        let dir = TemporaryDirectory()
        let (path, _) = try Self.sealedStore(dir)
        let bytes = try FileSystem.readFile(StoreLayout(root: path).manifest(2))
        let full = try SegmentManifest(bytes: bytes)
        let summary = try bytes.withUnsafeBytes { try ManifestSummary(bytes: $0) }
        #expect(summary.segment == 2 && summary.firstSeq == full.firstSeq && summary.lastSeq == full.lastSeq)
        #expect(summary.recordCount == full.recordCount && summary.segmentBytes == full.segmentBytes && summary.keyID == full.keyID)
        #expect(summary.minTimestamp == full.minTimestamp && summary.maxTimestamp == full.maxTimestamp && summary.index == full.index)
        for bad in [Array(bytes.dropLast()), bytes + Array("x".utf8), Array(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\"index\"", with: "\"indey\"").utf8)] {
            #expect(throws: QueryError.self) { try bad.withUnsafeBytes { try ManifestSummary(bytes: $0) } }
        }
    }
}
