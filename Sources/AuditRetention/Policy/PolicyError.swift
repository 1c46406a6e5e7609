/// Why a retention policy was rejected: the file, the line and the member, and what to do about it.
///
/// Equality is on ``code`` only, so tests and callers can compare errors without matching text.
public struct PolicyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of problem; extensible, compare with `==`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The file could not be opened or read.
        public static let unreadableFile = Code("unreadableFile")
        /// The file is not valid YAML, or uses YAML beyond the subset policies support.
        public static let invalidYAML = Code("invalidYAML")
        /// The file is not valid JSON.
        public static let invalidJSON = Code("invalidJSON")
        /// A member has the wrong type or a value the format does not allow.
        public static let invalidValue = Code("invalidValue")
        /// A member the format does not define (often a typo).
        public static let unknownMember = Code("unknownMember")
        /// A required member is absent.
        public static let missingMember = Code("missingMember")
    }

    public var code: Code
    public var message: String
    /// The file path, or the `source` given to ``RetentionPolicy/init(yaml:source:)``.
    public var source: String
    /// 1-based line of the offending member, when known.
    public var line: Int?
    /// The member's path in the policy, such as `categories[2].retention`.
    public var field: String?

    public init(code: Code, message: String, source: String, line: Int? = nil, field: String? = nil) {
        self.code = code
        self.message = message
        self.source = source
        self.line = line
        self.field = field
    }

    /// `source:line: field: message`, leaving out what is unknown.
    public var description: String {
        var text = source
        if let line { text += ":\(line)" }
        text += ": "
        if let field { text += "\(field): " }
        return text + message
    }

    public static func == (lhs: PolicyError, rhs: PolicyError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
