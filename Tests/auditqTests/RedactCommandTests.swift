import Foundation
import Testing

/// `auditq redact` through the built binary: the filter contract of docs/redaction.md.
@Suite("auditq redact (binary)")
struct RedactCommandTests {
    /// The `auditq` executable next to the test bundle (both live in the build's products folder).
    static let binary: URL? = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = directory.appendingPathComponent("auditq")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }()

    func run(_ input: Data, arguments: [String] = []) throws -> (stdout: String, stderr: String, status: Int32) {
        struct NoBinary: Error {}
        guard let binary = Self.binary else { throw NoBinary() }
        let process = Process()
        process.executableURL = binary
        process.arguments = ["redact"] + arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let writer = Thread {
            stdin.fileHandleForWriting.write(input)
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self), process.terminationStatus)
    }

    @Test("one output line per input line, in order; bad lines are named on stderr, never echoed; exit 1", .enabled(if: binary != nil))
    func filter() throws {
        var input = Data(#"{"password":"hunter2","m":"ok"}"#.utf8)
        input.append(0x0A)
        input.append(Data(#"{"broken": "sk_live_4eC39HqLyjWDarjtT1zdp7dc""#.utf8))
        input.append(0x0A)
        input.append(contentsOf: [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D, 0x0A])
        input.append(Data(#"{"m":"Bearer abcDEF1234567890xyz"}"#.utf8))  // no final newline
        let result = try run(input)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 4)
        #expect(lines.first == #"{"m":"ok","password":"[REDACTED:password]","redaction":{"rules":{"password":1}}}"#)
        #expect(lines.last == #"{"m":"Bearer [REDACTED:bearer-token]","redaction":{"rules":{"bearer-token":1}}}"#)
        #expect(lines[1].hasPrefix(#"{"redaction":{"error":"line 2: "#))
        #expect(lines[2].hasPrefix(#"{"redaction":{"error":"line 3: "#))
        #expect(result.stderr.contains("line 2: invalid JSON"))
        #expect(result.stderr.contains("line 3: invalid JSON"))
        #expect(!result.stdout.contains("sk_live") && !result.stderr.contains("sk_live"))
        #expect(result.status == 1)
    }

    @Test("a rules file is applied; a bad one is refused with its line", .enabled(if: binary != nil))
    func rules() throws {
        let directory = FileManager.default.temporaryDirectory
        let good = directory.appendingPathComponent("rules-\(UUID().uuidString).json")
        let bad = directory.appendingPathComponent("rules-\(UUID().uuidString).json")
        try #"{"fieldNames":[{"rule":"acme-pin","names":["acme_pin"]}]}"#.write(to: good, atomically: true, encoding: .utf8)
        try "{\n  \"disable\": [\"no-such-rule\"]\n}".write(to: bad, atomically: true, encoding: .utf8)
        defer {
            try? FileManager.default.removeItem(at: good)
            try? FileManager.default.removeItem(at: bad)
        }
        let ok = try run(Data(#"{"acme_pin":"1234"}"#.utf8 + [0x0A]), arguments: ["--rules", good.path])
        #expect(ok.stdout == #"{"acme_pin":"[REDACTED:acme-pin]","redaction":{"rules":{"acme-pin":1}}}"# + "\n")
        #expect(ok.status == 0)
        let refused = try run(Data(), arguments: ["--rules", bad.path])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("\(bad.path):2: disable[0]: no rule is named 'no-such-rule'"))
    }
}
