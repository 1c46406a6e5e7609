internal import CAuditDeflate
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
/// A block whose records are all at hand can instead be compressed in one call with
/// ``writeWholeMember(_:into:)``: libdeflate at the same level, about twice as fast as
/// zlib's stream and a few per cent smaller, in a member with the same header.
///
/// Not thread-safe: one deflater belongs to one writer. It owns a zlib stream
/// (about 256 KiB with memLevel 8) and a 64 KiB output buffer, and, once a whole
/// member was written, a libdeflate compressor; all freed on `deinit`.
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
    private let level: Int32
    private var wholeCompressor: OpaquePointer?

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
        self.level = level == -1 ? 6 : level
    }

    deinit {
        if let wholeCompressor { libdeflate_free_compressor(wholeCompressor) }
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

    /// Appends `input` as one complete member, compressed in one call by libdeflate at this
    /// deflater's level. The member is what ``write(_:into:)`` then ``finish(into:)`` would give
    /// for the same input, byte for byte in its header and trailer, with other (equally valid)
    /// deflate data between them.
    ///
    /// - Throws: ``CompressionError/Code/invalidArgument`` while a member is open (written to
    ///   and not finished), ``CompressionError/Code/zlibFailure`` if the compressor cannot be
    ///   allocated.
    public func writeWholeMember(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        guard memberBytes == 0 else {
            throw CompressionError(code: .invalidArgument, message: "a whole member cannot be written while a member is open")
        }
        if wholeCompressor == nil {
            wholeCompressor = libdeflate_alloc_compressor(level)
            guard wholeCompressor != nil else {
                throw CompressionError(code: .zlibFailure, message: "libdeflate could not allocate a level-\(level) compressor")
            }
        }
        let compressor = wholeCompressor!
        // zlib's gzip header for this level: no name, no time, XFL as zlib sets it, OS 3 (Unix).
        let extraFlags: UInt8 = level == 9 ? 2 : level < 2 ? 4 : 0
        output += [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, extraFlags, 0x03]
        let bound = libdeflate_deflate_compress_bound(compressor, input.count)
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: bound))
        let produced = output.withUnsafeMutableBytes { buffer in
            libdeflate_deflate_compress(compressor, input.baseAddress, input.count, buffer.baseAddress! + start, bound)
        }
        output.removeLast(bound - produced)
        // The bound is a worst case for any input, so 0 ("did not fit") cannot happen; if it does, the
        // member is unusable and the caller must not write it.
        guard produced > 0 else {
            output.removeLast(10)
            throw CompressionError(code: .zlibFailure, message: "libdeflate's output did not fit its own bound of \(bound) bytes")
        }
        let crc = libdeflate_crc32(0, input.baseAddress, input.count)
        withUnsafeBytes(of: crc.littleEndian) { output += $0 }
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: input.count).littleEndian) { output += $0 }
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
