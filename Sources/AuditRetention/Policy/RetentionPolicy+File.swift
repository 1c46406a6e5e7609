import AuditCrypto
import AuditModel
import AuditStore

extension RetentionPolicy {
    /// The largest policy file read: a policy is a page of configuration, so anything bigger is
    /// the wrong file.
    public static let maximumFileBytes = 1 << 20

    /// Reads a policy file: YAML when the name ends in `.yaml` or `.yml`, JSON when it ends in
    /// `.json`, otherwise JSON if the first character that is not white space is `{`, else YAML.
    /// - Throws: ``PolicyError`` naming the file, line and member.
    public init(contentsOfFile path: String) throws(PolicyError) {
        let bytes: [UInt8]
        do {
            // One byte over the limit is enough to reject a file that is too large without reading it all.
            bytes = try SystemFile(path: path, mode: .read).read(at: 0, count: Self.maximumFileBytes + 1)
        } catch {
            throw PolicyError(code: .unreadableFile, message: "cannot read the policy: \(error.message)", source: path)
        }
        let name = path.lowercased()
        if name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            try self.init(yaml: bytes, source: path)
        } else if name.hasSuffix(".json") || bytes.first(where: { !Self.isSpace($0) }) == UInt8(ascii: "{") {
            try self.init(json: bytes, source: path)
        } else {
            try self.init(yaml: bytes, source: path)
        }
    }

    /// Parses a policy written in YAML (the subset docs/retention.md describes).
    /// - Parameters:
    ///   - yaml: the file's bytes; ``sha256`` is their digest.
    ///   - source: a name for error messages and ``source``, usually the file path.
    /// - Throws: ``PolicyError`` naming `source`, the line and the member.
    public init(yaml: [UInt8], source: String) throws(PolicyError) {
        guard yaml.count <= Self.maximumFileBytes else { throw Self.tooLarge(source) }
        let document: JSONValue
        let lines: [String: Int]
        do {
            (document, lines) = try YAMLSubset.parse(yaml)
        } catch {
            throw PolicyError(code: .invalidYAML, message: error.message, source: source, line: error.line)
        }
        self = try Reader(source: source, lines: lines).read(document, digest: SHA256.hash(yaml))
    }

    /// Parses a policy written in JSON.
    /// - Parameters:
    ///   - json: the file's bytes; ``sha256`` is their digest.
    ///   - source: a name for error messages and ``source``, usually the file path.
    /// - Throws: ``PolicyError`` naming `source`, the line and the member.
    public init(json: [UInt8], source: String) throws(PolicyError) {
        guard json.count <= Self.maximumFileBytes else { throw Self.tooLarge(source) }
        let document: JSONValue
        do {
            document = try JSONParser().parse(json)
        } catch {
            throw PolicyError(code: .invalidJSON, message: error.message, source: source, line: error.line)
        }
        self = try Reader(source: source, lines: JSONLineLocator.lines(of: json)).read(document, digest: SHA256.hash(json))
    }

    private static func tooLarge(_ source: String) -> PolicyError {
        PolicyError(code: .invalidValue, message: "the policy is over 1 MiB; is this the right file?", source: source)
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}
