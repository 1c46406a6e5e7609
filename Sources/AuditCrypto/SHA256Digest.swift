/// A SHA-256 digest: 32 bytes held inline, so digests can be created, compared and
/// stored in collections without a heap allocation each.
public struct SHA256Digest: Hashable, Sendable, CustomStringConvertible {
    /// The length of a SHA-256 digest in bytes.
    public static let byteCount = 32

    /// The all-zero digest, used as the "no previous record" link of a hash chain.
    public static let zero = SHA256Digest(storage: (0, 0, 0, 0))

    /// The 32 bytes in order. A homogeneous tuple is laid out like a C array, so
    /// its raw bytes are the digest bytes exactly as OpenSSL wrote them.
    var storage: (UInt64, UInt64, UInt64, UInt64)

    init(storage: (UInt64, UInt64, UInt64, UInt64)) {
        self.storage = storage
    }

    /// Creates a digest from exactly 32 bytes; returns `nil` for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        self.storage = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &storage) { raw in
            _ = raw.initializeMemory(as: UInt8.self, from: bytes)
        }
    }

    /// Parses 64 hexadecimal characters, upper or lower case; returns `nil` otherwise.
    public init?(hex: some StringProtocol) {
        guard hex.utf8.count == Self.byteCount * 2 else { return nil }
        self.storage = (0, 0, 0, 0)
        let ok = withUnsafeMutableBytes(of: &storage) { raw in
            Hex.decode(hex.utf8, into: raw)
        }
        guard ok else { return nil }
    }

    /// The 32 bytes as an array (allocates; prefer ``withUnsafeBytes(_:)`` on hot paths).
    public var bytes: [UInt8] {
        withUnsafeBytes { Array($0) }
    }

    /// Calls `body` with the 32 digest bytes, without copying them.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: storage, body)
    }

    /// The digest as 64 lowercase hexadecimal characters.
    public var hex: String {
        withUnsafeBytes { Hex.encode($0) }
    }

    public var description: String { hex }

    public static func == (lhs: SHA256Digest, rhs: SHA256Digest) -> Bool {
        lhs.storage.0 == rhs.storage.0 && lhs.storage.1 == rhs.storage.1
            && lhs.storage.2 == rhs.storage.2 && lhs.storage.3 == rhs.storage.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.0)
        hasher.combine(storage.1)
        hasher.combine(storage.2)
        hasher.combine(storage.3)
    }
}
