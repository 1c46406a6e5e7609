#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AuditCompression
import AuditModel

/// Walks a segment file's gzip members: the header, then blocks of records, and says how the file
/// ends (cleanly, with an unfinished member, or with bytes that are not gzip).
///
/// It never trusts lengths from the file: each member is found by decompressing from its start, and
/// every member's output is bounded, so arbitrary bytes cannot make it allocate without limit.
package struct SegmentScanner {
    /// Largest decompressed block accepted (blocks are written at ~256 KiB).
    package static let maxBlockBytes = 64 << 20

    package struct Block {
        /// Offset of the member's first byte.
        package var offset: Int
        /// Offset just past the member (or past the readable part of an unfinished one).
        package var end: Int
        /// Complete lines (without newlines).
        package var lines: [ArraySlice<UInt8>]
        /// True when the member ended with a valid trailer.
        package var isComplete: Bool
        /// Bytes after the last newline of an unfinished member (a torn record).
        package var partialLineBytes: Int

        package init(offset: Int, end: Int, lines: [ArraySlice<UInt8>], isComplete: Bool, partialLineBytes: Int) {
            self.offset = offset
            self.end = end
            self.lines = lines
            self.isComplete = isComplete
            self.partialLineBytes = partialLineBytes
        }
    }

    package enum End: Equatable {
        /// Every byte belongs to a complete member.
        case clean
        /// The last member has no trailer: the file was cut while the member was open (a crash, or the
        /// writer is still running).
        case unfinishedMember(offset: Int)
        /// Bytes at `offset` are not a readable gzip member.
        case unreadable(offset: Int, reason: String)
    }

    package let bytes: [UInt8]
    package private(set) var offset = 0
    package private(set) var end: End?

    package init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    package static func split(_ output: [UInt8]) -> (lines: [ArraySlice<UInt8>], partialBytes: Int) {
        var lines: [ArraySlice<UInt8>] = []
        lines.reserveCapacity(output.count / 512 + 1)
        var lineStart = 0
        output.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            while lineStart < raw.count, let hit = memchr(base + lineStart, 0x0A, raw.count - lineStart) {
                let i = base.distance(to: UnsafeRawPointer(hit))
                lines.append(output[lineStart..<i])
                lineStart = i + 1
            }
        }
        return (lines, output.count - lineStart)
    }

    /// Continues from `offset`, the start of a member the caller has located and read by other means
    /// (as if every member before it had been read by ``nextBlock()``).
    package mutating func resume(at offset: Int) {
        precondition(end == nil && offset >= self.offset)
        self.offset = offset
    }

    /// Reads the header member. Throws when the file does not start with a complete, valid header.
    package mutating func readHeader() throws(RecordError) -> SegmentHeader {
        guard let block = nextBlock(), block.isComplete else {
            if case .unreadable(_, let reason) = end { throw RecordError("segment header is unreadable: \(reason)") }
            throw RecordError("segment header member is incomplete")
        }
        guard block.lines.count == 1 else { throw RecordError("segment header member must hold exactly one line") }
        return try SegmentHeader(line: Array(block.lines[0]))
    }

    /// The next member, or nil at the end (see ``end``).
    package mutating func nextBlock() -> Block? {
        guard end == nil else { return nil }
        guard offset < bytes.count else {
            end = .clean
            return nil
        }
        let start = offset
        let member: GzipMember
        do {
            member = try bytes.withUnsafeBytes { buffer in
                try Gzip.inflateMember(buffer, at: start, maxOutput: SegmentScanner.maxBlockBytes)
            }
        } catch let error as CompressionError where error.code == .corruptData || error.code == .checksumMismatch {
            // Keep what decodes before the bad bytes (a torn tail after a crash, where stale bytes may
            // even end the stream with a trailer that does not match); the caller decides whether
            // those bytes were inside a signed region.
            end = .unreadable(offset: start, reason: "\(error)")
            guard let prefix = try? bytes.withUnsafeBytes({ try Gzip.inflateMemberPrefix($0, at: start, maxOutput: SegmentScanner.maxBlockBytes) }),
                !prefix.bytes.isEmpty
            else { return nil }
            let (lines, partial) = SegmentScanner.split(prefix.bytes)
            return Block(offset: start, end: start, lines: lines, isComplete: false, partialLineBytes: partial)
        } catch {
            end = .unreadable(offset: start, reason: "\(error)")
            return nil
        }
        let (lines, partial) = SegmentScanner.split(member.bytes)
        if member.isComplete {
            offset = member.compressedRange.upperBound
            if partial != 0 {
                end = .unreadable(offset: start, reason: "complete member ends without a newline")
                return nil
            }
        } else {
            end = .unfinishedMember(offset: start)
        }
        return Block(offset: start, end: member.compressedRange.upperBound, lines: lines, isComplete: member.isComplete, partialLineBytes: partial)
    }
}
