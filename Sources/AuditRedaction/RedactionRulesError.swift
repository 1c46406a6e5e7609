/// Why a rules file was rejected: the file, the line and the member, and what to do about it.
///
/// Equality is on ``code`` only, so tests and callers can compare errors without matching text.
public struct RedactionRulesError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of problem; extensible, compare with `==`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The file could not be opened or read.
        public static let unreadableFile = Code("unreadableFile")
        /// The file is not valid JSON.
        public static let invalidJSON = Code("invalidJSON")
        /// The file is not valid YAML, or uses YAML beyond what rules files support.
        public static let invalidYAML = Code("invalidYAML")
        /// A member the schema does not define (often a typo).
        public static let unknownMember = Code("unknownMember")
        /// A member has the wrong JSON type or an out-of-range value.
        public static let invalidValue = Code("invalidValue")
        /// `disable` names a rule that does not exist.
        public static let unknownRule = Code("unknownRule")
        /// A rule name that is not lowercase letters, digits and hyphens.
        public static let invalidRuleName = Code("invalidRuleName")
    }

    public var code: Code
    public var message: String
    /// The file path, or the `source` given to ``RedactionRules/init(json:source:)``.
    public var source: String
    /// 1-based line of the offending member, when known.
    public var line: Int?
    /// The member's path in the rules document, such as `patterns[2].prefix`.
    public var field: String?

    public init(code: Code, message: String, source: String, line: Int? = nil, field: String? = nil) {
        self.code = code
        self.message = message
        self.source = source
        self.line = line
        self.field = field
    }

    public var description: String {
        var text = source
        if let line { text += ":\(line)" }
        text += ": "
        if let field { text += "\(field): " }
        return text + message
    }

    public static func == (lhs: RedactionRulesError, rhs: RedactionRulesError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
