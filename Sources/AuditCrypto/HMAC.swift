/// HMAC-SHA-256 (RFC 2104, FIPS 198-1) over ``SHA256``.
public enum HMACSHA256 {
    /// The 32-byte authentication code of `message` under `key` (a key longer than 64 bytes is hashed first).
    public static func authenticationCode(for message: some Sequence<UInt8>, key: some Collection<UInt8>) -> SHA256Digest {
        var block = key.count > 64 ? Array(SHA256.hash(Array(key)).bytes) : Array(key)
        block += [UInt8](repeating: 0, count: 64 - block.count)
        var inner = SHA256()
        inner.update(block.map { $0 ^ 0x36 })
        inner.update(message)
        var outer = SHA256()
        outer.update(block.map { $0 ^ 0x5c })
        outer.update(inner.finalize().bytes)
        return outer.finalize()
    }
}
