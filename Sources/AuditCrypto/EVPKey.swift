internal import CAuditCrypto

/// Owns one OpenSSL `EVP_PKEY` holding an Ed25519 key and frees it when the last
/// Swift value referring to it goes away.
///
/// `@unchecked Sendable` is sound because the key is never modified after `init`:
/// every method only reads it, and OpenSSL 3 documents `EVP_PKEY` as safe for
/// concurrent read-only use (signing and verifying here each use their own
/// `EVP_MD_CTX`, created per call and never shared).
final class EVPKey: @unchecked Sendable {
    /// The raw Ed25519 key length (seed or public point), RFC 8032 section 5.1.5.
    static let keyLength = 32
    /// The Ed25519 signature length, RFC 8032 section 5.1.6.
    static let signatureLength = 64

    private let pointer: OpaquePointer

    private init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        EVP_PKEY_free(pointer)
    }

    // MARK: Creating keys

    /// Generates a fresh private key from OpenSSL's DRBG.
    static func generatePrivate() throws -> EVPKey {
        guard let context = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nil) else {
            throw CryptoError.openSSL(.keyGenerationFailed, "could not create an Ed25519 key-generation context")
        }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer? = nil
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_keygen(context, &key) == 1, let key else {
            throw CryptoError.openSSL(.keyGenerationFailed, "OpenSSL could not generate an Ed25519 key")
        }
        return EVPKey(taking: key)
    }

    /// Builds a private key from its 32-byte seed (RFC 8032 "secret key").
    static func privateKey(raw: some Collection<UInt8>) throws -> EVPKey {
        guard raw.count == keyLength else {
            throw CryptoError(
                code: .invalidKey,
                message: "an Ed25519 private key is a 32-byte seed, but \(raw.count) bytes were given"
            )
        }
        let key = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: keyLength) { seed -> OpaquePointer? in
            _ = seed.initialize(from: raw)
            defer { OPENSSL_cleanse(seed.baseAddress, keyLength) }
            return EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, seed.baseAddress, keyLength)
        }
        guard let key else {
            throw CryptoError.openSSL(.invalidKey, "OpenSSL rejected the 32-byte Ed25519 private key seed")
        }
        return EVPKey(taking: key)
    }

    /// Builds a public key from its 32-byte encoded point.
    static func publicKey(raw: some Collection<UInt8>) throws -> EVPKey {
        guard raw.count == keyLength else {
            throw CryptoError(
                code: .invalidKey,
                message: "an Ed25519 public key is 32 bytes, but \(raw.count) bytes were given"
            )
        }
        let bytes = Array(raw)
        guard let key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, bytes, keyLength) else {
            throw CryptoError.openSSL(.invalidKey, "OpenSSL rejected the 32-byte Ed25519 public key")
        }
        return EVPKey(taking: key)
    }

    /// Parses an unencrypted PEM private key (PKCS#8 "PRIVATE KEY", as
    /// `openssl genpkey` writes) and insists that it is Ed25519.
    static func privateKey(pem: String) throws -> EVPKey {
        var askedForPassphrase = false
        let key = withMemoryBIO(pem) { bio in
            // Without a callback OpenSSL would prompt on the terminal for an encrypted
            // key. This one refuses, and records that a passphrase was wanted.
            PEM_read_bio_PrivateKey(bio, nil, { _, _, _, flag in
                flag?.assumingMemoryBound(to: Bool.self).pointee = true
                return -1
            }, &askedForPassphrase)
        }
        guard let key else {
            if askedForPassphrase {
                throw CryptoError.openSSL(
                    .encryptedPEM,
                    "the PEM private key is passphrase-protected; decrypt it first (openssl pkey -in KEY -out PLAIN)"
                )
            }
            throw CryptoError.openSSL(
                .invalidPEM,
                "the text is not a PEM private key (expected \"-----BEGIN PRIVATE KEY-----\", as written by openssl genpkey -algorithm ed25519)"
            )
        }
        return try requireEd25519(EVPKey(taking: key), role: "private")
    }

    /// Parses a PEM SubjectPublicKeyInfo ("PUBLIC KEY", as `openssl pkey -pubout`
    /// writes) and insists that it is Ed25519.
    static func publicKey(pem: String) throws -> EVPKey {
        let key = withMemoryBIO(pem) { bio in
            PEM_read_bio_PUBKEY(bio, nil, nil, nil)
        }
        guard let key else {
            throw CryptoError.openSSL(
                .invalidPEM,
                "the text is not a PEM public key (expected \"-----BEGIN PUBLIC KEY-----\", as written by openssl pkey -pubout)"
            )
        }
        return try requireEd25519(EVPKey(taking: key), role: "public")
    }

    private static func requireEd25519(_ key: EVPKey, role: String) throws -> EVPKey {
        guard EVP_PKEY_get_id(key.pointer) == EVP_PKEY_ED25519 else {
            // The algorithm name ("EC", "RSA", ...) describes the key without revealing it.
            let name = EVP_PKEY_get0_type_name(key.pointer).map { String(cString: $0) } ?? "unknown"
            throw CryptoError(
                code: .notEd25519,
                message: "the PEM \(role) key is a \(name) key, not Ed25519; create one with openssl genpkey -algorithm ed25519"
            )
        }
        return key
    }

    // MARK: Reading keys

    /// The 32-byte public key.
    func rawPublicKey() -> [UInt8] {
        var length = EVPKey.keyLength
        var raw = [UInt8](repeating: 0, count: length)
        let ok = EVP_PKEY_get_raw_public_key(pointer, &raw, &length)
        // Cannot fail for an Ed25519 key, which init guarantees.
        precondition(ok == 1 && length == EVPKey.keyLength, "EVP_PKEY_get_raw_public_key failed for an Ed25519 key")
        return raw
    }

    /// PKCS#8 PEM of the private key. The intermediate buffers are wiped; the
    /// returned String is the caller's to protect.
    func privateKeyPEM() -> String {
        // BIO_s_secmem uses OpenSSL's secure heap when one is configured, and wipes
        // its buffer on free either way.
        writePEM(BIO_s_secmem()) { bio in
            PEM_write_bio_PrivateKey(bio, pointer, nil, nil, 0, nil, nil)
        }
    }

    /// SubjectPublicKeyInfo PEM of the public key.
    func publicKeyPEM() -> String {
        writePEM(BIO_s_mem()) { bio in
            PEM_write_bio_PUBKEY(bio, pointer)
        }
    }

    // MARK: Signatures

    /// Signs `message` (pure Ed25519, no pre-hash) and returns the 64-byte signature.
    func sign(_ message: UnsafeRawBufferPointer) throws -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else {
            throw CryptoError.openSSL(.signingFailed, "could not allocate a signing context")
        }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, nil, nil, pointer) == 1 else {
            throw CryptoError.openSSL(.signingFailed, "could not initialise Ed25519 signing (is this a private key?)")
        }
        var signature = [UInt8](repeating: 0, count: EVPKey.signatureLength)
        var length = EVPKey.signatureLength
        let ok = withNonNullBase(message) { base in
            EVP_DigestSign(context, &signature, &length, base, message.count)
        }
        guard ok == 1, length == EVPKey.signatureLength else {
            throw CryptoError.openSSL(.signingFailed, "OpenSSL failed to produce an Ed25519 signature")
        }
        return signature
    }

    /// True only if `signature` is a valid Ed25519 signature of `message` by this key.
    func verify(_ signature: some Collection<UInt8>, for message: UnsafeRawBufferPointer) -> Bool {
        guard signature.count == EVPKey.signatureLength else { return false }
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        // A bad signature leaves entries on the error queue; it is a result, not an error.
        defer { OpenSSLErrorQueue.clear() }
        guard EVP_DigestVerifyInit(context, nil, nil, nil, pointer) == 1 else { return false }
        let signatureBytes = Array(signature)
        let result = withNonNullBase(message) { base in
            EVP_DigestVerify(context, signatureBytes, signatureBytes.count, base, message.count)
        }
        return result == 1
    }
}

