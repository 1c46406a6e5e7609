import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A long-running `auditq` child whose standard input the test keeps open: for the lock and kill tests.
///
/// Standard output is read line by line as it arrives (for `durable SEQ` acknowledgements); standard
/// error is collected. Writes to standard input are serialised with closing it, so a descriptor is
/// never written after it was closed.
final class RunningAuditQ: Sendable {
    let pid: Int32
    private let process: Process
    private let stdin: Mutex<FileHandle?>
    private let stdoutLines: LineCollector
    private let stdoutReader: BackgroundThread<Void>
    private let stderrReader: BackgroundThread<[UInt8]>

    init(_ arguments: [String]) throws {
        let (process, input, output, error) = try AuditQProcess.launch(try AuditQProcess.executable(), arguments)
        self.process = process
        self.pid = process.processIdentifier
        self.stdin = Mutex(input.fileHandleForWriting)
        let lines = LineCollector()
        self.stdoutLines = lines
        // The reader threads hold the handles, which own the descriptors, until they finish.
        let outHandle = output.fileHandleForReading
        let errHandle = error.fileHandleForReading
        self.stdoutReader = BackgroundThread { [lines] in
            let stdoutFD = outHandle.fileDescriptor
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 16 << 10)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(stdoutFD, $0.baseAddress!, $0.count) }
                if n < 0, errno == EINTR { continue }
                if n <= 0 { break }
                pending.append(contentsOf: buffer[0..<n])
                while let newline = pending.firstIndex(of: 0x0A) {
                    let line = String(decoding: pending[..<newline], as: UTF8.self)
                    pending.removeSubrange(...newline)
                    lines.append(line)
                }
            }
        }
        self.stderrReader = BackgroundThread { AuditQProcess.readToEnd(errHandle.fileDescriptor) }
    }

    deinit {
        if process.isRunning { kill(pid, SIGKILL) }
    }

    /// Complete standard-output lines received so far.
    var lines: [String] {
        stdoutLines.all
    }

    /// Writes to the child's standard input; false once it is closed or the child has gone.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        stdin.withLock { handle in
            guard let handle else { return false }
            return AuditQProcess.writeAll(handle.fileDescriptor, bytes)
        }
    }

    /// Ends the child's input (it sees end of file).
    func closeStdin() {
        stdin.withLock { handle in
            try? handle?.close()
            handle = nil
        }
    }

    /// Sends `signal` to the child.
    func signal(_ signal: Int32) {
        kill(pid, signal)
    }

    /// Waits up to `timeout` seconds for a standard-output line satisfying `predicate`.
    func waitForLine(timeout: Double, where predicate: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = lines.first(where: predicate) { return line }
            if !process.isRunning {
                stdoutReader.join()
                return lines.first(where: predicate)
            }
            usleep(2_000)
        }
        return nil
    }

    /// Waits for the child to exit (killing it after `timeout` seconds, which is recorded as an issue),
    /// closes its input and returns how it ended with everything it wrote.
    func wait(timeout: Double = 30, sourceLocation: SourceLocation = #_sourceLocation) -> AuditQProcess.Result {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(2_000) }
        if process.isRunning {
            Issue.record("auditq (pid \(pid)) did not exit within \(timeout) s; killed", sourceLocation: sourceLocation)
            kill(pid, SIGKILL)
        }
        process.waitUntilExit()
        closeStdin()
        stdoutReader.join()
        let stderr = stderrReader.join()
        return AuditQProcess.Result(
            status: process.terminationStatus,
            signalled: process.terminationReason == .uncaughtSignal,
            stdout: Array(lines.map { $0 + "\n" }.joined().utf8),
            stderr: String(decoding: stderr, as: UTF8.self)
        )
    }
}

/// Lines shared between a reader thread and the test.
private final class LineCollector: Sendable {
    private let lines = Mutex<[String]>([])

    func append(_ line: String) {
        lines.withLock { $0.append(line) }
    }

    var all: [String] {
        lines.withLock { $0 }
    }
}
