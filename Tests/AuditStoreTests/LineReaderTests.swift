#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AuditTestSupport
import Testing
@testable import AuditStore

/// `auditq ingest` reads standard input through ``LineReader``: every line, in order, with its number,
/// whatever the read boundaries; CR LF and a last line without a newline; a line over the limit
/// reported by its length and skipped, never buffered.
@Suite("Line reader")
struct LineReaderTests {
    enum Read: Equatable {
        case line(Int, String)
        case tooLong(Int, bytes: Int)
    }

    /// The lines of `input` as the reader gives them, read from a file.
    func read(_ input: [UInt8], maxLineBytes: Int) throws -> [Read] {
        let dir = TemporaryDirectory()
        let path = dir.child("input")
        try FileSystem.writeAtomically(input, to: path)
        let descriptor = open(path, O_RDONLY)
        #expect(descriptor >= 0)
        defer { close(descriptor) }
        var reader = LineReader(descriptor: descriptor, maxLineBytes: maxLineBytes)
        var out: [Read] = []
        try reader.forEach { number, line in
            switch line {
            case .line(let bytes): out.append(.line(number, String(decoding: bytes, as: UTF8.self)))
            case .tooLong(let bytes): out.append(.tooLong(number, bytes: bytes))
            }
        }
        return out
    }

    @Test("lines, CR LF, empty lines and a last line without a newline")
    func shapes() throws {
        let input = Array("a\r\nbb\n\n{\"x\":1}\r\nlast".utf8)
        #expect(try read(input, maxLineBytes: 100) == [.line(1, "a"), .line(2, "bb"), .line(3, ""), .line(4, "{\"x\":1}"), .line(5, "last")])
        #expect(try read([], maxLineBytes: 100) == [])
        #expect(try read(Array("\n".utf8), maxLineBytes: 100) == [.line(1, "")])
    }

    @Test("lines across read boundaries come out whole, in order")
    func boundaries() throws {
        // About 3 MiB of lines of varying length: the reader's buffer (1 MiB) refills mid-line many times.
        var input: [UInt8] = []
        var expected: [Read] = []
        var n = 0
        while input.count < 3 << 20 {
            n += 1
            let line = "line \(n) " + String(repeating: "x", count: (n * 7919) % 5000)
            input += Array(line.utf8) + [0x0A]
            expected.append(.line(n, line))
        }
        #expect(try read(input, maxLineBytes: 8192) == expected)
    }

    @Test("a line over the limit is reported by its length and skipped; the lines around it are read")
    func tooLong() throws {
        let long = String(repeating: "y", count: 3 << 20)
        let input = Array("first\n\(long)\nafter\n\(long)".utf8)
        #expect(try read(input, maxLineBytes: 1000) == [
            .line(1, "first"), .tooLong(2, bytes: long.utf8.count), .line(3, "after"), .tooLong(4, bytes: long.utf8.count),
        ])
    }
}