// MARK: - BIO plumbing

/// Runs `body` with a read-only memory BIO over the UTF-8 bytes of `text`.
private func withMemoryBIO<R>(_ text: String, _ body: (OpaquePointer) -> R?) -> R? {
    var text = text
    return text.withUTF8 { utf8 -> R? in
        guard utf8.count <= Int(Int32.max),
            let bio = BIO_new_mem_buf(utf8.baseAddress, Int32(utf8.count))
        else { return nil }
        defer { BIO_free(bio) }
        return body(bio)
    }
}

/// Writes PEM into a fresh memory BIO of `method` and returns it as text.
/// Writing PEM to memory fails only when allocation fails, so this traps then.
private func writePEM(_ method: OpaquePointer?, _ write: (OpaquePointer) -> Int32) -> String {
    guard let bio = BIO_new(method) else {
        fatalError("BIO_new failed: out of memory")
    }
    defer { BIO_free(bio) }
    guard write(bio) == 1 else {
        let detail = OpenSSLErrorQueue.drain().joined(separator: "; ")
        fatalError("writing a PEM key to memory failed: \(detail)")
    }
    let pending = BIO_ctrl_pending(bio)
    return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: pending) { buffer in
        let count = BIO_read(bio, buffer.baseAddress, Int32(pending))
        defer { OPENSSL_cleanse(buffer.baseAddress, pending) }
        return String(decoding: buffer[0..<Int(max(count, 0))], as: UTF8.self)
    }
}

/// Swift may represent an empty buffer with a nil base address, and OpenSSL does not
/// document NULL data as valid even with length zero; pass a real address instead.
private func withNonNullBase<R>(_ buffer: UnsafeRawBufferPointer, _ body: (UnsafeRawPointer) -> R) -> R {
    if let base = buffer.baseAddress { return body(base) }
    var byte: UInt8 = 0
    return withUnsafeBytes(of: &byte) { body($0.baseAddress!) }
}
