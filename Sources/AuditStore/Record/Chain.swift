import AuditCrypto

/// The hash chain that orders every record of a store.
///
/// `h(0) = SHA-256("auditq-genesis:" ‖ store_id)` and `h(n) = SHA-256(h(n-1) ‖ d(n))` where `d(n)` is the
/// digest of record `n`'s sealed form. The chain continues across segments; each segment header and
/// manifest names the hash before its first record.
package enum Chain {
    package static func genesis(storeID: String) -> SHA256Digest {
        SHA256.hash("auditq-genesis:" + storeID)
    }

    package static func next(previous: SHA256Digest, recordDigest: SHA256Digest) -> SHA256Digest {
        previous.withUnsafeBytes { a in recordDigest.withUnsafeBytes { b in SHA256.hash(a, b) } }
    }
}
