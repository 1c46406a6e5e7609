extension Ed25519 {
    /// An Ed25519 verification key. Equal and hashed by its 32 raw bytes.
    ///
    /// `Sendable` for the same reason as ``PrivateKey``: the OpenSSL key is immutable
    /// and every verification uses its own context.
    public struct PublicKey: Sendable, Hashable {
        private let key: EVPKey
        /// The 32-byte encoded point, kept to make equality and hashing cheap.
        public let rawRepresentation: [UInt8]

        init(key: EVPKey) {
            self.key = key
            self.rawRepresentation = key.rawPublicKey()
        }

        /// Loads a key from its 32-byte encoding (RFC 8032 section 5.1.5).
        /// - Throws: ``CryptoError/Code/invalidKey`` unless exactly 32 bytes are given.
        public init(rawRepresentation: some Collection<UInt8>) throws {
            self.init(key: try EVPKey.publicKey(raw: rawRepresentation))
        }

        /// Loads a SubjectPublicKeyInfo PEM key ("-----BEGIN PUBLIC KEY-----"), the
        /// format `openssl pkey -pubout` writes.
        /// - Throws: ``CryptoError/Code/invalidPEM`` or ``CryptoError/Code/notEd25519``.
        public init(pemRepresentation: String) throws {
            self.init(key: try EVPKey.publicKey(pem: pemRepresentation))
        }

        /// The key as SubjectPublicKeyInfo PEM.
        public var pemRepresentation: String {
            key.publicKeyPEM()
        }

        /// A short, stable name for the key: lowercase hex of the first 16 bytes of
        /// SHA-256 over the 32 raw key bytes. Reproducible from a PEM file with
        /// `openssl pkey -pubin -in key.pub -outform DER | tail -c 32 | sha256sum | cut -c1-32`.
        public var keyID: String {
            SHA256.hash(rawRepresentation).withUnsafeBytes { Hex.encode(raw: UnsafeRawBufferPointer(rebasing: $0[0..<16])) }
        }

        /// True only if `signature` is a valid signature of `message` by this key.
        /// Never throws: a signature of the wrong length, a malformed one and a
        /// mismatched one are all simply invalid.
        public func isValidSignature(_ signature: some Collection<UInt8>, for message: UnsafeRawBufferPointer) -> Bool {
            key.verify(signature, for: message)
        }

        /// True only if `signature` is a valid signature of `message` by this key.
        public func isValidSignature(_ signature: some Collection<UInt8>, for message: [UInt8]) -> Bool {
            message.withUnsafeBytes { key.verify(signature, for: $0) }
        }

        public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool {
            lhs.rawRepresentation == rhs.rawRepresentation
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(rawRepresentation)
        }
    }
}
