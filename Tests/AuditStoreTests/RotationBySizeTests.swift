import AuditTestSupport
import Foundation
import Testing
@testable import AuditStore

@Suite("Rotation by size")
struct RotationBySizeTests {
    @Test("every sealed segment but the newest reaches the size limit (no segments of a few records)", arguments: [StoreWriter.Durability.osBuffered, .groupCommit])
    func noTinySegments(durability: StoreWriter.Durability) throws {
        let dir = TemporaryDirectory()
        let path = dir.child("store")
        let limit = 16 << 10
        let writer = try StoreWriter(path: path, key: Fixtures.key(), configuration: Fixtures.configuration {
            $0.segmentMaxBytes = limit
            $0.blockBytes = 4096
            $0.durability = durability
        })
        var last: UInt64 = 0
        // A burst (appends outrun the flusher, so sizes are known late), then appends that wait for
        // the flusher now and then, so that rotation by size must have happened several times
        // however slow the machine is.
        for n in 1...1500 { last = try writer.append(Fixtures.event(n)) }
        for n in 1501...3000 {
            last = try writer.append(Fixtures.event(n))
            if n % 50 == 0 { try writer.waitUntilDurable(last) }
        }
        try writer.waitUntilDurable(last)
        try writer.close()
        let files = try Fixtures.segmentFiles(path)
        #expect(files.count > 3)
        for file in files.dropLast() {
            let size = try FileSystem.readFile(file).count
            #expect(size >= limit, "\(file): \(size) bytes")
        }
    }
}
