import AuditTestSupport
import Foundation
import Testing

/// Runs the system `openssl` binary in a private temporary directory, for interop tests.
final class OpenSSLCommandLine {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    private let temporary = TemporaryDirectory(prefix: "auditcrypto")
    var directory: URL { URL(fileURLWithPath: temporary.path, isDirectory: true) }

    func path(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: directory.appendingPathComponent(name))
    }

    func write(_ name: String, _ text: String) throws {
        try write(name, Array(text.utf8))
    }

    func read(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    func readText(_ name: String) throws -> String {
        String(decoding: try read(name), as: UTF8.self)
    }

    /// Runs `openssl` with `arguments`; the working directory is the temporary one.
    @discardableResult
    func openssl(_ arguments: String...) throws -> Result {
        try run("/usr/bin/env", ["openssl"] + arguments)
    }

    /// Runs a shell pipeline in the temporary directory.
    func shell(_ script: String) throws -> Result {
        try run("/bin/sh", ["-c", script])
    }

    /// Runs `openssl` and requires it to succeed.
    @discardableResult
    func require(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) throws -> Result {
        let result = try run("/usr/bin/env", ["openssl"] + arguments)
        try #require(
            result.status == 0,
            "openssl \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.stderr)",
            sourceLocation: sourceLocation
        )
        return result
    }

    private func run(_ executable: String, _ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardInput = FileHandle.nullDevice
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Small outputs only: read both to EOF, then reap.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self)
        )
    }
}
