internal import CAuditZlib

/// The fixed and optional header fields of a gzip member, RFC 1952 section 2.3.
///
/// Parsed here rather than by zlib so that a damaged header (``CompressionError/Code/notGzip``),
/// damaged deflate data (``CompressionError/Code/corruptData``) and a damaged trailer
/// (``CompressionError/Code/checksumMismatch``) can be told apart reliably.
enum GzipHeader {
    enum Parse: Equatable {
        /// The header is valid and this many bytes long.
        case complete(length: Int)
        /// The input ends inside a header that is valid so far.
        case truncated
        /// The bytes are not a gzip header; the reason is for the error message.
        case invalid(String)
    }

    private static let magic: (UInt8, UInt8) = (0x1F, 0x8B)
    private static let methodDeflate: UInt8 = 8
    private static let flagHeaderCRC: UInt8 = 0x02
    private static let flagExtra: UInt8 = 0x04
    private static let flagName: UInt8 = 0x08
    private static let flagComment: UInt8 = 0x10
    private static let reservedFlags: UInt8 = 0xE0
    private static let fixedLength = 10

    /// Parses the header at the start of `data`.
    static func parse(_ data: UnsafeRawBufferPointer) -> Parse {
        if data.count >= 1, data[0] != magic.0 { return .invalid("bad magic number") }
        if data.count >= 2, data[1] != magic.1 { return .invalid("bad magic number") }
        if data.count >= 3, data[2] != methodDeflate { return .invalid("unknown compression method \(data[2])") }
        if data.count >= 4, data[3] & reservedFlags != 0 { return .invalid("reserved header flags set") }
        guard data.count >= fixedLength else { return .truncated }

        let flags = data[3]
        var position = fixedLength
        if flags & flagExtra != 0 {
            guard data.count >= position + 2 else { return .truncated }
            let extraLength = Int(data[position]) | Int(data[position + 1]) << 8
            position += 2 + extraLength
            guard data.count >= position else { return .truncated }
        }
        for flag in [flagName, flagComment] where flags & flag != 0 {
            // A zero-terminated Latin-1 string.
            guard let end = data[position...].firstIndex(of: 0) else { return .truncated }
            position = end + 1
        }
        if flags & flagHeaderCRC != 0 {
            guard data.count >= position + 2 else { return .truncated }
            let stored = UInt32(data[position]) | UInt32(data[position + 1]) << 8
            let computed = UInt32(truncatingIfNeeded: crc32_z(0, data.baseAddress!.assumingMemoryBound(to: UInt8.self), position)) & 0xFFFF
            guard stored == computed else { return .invalid("header CRC mismatch") }
            position += 2
        }
        return .complete(length: position)
    }
}
