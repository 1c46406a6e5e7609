extension Ed25519 {
    /// An Ed25519 signing key.
    ///
    /// `Sendable` because the underlying OpenSSL key is immutable after creation and
    /// each signature uses its own OpenSSL context, so one key may sign from many
    /// tasks at once. The key bytes are never exposed except as PEM, on request.
    public struct PrivateKey: Sendable {
        private let key: EVPKey
        private let cachedPublicKey: PublicKey

        private init(key: EVPKey) {
            self.key = key
            self.cachedPublicKey = PublicKey(key: key)
        }

        /// Generates a new random key.
        /// - Throws: ``CryptoError/Code/keyGenerationFailed`` if OpenSSL cannot.
        public init() throws {
            self.init(key: try EVPKey.generatePrivate())
        }

        /// Loads an unencrypted PKCS#8 PEM key ("-----BEGIN PRIVATE KEY-----"), the
        /// format `openssl genpkey -algorithm ed25519` writes.
        /// - Throws: ``CryptoError/Code/invalidPEM`` for text that is not a PEM private
        ///   key, ``CryptoError/Code/encryptedPEM`` for a passphrase-protected one, and
        ///   ``CryptoError/Code/notEd25519`` for a valid key of another algorithm.
        public init(pemRepresentation: String) throws {
            self.init(key: try EVPKey.privateKey(pem: pemRepresentation))
        }

        /// Loads a key from its 32-byte seed (the RFC 8032 "secret key").
        /// - Throws: ``CryptoError/Code/invalidKey`` unless exactly 32 bytes are given.
        public init(rawRepresentation: some Collection<UInt8>) throws {
            self.init(key: try EVPKey.privateKey(raw: rawRepresentation))
        }

        /// The key as unencrypted PKCS#8 PEM, readable by `openssl pkey`.
        /// Treat the result as a secret: it contains the private key.
        public var pemRepresentation: String {
            key.privateKeyPEM()
        }

        /// The matching public key.
        public var publicKey: PublicKey {
            cachedPublicKey
        }

        /// Signs `message` and returns the 64-byte signature. Ed25519 signing is
        /// deterministic: the same key and message always give the same signature.
        /// - Throws: ``CryptoError/Code/signingFailed`` if OpenSSL fails.
        public func signature(for message: UnsafeRawBufferPointer) throws -> [UInt8] {
            try key.sign(message)
        }

        /// Signs `message` and returns the 64-byte signature.
        public func signature(for message: [UInt8]) throws -> [UInt8] {
            try message.withUnsafeBytes { try key.sign($0) }
        }
    }
}
