/// Whole-buffer gzip (RFC 1952) operations for segment files, which are a
/// sequence of gzip members, one per block.
public enum Gzip {
    /// Decompresses exactly one gzip member that begins at `offset`.
    ///
    /// A member cut short by the end of `data` (a torn write) is not an error: the
    /// result has `isComplete == false` and holds every byte decodable so far, which
    /// is always a prefix of what was written. A member is complete only when its
    /// trailer was read and its CRC-32 and length match.
    ///
    /// - Parameters:
    ///   - data: The buffer holding the member, typically a whole segment file.
    ///   - offset: Where the member starts; `data.count` gives an empty incomplete member.
    ///   - maxOutput: The most decompressed bytes to accept, bounding memory against
    ///     a hostile or corrupt member (a "zip bomb").
    /// - Throws: `CompressionError` with ``CompressionError/offset`` set to `offset`:
    ///   ``CompressionError/Code/notGzip`` for a bad header,
    ///   ``CompressionError/Code/corruptData`` for invalid deflate data,
    ///   ``CompressionError/Code/checksumMismatch`` for a trailer that does not match,
    ///   ``CompressionError/Code/outputLimitExceeded`` past `maxOutput`.
    public static func inflateMember(_ data: UnsafeRawBufferPointer, at offset: Int, maxOutput: Int) throws -> GzipMember {
        try GzipInflater().inflateMember(data, at: offset, maxOutput: maxOutput)
    }

    /// Like ``inflateMember(_:at:maxOutput:)``, for a member believed to end at `end` (a block whose
    /// boundaries a manifest or an index recorded): its trailer's length field sizes the output up
    /// front, and an intact member is decompressed in one call by libdeflate. The result, and the
    /// error for a damaged member, are the same as ``inflateMember(_:at:maxOutput:)``'s: the
    /// trailer is a hint only, and anything the fast path does not accept is decoded again by zlib.
    package static func inflateMember(_ data: UnsafeRawBufferPointer, at offset: Int, expectedEnd end: Int, maxOutput: Int) throws -> GzipMember {
        let hint = end - offset >= 18 && end <= data.count ? Int(data.loadUnaligned(fromByteOffset: end - 4, as: UInt32.self).littleEndian) : nil
        if let hint, let member = WholeMemberInflater.inflate(data, at: offset, expectedSize: hint, maxOutput: maxOutput) {
            return member
        }
        return try GzipInflater().inflateMember(data, at: offset, maxOutput: maxOutput, sizeHint: hint)
    }

    /// Like ``inflateMember(_:at:maxOutput:)``, but invalid deflate data, or a trailer that does not
    /// match, ends the member instead of failing it: everything decoded before comes back with
    /// `isComplete == false`.
    ///
    /// For crash recovery, where a file system may leave zeros or stale bytes after the last `fsync`
    /// of an unfinished member. The output past the last good sync point may hold garbage decoded
    /// before zlib noticed; callers must validate it (auditq re-chains every record it keeps).
    public static func inflateMemberPrefix(_ data: UnsafeRawBufferPointer, at offset: Int, maxOutput: Int) throws -> GzipMember {
        try GzipInflater().inflateMember(data, at: offset, maxOutput: maxOutput, stopAtCorruptData: true)
    }

    /// Decompresses every member of `data` and concatenates the results, like `zcat`.
    /// Empty input gives empty output.
    ///
    /// - Parameter maxOutput: The most decompressed bytes to accept in total.
    /// - Throws: As ``inflateMember(_:at:maxOutput:)``, and
    ///   ``CompressionError/Code/truncated`` if the last member is incomplete.
    ///   Bytes after the last member that do not start a member are ``CompressionError/Code/notGzip``.
    public static func inflateAll(_ data: [UInt8], maxOutput: Int) throws -> [UInt8] {
        let inflater = try GzipInflater()
        return try data.withUnsafeBytes { raw in
            var output: [UInt8] = []
            var offset = 0
            while offset < raw.count {
                let member = try inflater.inflateMember(raw, at: offset, maxOutput: maxOutput - output.count)
                guard member.isComplete else {
                    throw CompressionError(
                        code: .truncated,
                        message: "the input ends inside a gzip member (\(raw.count - offset) bytes of it present)",
                        offset: offset)
                }
                if output.isEmpty {
                    output = member.bytes  // the common single-member case: no copy
                } else {
                    output.append(contentsOf: member.bytes)
                }
                offset = member.compressedRange.upperBound
            }
            return output
        }
    }

    /// Compresses `data` into one complete gzip member.
    /// - Parameter level: zlib compression level, -1 (default, 6) or 0...9.
    public static func deflate(_ data: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        let deflater = try GzipDeflater(level: level)
        var output: [UInt8] = []
        output.reserveCapacity(data.count / 2 + 64)
        try deflater.write(data, into: &output)
        try deflater.finish(into: &output)
        return output
    }
}
