import AuditTestSupport
import Foundation
import Testing

/// Runs the system `gzip` binary on files in a private temporary directory.
final class GzipCommandLine {
    private let temporary = TemporaryDirectory(prefix: "auditcompression")
    var directory: URL { URL(fileURLWithPath: temporary.path, isDirectory: true) }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: directory.appendingPathComponent(name))
    }

    func read(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    /// Runs `gzip arguments...` with standard output going to the file `stdoutFile`
    /// (a file, not a pipe, so that large outputs cannot deadlock).
    /// Returns the exit status and standard error.
    func gzip(_ arguments: String..., stdoutFile: String) throws -> (status: Int32, stderr: String) {
        let outURL = directory.appendingPathComponent(stdoutFile)
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        defer { try? out.close() }
        let err = Pipe()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip"] + arguments
        process.currentDirectoryURL = directory
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stderr, as: UTF8.self))
    }
}
