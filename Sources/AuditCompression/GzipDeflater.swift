internal import CAuditZlib

/// Compresses a stream of records into consecutive gzip members (RFC 1952), one
/// member per block of a segment file.
///
/// The writer calls ``write(_:into:)`` per record, ``sync(into:)`` whenever the
/// bytes so far must be decodable from disk (a torn write then loses at most the
/// records after the last sync), and ``finish(into:)`` to seal the block with its
/// CRC-32/ISIZE trailer. After `finish` the next `write` starts a new member with a
/// fresh header and an empty dictionary, so every member can be decompressed on its
/// own from its start offset.
///
/// Output is deterministic for a given input and level: the header carries no file
/// name and a zero modification time.
///
/// Not thread-safe: one deflater belongs to one writer. It owns a zlib stream
/// (about 256 KiB with memLevel 8) and a 64 KiB output buffer, freed on `deinit`.
public final class GzipDeflater {
    /// zlib's window size exponent plus 16, which selects the gzip wrapper.
    static let gzipWindowBits: Int32 = 15 + 16
    /// zlib's default. memLevel 9 gave the same ratio (0.211) on JSON-like audit
    /// records and was no faster, so it is not worth its extra 128 KiB per stream.
    static let memLevel: Int32 = 8
    private static let chunkSize = 64 * 1024

    private let stream: UnsafeMutablePointer<z_stream>
    private let chunk: UnsafeMutablePointer<UInt8>
    private var memberBytes = 0

    /// The number of uncompressed bytes written into the current, unfinished member.
    /// A writer uses it to decide when a block is full.
    public var uncompressedBytesInMember: Int { memberBytes }

    /// Creates a deflater.
    /// - Parameter level: zlib compression level, 0 (store) to 9 (smallest), or -1
    ///   for zlib's default (6).
    /// - Throws: ``CompressionError/Code/invalidArgument`` for any other level,
    ///   ``CompressionError/Code/zlibFailure`` if zlib cannot allocate its state.
    public init(level: Int32 = 6) throws {
        guard (-1...9).contains(level) else {
            throw CompressionError(code: .invalidArgument, message: "compression level \(level) is outside -1...9")
        }
        stream = .allocate(capacity: 1)
        // zlib keeps a pointer back to the z_stream, so it lives at a fixed heap address.
        stream.initialize(to: z_stream())
        let status = cauditzlib_deflateInit2(
            stream, level, Z_DEFLATED, Self.gzipWindowBits, Self.memLevel, Z_DEFAULT_STRATEGY)
        guard status == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw CompressionError(code: .zlibFailure, message: "deflateInit2 failed with zlib status \(status)")
        }
        chunk = .allocate(capacity: Self.chunkSize)
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        chunk.deallocate()
    }

    /// Compresses `input` into the current member, appending to `output` whatever
    /// compressed bytes zlib emits now (often none: zlib buffers until it has a block).
    public func write(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        guard let base = input.baseAddress, !input.isEmpty else { return }
        var remaining = input.count
        var next = base
        while remaining > 0 {
            // avail_in is 32-bit; feed very large inputs in slices.
            let slice = min(remaining, Int(UInt32.max))
            stream.pointee.next_in = UnsafeMutablePointer(mutating: next.assumingMemoryBound(to: UInt8.self))
            stream.pointee.avail_in = UInt32(slice)
            try run(Z_NO_FLUSH, into: &output)
            next += slice
            remaining -= slice
        }
        memberBytes += input.count
    }

    /// Compresses `input` into the current member, like the raw-buffer overload.
    public func write(_ input: [UInt8], into output: inout [UInt8]) throws {
        try input.withUnsafeBytes { try write($0, into: &output) }
    }

    /// Flushes with `Z_SYNC_FLUSH`: afterwards every byte written so far can be
    /// decompressed from `output`, while the member stays open and keeps its
    /// dictionary (so compression of later records does not suffer).
    /// Costs about 5 bytes of output (an empty stored block).
    public func sync(into output: inout [UInt8]) throws {
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        try run(Z_SYNC_FLUSH, into: &output)
    }

    /// Completes the current member (`Z_FINISH`), appending the rest of its deflate
    /// data and its CRC-32/ISIZE trailer, then resets so that the next write begins
    /// a new member. Finishing with nothing written produces a valid empty member.
    public func finish(into output: inout [UInt8]) throws {
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        try run(Z_FINISH, into: &output)
        let status = deflateReset(stream)
        guard status == Z_OK else {
            throw CompressionError(code: .zlibFailure, message: "deflateReset failed with zlib status \(status)")
        }
        memberBytes = 0
    }

    /// Calls deflate until it has consumed all input and, for a flush, emitted all
    /// pending output, appending each filled chunk to `output`.
    private func run(_ flush: Int32, into output: inout [UInt8]) throws {
        while true {
            stream.pointee.next_out = chunk
            stream.pointee.avail_out = UInt32(Self.chunkSize)
            let status = deflate(stream, flush)
            let produced = Self.chunkSize - Int(stream.pointee.avail_out)
            if produced > 0 {
                output.append(contentsOf: UnsafeBufferPointer(start: chunk, count: produced))
            }
            switch status {
            case Z_STREAM_END:
                return
            case Z_OK, Z_BUF_ERROR:
                // Z_BUF_ERROR only means no progress was possible: nothing left to do.
                // Otherwise a full output chunk means zlib may have more to give.
                if stream.pointee.avail_out == 0 { continue }
                if stream.pointee.avail_in == 0 && flush != Z_FINISH { return }
                if status == Z_BUF_ERROR {
                    throw CompressionError(code: .zlibFailure, message: "deflate made no progress (zlib status \(status))")
                }
            default:
                throw CompressionError(code: .zlibFailure, message: "deflate failed with zlib status \(status)")
            }
        }
    }
}
