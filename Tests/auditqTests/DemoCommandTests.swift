import Foundation
import Testing

@Suite("auditq demo")
struct DemoCommandTests {
    @Test("builds a verified demo store; running it again in the same directory works")
    func demoTwice() throws {
        let dir = ScratchDirectory()
        let demo = dir.path("demo")
        for run in 1...2 {
            let result = try AuditQProcess.run("demo", "--dir", demo, "--events", "300")
            #expect(result.status == 0, "run \(run): \(result.summary)")
            #expect(result.stdoutText.contains("INTACT"), "run \(run): \(result.stdoutText)")
        }
        // The demo store verifies with the CLI too.
        let verify = try AuditQProcess.run("verify", "--store", demo + "/store", "--trust", demo + "/keys/demo.key.pub")
        #expect(verify.status == 0, "\(verify.summary)")
        let cat = try AuditQProcess.run("cat", "--store", demo + "/store")
        #expect(cat.stdoutLines.count == 300)
    }

    @Test("refuses a non-empty directory that is not a demo, deleting nothing")
    func refusesForeignDirectory() throws {
        let dir = ScratchDirectory()
        let precious = dir.path("precious.txt")
        try Data("keep me\n".utf8).write(to: URL(fileURLWithPath: precious))
        try FileManager.default.createDirectory(atPath: dir.path("store"), withIntermediateDirectories: false)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: dir.path("store/store.json")))

        let result = try AuditQProcess.run("demo", "--dir", dir.url.path, "--events", "10")
        #expect(result.status != 0, "\(result.summary)")
        #expect(result.stderr.contains("not an earlier demo"), "\(result.stderr)")
        #expect(try String(contentsOfFile: precious, encoding: .utf8) == "keep me\n")
        #expect(try String(contentsOfFile: dir.path("store/store.json"), encoding: .utf8) == "{}")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).sorted() == ["precious.txt", "store"])
    }
}
