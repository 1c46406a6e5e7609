import AuditCrypto

/// The writer's Ed25519 private key, loaded from a PKCS#8 PEM file that only its owner can read.
///
/// The private key never enters the store: only its key id (derived from the public key) and
/// signatures do.
public struct SigningKey: Sendable {
    package let privateKey: Ed25519.PrivateKey
    public let publicKey: Ed25519.PublicKey

    /// The key id recorded in manifests and checkpoints.
    public var keyID: String { publicKey.keyID }

    public init(privateKey: Ed25519.PrivateKey) {
        self.privateKey = privateKey
        self.publicKey = privateKey.publicKey
    }

    /// Loads a private key file, refusing one that group or others can read or write.
    public init(contentsOfFile path: String) throws(AuditStoreError) {
        guard let mode = FileSystem.permissions(of: path) else {
            throw AuditStoreError(.key, "cannot read the private key file (it does not exist or is not accessible)", path: path)
        }
        if let head = try? FileSystem.readFile(path).prefix(64), head.starts(with: Array("-----BEGIN PUBLIC KEY-----".utf8)) {
            throw AuditStoreError(.key, "this is a public key; a private key is needed here (keys generate wrote it beside this one, without .pub)", path: path)
        }
        guard mode & 0o077 == 0 else {
            throw AuditStoreError(
                .key,
                "private key file is accessible by group or others (mode \(String(mode, radix: 8))); run 'chmod 600 \(path)'",
                path: path
            )
        }
        let bytes = try FileSystem.readFile(path)
        do {
            self.init(privateKey: try Ed25519.PrivateKey(pemRepresentation: String(decoding: bytes, as: UTF8.self)))
        } catch {
            throw AuditStoreError(.key, "not a usable Ed25519 private key: \(error)", path: path)
        }
    }

    /// Writes a new key pair: `path` (PKCS#8 PEM, mode 0600) and `path.pub` (SubjectPublicKeyInfo PEM).
    /// Refuses to overwrite an existing file.
    public static func generate(writingTo path: String) throws(AuditStoreError) -> SigningKey {
        let key: SigningKey
        do {
            key = SigningKey(privateKey: try Ed25519.PrivateKey())
        } catch {
            throw AuditStoreError(.key, "key generation failed: \(error)", path: path)
        }
        for target in [path, path + ".pub"] where FileSystem.exists(target) {
            throw AuditStoreError(.key, "refusing to overwrite an existing key file", path: target)
        }
        try FileSystem.createFile(Array(key.privateKey.pemRepresentation.utf8), at: path, permissions: 0o600)
        try FileSystem.createFile(Array(key.publicKey.pemRepresentation.utf8), at: path + ".pub", permissions: 0o644)
        return key
    }

    package func sign(_ bytes: [UInt8]) throws(AuditStoreError) -> [UInt8] {
        do {
            return try privateKey.signature(for: bytes)
        } catch {
            throw AuditStoreError(.key, "signing failed: \(error)")
        }
    }
}
