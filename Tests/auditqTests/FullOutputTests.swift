import Foundation
import Testing

/// Output that cannot be written (standard output or the rejects file on a full disk, here Linux's
/// `/dev/full`, where every write fails with ENOSPC) is an error, exit status 2, never a silently short
/// file that looks like success.
@Suite("output to a full disk", .enabled(if: FileManager.default.fileExists(atPath: "/dev/full"), "needs /dev/full"))
struct FullOutputTests {
    static let fixture = Result { () throws -> StoreFixture in
        let fixture = try StoreFixture()
        try fixture.ingestCleanly((0..<300).map { StoreFixture.event($0) }, options: ["--segment-max-events", "100"])
        return fixture
    }

    @Test("every command that writes standard output fails with status 2 and says the output is incomplete", arguments: [
        ["cat"], ["find", "--request", "req-7"], ["verify"], ["verify", "--format", "json"], ["head"], ["show", "--seq", "3"],
    ])
    func standardOutput(_ command: [String]) throws {
        let fixture = try Self.fixture.get()
        var arguments = [command[0], "--store", fixture.store] + command.dropFirst()
        if command[0] == "verify" { arguments += ["--trust", fixture.publicKey] }
        let quoted = arguments.map { "'\($0)'" }.joined(separator: " ")
        let result = try AuditQProcess.runTool("sh", "-c", "'\(try AuditQProcess.executable().path)' \(quoted) > /dev/full")
        #expect(result.status == 2, "\(result.summary)")
        #expect(result.stderr.contains("cannot write to standard output: No space left on device"), "\(result.summary)")
    }

    @Test("a rejects file that fills up: status 2, naming the first rejected line it lacks; the good lines are stored")
    func rejectsFile() throws {
        let fixture = try StoreFixture()
        let lines = [StoreFixture.event(1), "{not json", StoreFixture.event(2), "[]"]
        let result = try fixture.ingest(lines, options: ["--rejects", "/dev/full"])
        #expect(result.status == 2, "\(result.summary)")
        #expect(result.stderr.contains("the rejects file is incomplete") && result.stderr.contains("from line 2 on"), "\(result.summary)")
        #expect(try fixture.records().count == 2)
    }
}
