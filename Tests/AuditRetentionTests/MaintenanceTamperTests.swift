import AuditCrypto
import AuditModel
import AuditRetention
import AuditStore
import AuditTestSupport
import AuditVerify
import Foundation
import Testing

@Suite("verify catches tampering with what erasure and retention wrote")
struct MaintenanceTamperTests {
    typealias S = MaintenanceStore

    /// A store after an erasure (every segment at generation 1) and two retention runs: the first
    /// removes segment 1 and rewrites segments 2-6 (generation 2), the second removes segment 2 and
    /// rewrites 3-6 again (generation 3). Older copies of files are kept aside for the rollback cases.
    struct Scenario: Sendable {
        var store: MaintenanceStore
        /// Segment 4 as the writer sealed it, and at generations 1 and 2: file name → bytes.
        var segment4: [Int: [String: [UInt8]]]
        /// Segment 2 at generation 2 (all its files), and the retention state after the first run.
        var segment2: [String: [UInt8]]
        var firstRetentionState: [UInt8]
    }

    static func files(of segment: UInt64, in store: MaintenanceStore) throws -> [String: [UInt8]] {
        let prefix = StoreLayout.baseName(segment) + "."
        return try store.files().filter { $0.key.hasPrefix("segments/" + prefix) }
    }

    static let scenario: Scenario = {
        let store = try! S()
        var segment4: [Int: [String: [UInt8]]] = [:]
        segment4[0] = try! files(of: 4, in: store)
        _ = try! store.eraser("2025-02-01T00:00:00Z").run(customer: S.erasePerson.code, reference: "DSR-T")
        segment4[1] = try! files(of: 4, in: store)
        _ = try! store.runner("2025-03-08T00:00:00Z").run()
        segment4[2] = try! files(of: 4, in: store)
        let segment2 = try! files(of: 2, in: store)
        let firstState = try! FileSystem.readFile(store.layout.retentionState)
        _ = try! store.runner(ExpiryTests.now).run()
        return Scenario(store: store, segment4: segment4, segment2: segment2, firstRetentionState: firstState)
    }()

    /// Replaces segment `number`'s files by `files` (relative paths), deleting the ones it has now.
    static func restore(_ files: [String: [UInt8]], segment number: UInt64, in store: MaintenanceStore) throws {
        for (name, _) in try Self.files(of: number, in: store) { try FileManager.default.removeItem(atPath: store.path + "/" + name) }
        for (name, bytes) in files { try Data(bytes).write(to: URL(fileURLWithPath: store.path + "/" + name)) }
    }

    struct Tamper: Sendable, CustomTestStringConvertible {
        var name: String
        var kind: Finding.Kind
        /// The segment the finding names (nil: the store-level document).
        var segment: UInt64?
        var file: (@Sendable (StoreLayout) -> String)?
        var apply: @Sendable (MaintenanceStore, Scenario) throws -> Void
        var testDescription: String { name }
    }

