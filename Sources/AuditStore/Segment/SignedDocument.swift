import AuditCrypto
import AuditModel

/// A JSON document that carries its own signature: the `signature` member is the Ed25519 signature
/// (base64, RFC 4648 with padding) over the RFC 8785 bytes of the object without `signature`. Stored as
/// those canonical bytes plus `signature`, and a newline; one file, so it is replaced atomically.
/// Checkpoints, segment rewrites, the retention state and erasure receipts use this form.
package struct SignedDocument: Sendable, Hashable {
    package var body: JSONObject
    package var signature: [UInt8]

    /// The bytes that are signed.
    package var signedBytes: [UInt8] { CanonicalJSON.encode(.object(body)) }

    /// The stored document.
    package var documentBytes: [UInt8] {
        var document = body
        document["signature"] = .string(Base64.encode(signature))
        return CanonicalJSON.encode(.object(document)) + [0x0A]
    }

    package init(body: JSONObject, signature: [UInt8]) {
        self.body = body
        self.signature = signature
    }

    package init(signing body: JSONObject, with key: SigningKey) throws(AuditStoreError) {
        self.body = body
        self.signature = []
        self.signature = try key.sign(signedBytes)
    }

    /// Reads a stored document of the given format and version (nothing is trusted yet: check
    /// ``isSigned(by:)`` before using its content).
    package init(bytes: [UInt8], format: String, version: Int, what: String) throws(RecordError) {
        let value: JSONValue
        do {
            value = try JSONParser().parse(bytes)
        } catch {
            throw RecordError("\(what) is not valid JSON: \(error)")
        }
        guard var object = value.objectValue, object["format"]?.stringValue == format else {
            throw RecordError("not a \(what) (member 'format' is not \"\(format)\")")
        }
        guard object["version"]?.integerValue == Int64(version) else {
            throw RecordError("\(what) version \(object["version"]?.integerValue.map(String.init) ?? "?") is not supported (this build reads version \(version))")
        }
        // A signature of the wrong length is read, and then fails ``isSigned(by:)``: a verifier reports it as
        // a bad signature rather than an unreadable document.
        guard let text = object["signature"]?.stringValue, let signature = Base64.decode(text) else {
            throw RecordError("\(what) has no 'signature' member in base64")
        }
        object["signature"] = nil
        self.body = object
        self.signature = signature
    }

    package func isSigned(by key: Ed25519.PublicKey) -> Bool {
        key.isValidSignature(signature, for: signedBytes)
    }

    /// Typed access to members, with errors that name the member.
    package struct Reader {
        let object: JSONObject
        let what: String

        package init(_ object: JSONObject, what: String) {
            self.object = object
            self.what = what
        }

        package func string(_ key: String) throws(RecordError) -> String {
            guard let s = object[key]?.stringValue else { throw RecordError("\(what) member '\(key)' is missing or not a string") }
            return s
        }

        package func bool(_ key: String) throws(RecordError) -> Bool {
            guard case .bool(let b)? = object[key] else { throw RecordError("\(what) member '\(key)' is missing or not true or false") }
            return b
        }

        package func integer(_ key: String) throws(RecordError) -> UInt64 {
            guard let n = object[key]?.integerValue, n >= 0 else { throw RecordError("\(what) member '\(key)' is missing or not a non-negative integer") }
            return UInt64(n)
        }

        package func digest(_ key: String) throws(RecordError) -> SHA256Digest {
            guard let d = SHA256Digest(hex: try string(key)) else { throw RecordError("\(what) member '\(key)' is not 64 hex digits") }
            return d
        }

        package func optionalDigest(_ key: String) throws(RecordError) -> SHA256Digest? {
            object[key] == nil || object[key] == .null ? nil : try digest(key)
        }

        package func timestamp(_ key: String) throws(RecordError) -> Timestamp {
            guard let t = Timestamp(rfc3339: try string(key)) else { throw RecordError("\(what) member '\(key)' is not an RFC 3339 time") }
            return t
        }

        package func array(_ key: String) throws(RecordError) -> [JSONValue] {
            guard let a = object[key]?.arrayValue else { throw RecordError("\(what) member '\(key)' is missing or not an array") }
            return a
        }
    }
}

/// A document that is stored as a ``SignedDocument`` and names the key that signed it.
package protocol KeySigned {
    /// The members that are signed (everything but `signature`), including `key_id`.
    var body: JSONObject { get }
    var keyID: String { get set }
    var signature: [UInt8] { get set }
}

extension KeySigned {
    /// A copy signed by `key` (its `key_id` set to the key's id first).
    package func signed(with key: SigningKey) throws(AuditStoreError) -> Self {
        var copy = self
        copy.keyID = key.keyID
        copy.signature = try SignedDocument(signing: copy.body, with: key).signature
        return copy
    }

    package var document: SignedDocument { SignedDocument(body: body, signature: signature) }
}
