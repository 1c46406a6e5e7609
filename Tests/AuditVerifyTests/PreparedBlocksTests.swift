import AuditTestSupport
import AuditCompression
import AuditCrypto
import AuditModel
import AuditVerify
import Foundation
import Testing
@testable import AuditStore

/// Blocks decoded and digested ahead on all cores must verify exactly like blocks read one by one:
/// the same findings in the same order, the same counts, whatever was done to the segment.
@Suite("Blocks prepared ahead verify like blocks read one by one")
struct PreparedBlocksTests {
    let key = Fixtures.key()

    /// Two sealed segments of 60 records in blocks of a few records each.
    func store(in dir: TemporaryDirectory) throws -> String {
        let path = dir.child("store")
        let configuration = Fixtures.configuration {
            $0.segmentMaxEvents = 60
            $0.blockBytes = 1024
        }
        let writer = try StoreWriter(path: path, key: key, configuration: configuration)
        for n in 1...120 { try writer.appendDurably(Fixtures.event(n)) }
        try writer.close()
        return path
    }

    /// The segment file cut into its members: the header, then the blocks.
    func members(_ bytes: [UInt8]) -> [(offset: Int, lines: [[UInt8]])] {
        var scanner = SegmentScanner(bytes: bytes)
        var members: [(offset: Int, lines: [[UInt8]])] = []
        while let block = scanner.nextBlock() { members.append((block.offset, block.lines.map(Array.init))) }
        return members
    }

    /// A gzip member of `lines` exactly `length` bytes long (padded with a header comment), so that the
    /// edited block still ends where the next one starts.
    func member(_ lines: [[UInt8]], length: Int) throws -> [UInt8] {
        var deflated = try Gzip.deflate(Array(lines.map { $0 + [0x0A] }.joined()), level: 9)
        let padding = length - deflated.count
        try #require(padding >= 2, "edited block does not fit")
        deflated[3] |= 0x10  // FCOMMENT
        deflated.insert(contentsOf: [UInt8](repeating: UInt8(ascii: "x"), count: padding - 1) + [0], at: 10)
        return deflated
    }

    func report(_ store: String, ahead: Bool) -> VerificationReport {
        var verifier = Verifier(path: store, trustedKeys: [key.publicKey])
        verifier.preparesBlocksAhead = ahead
        return verifier.run()
    }

    func expectSame(_ store: String, _ what: String) {
        let a = report(store, ahead: true), b = report(store, ahead: false)
        #expect(a.findings == b.findings, "\(what): \(a.findings) vs \(b.findings)")
        #expect(a.recordsChecked == b.recordsChecked && a.firstSeq == b.firstSeq && a.lastSeq == b.lastSeq, "\(what)")
        #expect(a.authenticatedThroughSeq == b.authenticatedThroughSeq && a.sealedSegments == b.sealedSegments, "\(what)")
    }

    @Test("a clean multi-block store is intact either way")
    func clean() throws {
        let dir = TemporaryDirectory()
        let store = try store(in: dir)
        let manifest = try SegmentManifest(bytes: FileSystem.readFile(StoreLayout(root: store).manifest(1)))
        #expect(manifest.blocks.count >= 8)
        #expect(report(store, ahead: true).findings.isEmpty)
        expectSame(store, "clean")
    }

    @Test("records edited inside a block that still ends where the next begins")
    func editedInPlace() throws {
        let dir = TemporaryDirectory()
        let store = try store(in: dir)
        let path = StoreLayout(root: store).segment(1)
        let original = try FileSystem.readFile(path)
        let blocks = members(original)
        let k = blocks.count / 2
        let end = blocks[k + 1].offset
        let lines = blocks[k].lines
        func replace(_ edit: ([[UInt8]]) -> [[UInt8]]) throws -> [UInt8] {
            Array(original[..<blocks[k].offset]) + (try member(edit(lines), length: end - blocks[k].offset)) + Array(original[end...])
        }
        func text(_ line: [UInt8]) -> String { String(decoding: line, as: UTF8.self) }
        func edited(_ line: [UInt8], _ from: String, _ to: String) -> [UInt8] {
            let changed = text(line).replacingOccurrences(of: from, with: to)
            #expect(changed != text(line), "\(from) not in \(text(line))")
            return Array(changed.utf8)
        }
        let tampers: [(String, ([[UInt8]]) -> [[UInt8]])] = [
            ("unchanged records", { $0 }),
            ("a value edited", { l in [edited(l[0], #""ip":"10.0.0.1""#, #""ip":"10.0.0.2""#)] + l.dropFirst() }),
            ("a record unreadable", { l in [Array("{}".utf8)] + l.dropFirst() }),
            ("a record removed", { l in Array(l.dropFirst()) }),
            ("two records swapped", { l in [l[1], l[0]] + l.dropFirst(2) }),
            ("a record duplicated", { l in [l[0]] + l }),
            ("an earlier event time", { l in [edited(l[0], #""ts":"2025"#, #""ts":"2024"#)] + l.dropFirst() }),
            ("a key that is not a plain string", { l in [edited(l[0], #""request_id":"req_"#, #""request_id":"re\u0071_"#)] + l.dropFirst() }),
            ("a sequence number changed", { l in [edited(l[0], #""seq":"#, #""seq":9"#)] + l.dropFirst() }),
        ]
        for (what, edit) in tampers {
            try FileSystem.writeAtomically(try replace(edit), to: path)
            expectSame(store, what)
            #expect(what == "unchanged records" || !report(store, ahead: true).isIntact, "\(what)")
        }
    }

    @Test("blocks that do not end where the manifest says: the scan reads on from the first one")
    func movedBoundaries() throws {
        let dir = TemporaryDirectory()
        let store = try store(in: dir)
        let path = StoreLayout(root: store).segment(1)
        let original = try FileSystem.readFile(path)
        let blocks = members(original)
        let k = blocks.count / 2
        let start = blocks[k].offset, end = blocks[k + 1].offset
        var flipped = original
        flipped[(start + end) / 2] ^= 0x01
        let tampers: [(String, [UInt8])] = [
            ("a flipped byte", flipped),
            ("the file cut inside a block", Array(original[..<((start + end) / 2)])),
            ("a block repeated", Array(original[..<end]) + Array(original[start...])),
            ("a block removed", Array(original[..<start]) + Array(original[end...])),
            ("a block re-compressed longer", Array(original[..<start]) + (try member(blocks[k].lines, length: end - start + 40)) + Array(original[end...])),
            ("the last block cut", Array(original.dropLast(3))),
            ("bytes after the last block", original + [0x1F, 0x8B]),
        ]
        for (what, bytes) in tampers {
            try FileSystem.writeAtomically(bytes, to: path)
            expectSame(store, what)
            #expect(!report(store, ahead: true).isIntact, "\(what)")
        }
    }
}
