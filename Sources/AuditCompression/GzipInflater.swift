internal import CAuditZlib

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Decompresses gzip members one at a time, reusing one zlib stream.
///
/// zlib inflates the raw deflate data only (negative window bits); the header and
/// the CRC-32/ISIZE trailer are handled here, so every failure is classified by
/// where it happened. Not thread-safe; ``Gzip`` makes one per call.
final class GzipInflater {
    /// Raw deflate with a 32 KiB window: accepts anything zlib's deflate produces.
    private static let rawWindowBits: Int32 = -15
    private static let initialCapacity = 64 * 1024

    private let stream: UnsafeMutablePointer<z_stream>
    private var isFresh = true

    init() throws {
        stream = .allocate(capacity: 1)
        // zlib keeps a pointer back to the z_stream, so it lives at a fixed heap address.
        stream.initialize(to: z_stream())
        let status = cauditzlib_inflateInit2(stream, Self.rawWindowBits)
        guard status == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw CompressionError(code: .zlibFailure, message: "inflateInit2 failed with zlib status \(status)")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// See ``Gzip/inflateMember(_:at:maxOutput:)``.
    func inflateMember(_ data: UnsafeRawBufferPointer, at offset: Int, maxOutput: Int, stopAtCorruptData: Bool = false, sizeHint: Int? = nil) throws -> GzipMember {
        guard (0...data.count).contains(offset) else {
            throw CompressionError(
                code: .invalidArgument, message: "offset \(offset) is outside the \(data.count)-byte input", offset: offset)
        }
        guard maxOutput >= 0 else {
            throw CompressionError(code: .invalidArgument, message: "maxOutput \(maxOutput) is negative", offset: offset)
        }
        let input = UnsafeRawBufferPointer(rebasing: data[offset...])
        let incomplete = GzipMember(bytes: [], compressedRange: offset..<data.count, isComplete: false)

        let headerLength: Int
        switch GzipHeader.parse(input) {
        case .complete(let length): headerLength = length
        case .truncated: return incomplete
        case .invalid(let reason):
            throw CompressionError(code: .notGzip, message: "not a gzip member: \(reason)", offset: offset)
        }

        if !isFresh {
            let status = inflateReset(stream)
            guard status == Z_OK else {
                throw CompressionError(code: .zlibFailure, message: "inflateReset failed with zlib status \(status)", offset: offset)
            }
        }
        isFresh = false
        // inflateReset keeps next_in/avail_in, which still point into the previous member.
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0

        var output = OutputBuffer(limit: maxOutput, sizeHint: sizeHint)
        defer { output.deallocate() }
        var crc = crc32_z(0, nil, 0)
        var consumed = headerLength  // bytes of `input` handed to zlib so far
        var streamEnded = false

        while !streamEnded {
            if stream.pointee.avail_in == 0 && consumed < input.count {
                // avail_in is 32-bit; hand very large inputs over in slices.
                let slice = min(input.count - consumed, Int(UInt32.max))
                stream.pointee.next_in = UnsafeMutablePointer(
                    mutating: (input.baseAddress! + consumed).assumingMemoryBound(to: UInt8.self))
                stream.pointee.avail_in = UInt32(slice)
                consumed += slice
            }
            if output.available == 0 {
                guard output.grow() else {
                    throw CompressionError(
                        code: .outputLimitExceeded,
                        message: "member decompresses to more than the \(maxOutput)-byte limit", offset: offset)
                }
            }
            let before = output.count
            stream.pointee.next_out = output.next
            stream.pointee.avail_out = UInt32(min(output.available, Int(UInt32.max)))
            let availOutBefore = Int(stream.pointee.avail_out)
            let status = inflate(stream, Z_NO_FLUSH)
            output.count = before + availOutBefore - Int(stream.pointee.avail_out)
            crc = crc32_z(crc, output.start + before, output.count - before)
            guard output.count <= maxOutput else {
                throw CompressionError(
                    code: .outputLimitExceeded,
                    message: "member decompresses to more than the \(maxOutput)-byte limit", offset: offset)
            }

            switch status {
            case Z_STREAM_END:
                streamEnded = true
            case Z_OK, Z_BUF_ERROR:
                // Out of input with room left over: zlib has emitted everything the
                // available bytes determine, so this is a torn tail.
                if stream.pointee.avail_in == 0 && consumed == input.count && stream.pointee.avail_out > 0 {
                    return GzipMember(bytes: output.array(), compressedRange: offset..<data.count, isComplete: false)
                }
            case Z_DATA_ERROR where stopAtCorruptData:
                return GzipMember(bytes: output.array(), compressedRange: offset..<data.count, isComplete: false)
            case Z_DATA_ERROR:
                let reason = stream.pointee.msg.map { String(cString: $0) } ?? "invalid deflate data"
                throw CompressionError(code: .corruptData, message: "corrupt deflate data: \(reason)", offset: offset)
            case Z_MEM_ERROR:
                throw CompressionError(code: .zlibFailure, message: "zlib ran out of memory", offset: offset)
            default:
                throw CompressionError(code: .zlibFailure, message: "inflate failed with zlib status \(status)", offset: offset)
            }
        }

        // The 8-byte trailer: CRC-32 then ISIZE (length mod 2^32), little-endian.
        let trailerStart = consumed - Int(stream.pointee.avail_in)
        guard input.count - trailerStart >= 8 else {
            return GzipMember(bytes: output.array(), compressedRange: offset..<data.count, isComplete: false)
        }
        let storedCRC = input.loadUnaligned(fromByteOffset: trailerStart, as: UInt32.self).littleEndian
        let storedSize = input.loadUnaligned(fromByteOffset: trailerStart + 4, as: UInt32.self).littleEndian
        guard storedCRC == UInt32(truncatingIfNeeded: crc),
            storedSize == UInt32(truncatingIfNeeded: output.count)
        else {
            // Stale bytes after a crash can decode as the end of the stream; the output stays a prefix
            // for the caller to validate, like output cut short by corrupt data.
            if stopAtCorruptData {
                return GzipMember(bytes: output.array(), compressedRange: offset..<data.count, isComplete: false)
            }
            throw CompressionError(
                code: .checksumMismatch,
                message: "gzip trailer does not match the decompressed data (CRC-32 or length); the block is damaged",
                offset: offset)
        }
        return GzipMember(
            bytes: output.array(), compressedRange: offset..<(offset + trailerStart + 8), isComplete: true)
    }
}

extension GzipInflater {
    /// A malloc'd buffer that doubles up to `limit + 1` bytes: one byte past the
    /// limit is how an over-long member is detected without decoding further.
    /// Grown with `realloc`, which for large blocks remaps pages instead of copying.
    struct OutputBuffer {
        private(set) var start: UnsafeMutablePointer<UInt8>
        private(set) var capacity: Int
        private let ceiling: Int
        var count = 0