    static let tampers: [Tamper] = [
        Tamper(name: "a rewrite document edited", kind: .signatureInvalid, segment: 4, file: { $0.rewrite(4) }) { store, _ in
            var document = try SignedDocument(bytes: FileSystem.readFile(store.layout.rewrite(4)), format: SegmentRewrite.format, version: 1, what: "rewrite")
            document.body["time"] = "2025-03-25T00:00:01.000000Z"
            try FileSystem.writeAtomically(document.documentBytes, to: store.layout.rewrite(4))
        },
        Tamper(name: "a rewrite document re-signed by an untrusted key", kind: .untrustedKey, segment: 4, file: { $0.rewrite(4) }) { store, _ in
            let rewrite = try SegmentRewrite(bytes: FileSystem.readFile(store.layout.rewrite(4))).signed(with: S.otherKey)
            try FileSystem.writeAtomically(rewrite.document.documentBytes, to: store.layout.rewrite(4))
        },
        Tamper(name: "one byte of a rewritten segment file changed", kind: .segmentDigestMismatch, segment: 4, file: { $0.segment(4, generation: 3) }) { store, _ in
            let path = store.layout.segment(4, generation: 3)
            var bytes = try FileSystem.readFile(path)
            bytes[bytes.count / 2] ^= 0x20
            try FileSystem.writeAtomically(bytes, to: path)
        },
        Tamper(name: "the previous generation restored in place of the current one", kind: .removalUndone, segment: 4, file: { $0.rewrite(4) }) { store, scenario in
            try restore(scenario.segment4[2]!, segment: 4, in: store)
        },
        Tamper(name: "the first generation restored (before both retention runs)", kind: .removalUndone, segment: 4, file: { $0.rewrite(4) }) { store, scenario in
            try restore(scenario.segment4[1]!, segment: 4, in: store)
        },
        Tamper(name: "the segment as the writer sealed it restored, without a rewrite document", kind: .removalUndone, segment: 4, file: { $0.rewrite(4) }) { store, scenario in
            try restore(scenario.segment4[0]!, segment: 4, in: store)
        },
        Tamper(name: "retention.json deleted", kind: .missingFile, segment: 1, file: nil) { store, _ in
            try FileManager.default.removeItem(atPath: store.layout.retentionState)
        },
        Tamper(name: "retention.json rolled back to the first run's signed version", kind: .missingFile, segment: 2, file: nil) { store, scenario in
            try FileSystem.writeAtomically(scenario.firstRetentionState, to: store.layout.retentionState)
        },
        Tamper(name: "retention.json rolled back and the removed segment's files restored", kind: .removalUndone, segment: 2, file: { $0.retentionState }) { store, scenario in
            try FileSystem.writeAtomically(scenario.firstRetentionState, to: store.layout.retentionState)
            try restore(scenario.segment2, segment: 2, in: store)
        },
        Tamper(name: "retention.json re-signed by an untrusted key", kind: .untrustedKey, segment: nil, file: { $0.retentionState }) { store, _ in
            let state = try RetentionState(bytes: FileSystem.readFile(store.layout.retentionState)).signed(with: S.otherKey)
            try FileSystem.writeAtomically(state.document.documentBytes, to: store.layout.retentionState)
        },
    ]

    @Test("the untouched store verifies: every segment at the generation the chain says")
    func untouched() throws {
        let store = try Self.scenario.store.copy()
        let report = store.verify()
        #expect(report.isIntact, "\(report.errors)")
        #expect(report.findings(.removalUndone).isEmpty)
        #expect(try store.segmentFiles().contains("segment-00000004.g3.jsonl.gz"))
        #expect(report.expiredThroughSeq == 20)
    }

    @Test("a tampered maintenance document or file is an error finding of the right kind, at the right place", arguments: tampers)
    func tamperIsFound(_ tamper: Tamper) throws {
        let store = try Self.scenario.store.copy()
        try tamper.apply(store, Self.scenario)
        let report = store.verify()
        #expect(!report.isIntact)
        let matching = report.errors.filter { $0.kind == tamper.kind && $0.segment == tamper.segment }
        #expect(!matching.isEmpty, "expected \(tamper.kind) at segment \(tamper.segment.map(String.init) ?? "-"); found \(report.errors)")
        if let file = tamper.file {
            #expect(matching.contains { $0.file == file(store.layout) }, "\(matching)")
        }
    }

    @Test("restoring an older generation brings back erased values, and verify says so")
    func rollbackBringsBackData() throws {
        let store = try Self.scenario.store.copy()
        // Record 35 (the customer's, erased, then expired) and record 33 (expired).
        #expect(try store.records()[35]?.expiredDigest != nil)
        #expect(try store.scan(for: [#""req_33""#, #""req_35""#]).isEmpty)
        try Self.restore(Self.scenario.segment4[0]!, segment: 4, in: store)
        #expect(try store.records()[35]?.event["customer_code"] == .string(S.erasePerson.code))
        #expect(try store.scan(for: [#""req_33""#, #""req_35""#]).count == 2)
        let report = store.verify()
        let undone = report.findings(.removalUndone)
        #expect(undone.count == 3, "the erasure and both retention runs rewrote segment 4: \(undone)")
        #expect(undone.allSatisfy { $0.severity == .error && $0.segment == 4 })
    }
}
