#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads newline-separated lines from a file descriptor with bounded memory: a line longer than
/// `maxLineBytes` is reported by its length and skipped, never buffered whole.
package struct LineReader {
    package enum Line {
        case line(UnsafeRawBufferPointer)
        case tooLong(bytes: Int)
    }

    private let descriptor: Int32
    private let maxLineBytes: Int
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var eof = false
    package private(set) var lineNumber = 0

    package init(descriptor: Int32, maxLineBytes: Int) {
        self.descriptor = descriptor
        self.maxLineBytes = maxLineBytes
        self.buffer = [UInt8](repeating: 0, count: max(1 << 20, maxLineBytes + 1))
    }

    /// The offset of the first newline in `buffer[start..<end]` (memchr: the generic search was a
    /// visible share of ingest's reading thread).
    private func nextNewline() -> Int? {
        guard end > start else { return nil }
        return buffer.withUnsafeBytes { raw in
            memchr(raw.baseAddress! + start, 0x0A, end - start).map { UnsafeRawPointer($0) - raw.baseAddress! }
        }
    }

    /// Calls `body` with each line (without the newline; a final line without one counts too), and
    /// `beforeRead` whenever it is about to wait for more input (so a caller batching lines can hand
    /// over what it has: input that arrives slowly is not held back).
    package mutating func forEach(beforeRead: () -> Void = {}, _ body: (Int, Line) throws -> Void) throws {
        var skipping = 0
        while true {
            if let newline = nextNewline() {
                lineNumber += 1
                if skipping > 0 {
                    try body(lineNumber, .tooLong(bytes: skipping + newline - start))
                    skipping = 0
                } else {
                    var lineEnd = newline
                    if lineEnd > start, buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                    try buffer.withUnsafeBytes { try body(lineNumber, .line(UnsafeRawBufferPointer(rebasing: $0[start..<lineEnd]))) }
                }
                start = newline + 1
                continue
            }
            if eof {
                if skipping > 0 || end > start {
                    lineNumber += 1
                    if skipping > 0 {
                        try body(lineNumber, .tooLong(bytes: skipping + end - start))
                    } else {
                        try buffer.withUnsafeBytes { try body(lineNumber, .line(UnsafeRawBufferPointer(rebasing: $0[start..<end]))) }
                    }
                }
                return
            }
            if end - start > maxLineBytes {
                skipping += end - start
                start = 0
                end = 0
            } else if start > 0 {
                buffer.withUnsafeMutableBytes { raw in
                    _ = memmove(raw.baseAddress!, raw.baseAddress! + start, end - start)
                }
                end -= start
                start = 0
            }
            beforeRead()
            let n = buffer.withUnsafeMutableBytes { raw in read(descriptor, raw.baseAddress! + end, raw.count - end) }
            if n < 0 {
                if errno == EINTR { continue }
                throw AuditStoreError(.io, "read failed: \(String(cString: strerror(errno)))", path: "standard input")
            }
            if n == 0 { eof = true } else { end += n }
        }
    }
}
