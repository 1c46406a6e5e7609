import AuditCrypto

/// Little-endian reads from a buffer whose length the caller has checked.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func skip(_ n: Int) { offset += n }

    mutating func u32() -> UInt32 {
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[offset + i]) << (8 * UInt32(i)) }
        offset += 4
        return v
    }

    mutating func u64() -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += 8
        return v
    }

    mutating func digest() -> SHA256Digest {
        let d = SHA256Digest(bytes: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + 32)]))!
        offset += 32
        return d
    }

    /// An unsigned LEB128 value of at most 5 bytes (32 bits).
    mutating func varint() throws(SegmentIndexError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count, shift <= 28 else { throw SegmentIndexError("index page ends inside a number") }
            let byte = bytes[offset]
            offset += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }
}