        /// - Parameter sizeHint: The output size expected, if known: the buffer starts one byte larger,
        ///   so that output of exactly that size is never copied to grow.
        init(limit: Int, sizeHint: Int? = nil) {
            ceiling = limit == Int.max ? Int.max : limit + 1
            capacity = min(max(GzipInflater.initialCapacity, (sizeHint ?? 0) + 1), ceiling)
            guard let memory = malloc(capacity) else { fatalError("out of memory allocating \(capacity) bytes") }
            start = memory.assumingMemoryBound(to: UInt8.self)
        }

        var available: Int { capacity - count }
        var next: UnsafeMutablePointer<UInt8> { start + count }

        /// Doubles the capacity; false once the ceiling is reached.
        mutating func grow() -> Bool {
            guard capacity < ceiling else { return false }
            let newCapacity = capacity > ceiling / 2 ? ceiling : capacity * 2
            guard let memory = realloc(start, newCapacity) else {
                fatalError("out of memory growing a decompression buffer to \(newCapacity) bytes")
            }
            start = memory.assumingMemoryBound(to: UInt8.self)
            capacity = newCapacity
            return true
        }

        func array() -> [UInt8] {
            Array(UnsafeBufferPointer(start: start, count: count))
        }

        func deallocate() {
            free(start)
        }
    }
}
