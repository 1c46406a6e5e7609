/// An error thrown by `AuditCrypto`.
///
/// Compare errors by ``code``: equality and hashing ignore the message and the
/// OpenSSL detail so that tests and callers can match on the kind of failure.
/// Neither the message nor the OpenSSL detail ever contains key material or the
/// caller's input; they are safe to log.
public struct CryptoError: Error, Hashable, CustomStringConvertible {
    /// The kind of failure. A struct rather than an enum so that new codes can be
    /// added without breaking exhaustive `switch`es in other modules.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case keyGenerationFailed
            case invalidKey
            case notEd25519
            case signingFailed
            case invalidPEM
            case encryptedPEM
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// The library could not generate a key; the OpenSSL detail says why.
        public static let keyGenerationFailed = Code(.keyGenerationFailed)
        /// The key bytes are malformed (for example the wrong length).
        public static let invalidKey = Code(.invalidKey)
        /// The key parsed, but it is not an Ed25519 key (for example RSA or EC).
        public static let notEd25519 = Code(.notEd25519)
        /// OpenSSL failed to produce a signature.
        public static let signingFailed = Code(.signingFailed)
        /// The text is not a PEM document of the expected kind.
        public static let invalidPEM = Code(.invalidPEM)
        /// The PEM private key is passphrase-protected, which this library does not support.
        public static let encryptedPEM = Code(.encryptedPEM)

        public var description: String { base.rawValue }
    }

    /// The kind of failure; the only part that takes part in equality.
    public var code: Code
    /// What went wrong and, where it helps, what to do about it.
    public var message: String
    /// The OpenSSL error queue at the time of failure, oldest first, as OpenSSL's
    /// own reason strings (for example `error:1E08010C:DECODER routines::unsupported`).
    public var openSSLErrors: [String]

    public init(code: Code, message: String, openSSLErrors: [String] = []) {
        self.code = code
        self.message = message
        self.openSSLErrors = openSSLErrors
    }

    public var description: String {
        var text = "CryptoError.\(code): \(message)"
        if !openSSLErrors.isEmpty {
            text += " (OpenSSL: \(openSSLErrors.joined(separator: "; ")))"
        }
        return text
    }

    public static func == (lhs: CryptoError, rhs: CryptoError) -> Bool {
        lhs.code == rhs.code
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
    }
}
