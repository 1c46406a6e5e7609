import Foundation
import Testing

/// Every command on a store one of whose files is damaged (emptied, cut in half, overwritten with
/// random bytes, or replaced by JSON nested 100,000 deep): never a crash or a hang, an exit status
/// the command documents, `verify` reporting it, and, when a command cannot do its work (status 2),
/// an error that names the damaged file.
@Suite("commands on a store with a damaged file")
struct DamagedFileTests {
    enum Damage: String, CaseIterable, Sendable {
        case empty, truncated, random, deepJSON

        func apply(to path: String) throws {
            let original = try Data(contentsOf: URL(fileURLWithPath: path))
            let bytes: Data = switch self {
            case .empty: Data()
            case .truncated: original.prefix(original.count / 2)
            case .random: Data((0..<300).map { _ in UInt8.random(in: 0...255) })
            case .deepJSON: Data((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8)
            }
            try bytes.write(to: URL(fileURLWithPath: path))
        }
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var file: String
        var damage: Damage
        var testDescription: String { "\(file), \(damage.rawValue)" }
    }

    static let files = [
        "store.json", "head.json", "segments/segment-00000001.manifest.json", "segments/segment-00000001.manifest.sig",
        "segments/segment-00000001.index", "segments/segment-00000001.jsonl.gz", "segments/segment-00000003.jsonl.gz",
    ]
    static let cases = files.flatMap { file in Damage.allCases.map { Case(file: file, damage: $0) } }

    /// Three sealed segments, written once and copied by each case.
    static let fixture = Result { () throws -> StoreFixture in
        let fixture = try StoreFixture()
        try fixture.ingestCleanly((0..<90).map { StoreFixture.event($0) }, options: ["--segment-max-events", "30"])
        return fixture
    }

    @Test("no crash, a documented status, and the damaged file named", arguments: cases)
    func damaged(_ damage: Case) throws {
        let fixture = try Self.fixture.get()
        let scratch = ScratchDirectory("auditq-damaged")
        let store = scratch.path("store")
        try FileManager.default.copyItem(atPath: fixture.store, toPath: store)
        try damage.damage.apply(to: store + "/" + damage.file)
        let name = URL(fileURLWithPath: damage.file).lastPathComponent

        let commands: [[String]] = [
            ["verify", "--store", store, "--trust", fixture.publicKey],
            ["cat", "--store", store],
            ["head", "--store", store],
            ["find", "--store", store, "--request", "req-7"],
            ["export", "--store", store, "--request", "req-7", "--out", scratch.path("bundle.json")],
            ["retention", "run", "--store", store, "--key", fixture.key, "--dry-run"],
            ["index", "rebuild", "--store", store],
            ["ingest", "--store", store, "--key", fixture.key],
        ]
        for command in commands {
            let result = try AuditQProcess.run(command)
            let what = "auditq \(command[0]) (\(result.summary))"
            #expect(!result.signalled, "\(what)")
            #expect([0, 1, 2].contains(result.status), "\(what)")
            if command[0] == "verify" { #expect(result.status != 0, "verify did not notice: \(what)") }
            if result.status == 2 { #expect(result.stderr.contains(name), "the error does not name \(name): \(what)") }
        }
    }
}
