import AuditTestSupport
import AuditModel
import Foundation
import Testing
@testable import AuditQuery
@testable import AuditStore

@Suite("Record by sequence number")
struct ShowTests {
    @Test("every record is found by its sequence number, sealed or in the open segment; others are not")
    func everySeq() throws {
        let dir = TemporaryDirectory()
        let (path, writer) = try Fixtures.store(dir, sealed: 900, open: 60)
        defer { try? writer.close() }
        var lines: [UInt64: [UInt8]] = [:]
        try StoreReader(path: path).forEachRecordLine { line in
            guard case .object(let o) = try JSONParser().parse(Array(line)) else { return }
            lines[UInt64(o["seq"]!.integerValue!)] = Array(line)
        }
        let finder = try Finder(path: path)
        for seq in Array(stride(from: UInt64(1), through: 960, by: 13)) + [1, 399, 400, 401, 900, 901, 960] {
            let (match, notes) = try finder.record(seq: seq)
            #expect(match?.line == lines[seq], "seq \(seq)")
            #expect(notes.isEmpty)
        }
        #expect(try finder.record(seq: 961).match == nil)
        #expect(try finder.record(seq: 100_000).match == nil)
        // Without its index a sealed segment is scanned.
        try FileSystem.remove(StoreLayout(root: path).index(2))
        let (match, notes) = try finder.record(seq: 450)
        #expect(match?.line == lines[450] && notes.count == 1)
    }
}
