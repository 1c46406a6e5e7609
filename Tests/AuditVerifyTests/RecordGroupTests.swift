import AuditModel
import AuditTestSupport
import AuditVerify
import Testing
@testable import AuditStore

/// The writer encodes records into one buffer per hash group (``Record/Group``) and queues them as a
/// group; the flusher writes blocks that start and end anywhere inside groups. Whatever the grouping,
/// the store must hold every record once, in order, and verify.
@Suite("Records queued in groups")
struct RecordGroupTests {
    let key = Fixtures.key()

    func event(_ n: Int, action: String, note: String? = nil) throws -> AuditEvent {
        var fields = Fixtures.event(n).fields
        fields["action"] = .string(action)
        if let note { fields["metadata"] = ["note": .string(note), "ip": "10.0.0.1"] }
        return try AuditEvent(validating: fields)
    }

    func verifyClean(_ store: String, records: Int) {
        let report = Verifier(path: store, trustedKeys: [key.publicKey]).run()
        #expect(report.findings.isEmpty, "\(report.findings)")
        #expect(report.recordsChecked == records)
    }

    func actions(_ store: String) throws -> [String] {
        try Fixtures.records(store).compactMap { record in
            guard case .object(let event)? = record["event"], case .string(let action)? = event["action"] else { return nil }
            return action
        }
    }

    @Test("a record refused in the middle of a group takes no sequence number and leaves the group's other records intact")
    func refusedInsideGroup() throws {
        let dir = TemporaryDirectory()
        let store = dir.child("store")
        // A group-commit window long enough that the records wait in the writer's group, unhashed, until
        // the durable append.
        let writer = try StoreWriter(path: store, key: key, configuration: Fixtures.configuration {
            $0.maxRecordBytes = 4096
            $0.groupCommitWindow = 0.5
            // The ten records then go out as one block compressed in one call, copied from the group.
            $0.shortBlockMinimumBytes = 1024
        })
        let big = try AuditEvent(validating: ["ts": "2026-11-20T10:00:00Z", "action": "too.big", "message": .string(String(repeating: "x", count: 5000))])
        for n in 1...5 { try writer.append(event(n, action: "kept.\(n)")) }
        #expect(throws: AuditStoreError(.invalidEvent, "")) { try writer.append(big) }
        for n in 6...9 { try writer.append(event(n, action: "kept.\(n)")) }
        #expect(throws: AuditStoreError(.invalidEvent, "")) { try writer.append(big) }
        let last = try writer.appendDurably(event(10, action: "kept.10"))
        try writer.close()
        #expect(last == 10)
        #expect(try Fixtures.records(store).compactMap { $0["seq"]?.numberValue } == (1...10).map(Double.init))
        #expect(try actions(store) == (1...10).map { "kept.\($0)" })
        verifyClean(store, records: 10)
    }

    @Test("blocks that start and end inside groups, across seals, in every durability mode", arguments: [StoreWriter.Durability.groupCommit, .osBuffered, .fsyncEachEvent])
    func blocksAcrossGroups(durability: StoreWriter.Durability) throws {
        let dir = TemporaryDirectory()
        let store = dir.child("store")
        let count = durability == .fsyncEachEvent ? 120 : 700
        // Small blocks (a few records each) and segments that end in the middle of a group; records of
        // very different sizes, so that block ends fall anywhere in a group.
        let writer = try StoreWriter(path: store, key: key, configuration: Fixtures.configuration {
            $0.durability = durability
            $0.blockBytes = 3000
            $0.shortBlockMinimumBytes = 1024
            $0.segmentMaxEvents = 111
        })
        var rng = SystemRandomNumberGenerator()
        for n in 1...count {
            let note = String(repeating: "n", count: Int.random(in: 0...900, using: &rng))
            let event = try event(n, action: "a.\(n)", note: note)
            if n % 97 == 0 { try writer.appendDurably(event) } else { try writer.append(event) }
        }
        try writer.close()
        #expect(try actions(store) == (1...count).map { "a.\($0)" })
        verifyClean(store, records: count)
    }
}
