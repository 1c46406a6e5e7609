import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs the `auditq` executable that `swift test` built next to the test bundle.
enum AuditQProcess {
    /// How a child process ended.
    struct Result: Sendable, CustomTestStringConvertible {
        /// The exit status, or the signal number when ``signalled``.
        var status: Int32
        /// True when the process was ended by a signal (a crash or a kill), not by `exit`.
        var signalled: Bool
        var stdout: [UInt8]
        var stderr: String

        var stdoutText: String { String(decoding: stdout, as: UTF8.self) }

        /// Non-empty stdout lines.
        var stdoutLines: [String] {
            stdoutText.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        }

        /// Short, for expectation expansions; ``summary`` has the details.
        var testDescription: String { signalled ? "killed by signal \(status)" : "exit \(status)" }

        /// For `#expect` messages: what the process said.
        var summary: String {
            "\(signalled ? "signal" : "exit") \(status); stderr: \(stderr.prefix(2000)); stdout: \(stdoutText.prefix(500))"
        }
    }

    /// The `auditq` binary: in the directory of the running test bundle (`.build/<triple>/debug`).
    static func executable() throws -> URL {
        try located.get()
    }

    private static let located: Swift.Result<URL, LocateError> = {
        var candidates: [URL] = []
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: exe).deletingLastPathComponent())
        }
        candidates.append(Bundle.main.bundleURL)
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        for directory in candidates {
            let binary = directory.appendingPathComponent("auditq")
            if FileManager.default.isExecutableFile(atPath: binary.path) { return .success(binary) }
        }
        return .failure(LocateError(searched: candidates.map(\.path)))
    }()

    struct LocateError: Error, CustomStringConvertible {
        var searched: [String]
        var description: String {
            "the auditq executable was not found next to the test bundle (looked in \(searched.joined(separator: ", "))); build it with `swift build` before `swift test`"
        }
    }

    /// Runs `auditq arguments…` to completion, feeding `stdin` and collecting both outputs.
    ///
    /// - Parameter environment: variables added to the test runner's environment (`AUDITQ_CRASH_AT`).
    static func run(_ arguments: [String], stdin: [UInt8] = [], in directory: URL? = nil, environment: [String: String] = [:]) throws -> Result {
        try spawnAndWait(try executable(), arguments, stdin: stdin, in: directory, environment: environment)
    }

    static func run(_ arguments: String..., stdin: [UInt8] = [], in directory: URL? = nil) throws -> Result {
        try run(arguments, stdin: stdin, in: directory)
    }

    /// Runs another system tool (gzip, openssl) through `env`, for cross-checks with independent code.
    static func runTool(_ arguments: String..., stdin: [UInt8] = []) throws -> Result {
        try runTool(arguments, stdin: stdin)
    }

    static func runTool(_ arguments: [String], stdin: [UInt8] = []) throws -> Result {
        try spawnAndWait(URL(fileURLWithPath: "/usr/bin/env"), arguments, stdin: stdin, in: nil)
    }

    /// A broken pipe to a killed child must surface as EPIPE from write(2), not kill the test runner.
    static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// Starts `executable` with pipes on its standard input, output and error.
    static func launch(
        _ executable: URL, _ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]
    ) throws -> (process: Process, input: Pipe, output: Pipe, error: Pipe) {
        ignoreBrokenPipes
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
        let input = Pipe()
        let output = Pipe()
        let error = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = error
        try process.run()
        return (process, input, output, error)
    }

    private static func spawnAndWait(_ executable: URL, _ arguments: [String], stdin: [UInt8], in directory: URL?, environment: [String: String] = [:]) throws -> Result {
        let (process, input, output, error) = try launch(executable, arguments, in: directory, environment: environment)

        // Feed and drain concurrently so neither side can block on a full pipe. The threads hold the
        // FileHandles, which own the descriptors: never close(2) one behind their back (another test may
        // have reused the number by the time the handle closes it again).
        let stdinHandle = input.fileHandleForWriting
        let stdoutHandle = output.fileHandleForReading
        let stderrHandle = error.fileHandleForReading
        let feeder = BackgroundThread {
            _ = writeAll(stdinHandle.fileDescriptor, stdin)
            try? stdinHandle.close()
        }
        let outReader = BackgroundThread { readToEnd(stdoutHandle.fileDescriptor) }
        let errReader = BackgroundThread { readToEnd(stderrHandle.fileDescriptor) }
        feeder.join()
        let out = outReader.join()
        let err = errReader.join()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            signalled: process.terminationReason == .uncaughtSignal,
            stdout: out,
            stderr: String(decoding: err, as: UTF8.self)
        )
    }

    /// Writes every byte, retrying on EINTR; false once the reader has gone (EPIPE) or on another error.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
    }

    /// Reads until end of file.
    static func readToEnd(_ fd: Int32) -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                break
            }
            if n == 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        return bytes
    }
}

/// A dedicated OS thread (not a Swift concurrency task: it may block on pipes) with a joinable result.
final class BackgroundThread<Value: Sendable>: Sendable {
    private let result = Mutex<Value?>(nil)
    private let finished = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable () -> Value) {
        let thread = Thread { [self] in
            let value = body()
            result.withLock { $0 = value }
            finished.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Waits for the thread to finish and returns what it produced.
    @discardableResult
    func join() -> Value {
        finished.wait()
        finished.signal()
        return result.withLock { $0! }
    }
}
