import AuditModel

/// A class of records with one retention period and one answer to an erasure request, chosen by
/// the event's `action`, `source` and `level`.
public struct Category: Sendable, Hashable {
    /// Unique within the policy; 1 to 64 characters from `A-Z a-z 0-9 . _ -`.
    public var name: String
    /// Patterns for the event's `action` (see docs/retention.md: `*` any run of characters, `?` one
    /// character); empty matches any action.
    public var actions: [String]
    /// Patterns for the event's `source`, like ``actions``; empty matches any source.
    public var sources: [String]
    /// Exact levels, compared case-insensitively; empty matches any level.
    public var levels: [String]
    /// How long records are kept after their `ts`; `nil` keeps them forever.
    public var retention: RetentionPeriod?
    /// Why the records are kept this long (a law, a contract, a purpose), for the erasure receipt
    /// and for whoever reviews the policy.
    public var legalBasis: String
    /// What an erasure request does to the personal data in these records before they expire.
    public var onErasure: ErasurePolicy

    public init(
        name: String, actions: [String] = [], sources: [String] = [], levels: [String] = [], retention: RetentionPeriod?,
        legalBasis: String, onErasure: ErasurePolicy
    ) {
        self.name = name
        self.actions = actions
        self.sources = sources
        self.levels = levels
        self.retention = retention
        self.legalBasis = legalBasis
        self.onErasure = onErasure
    }

    /// Whether the category has no conditions and so matches every event.
    public var isCatchAll: Bool { actions.isEmpty && sources.isEmpty && levels.isEmpty }

    /// Whether every condition the category gives holds. A condition on a member the event does
    /// not have (`nil`) does not hold.
    public func matches(action: String?, source: String?, level: String?) -> Bool {
        Self.holds(actions, action) { Glob.matches($0, $1) }
            && Self.holds(sources, source) { Glob.matches($0, $1) }
            && Self.holds(levels, level?.lowercased()) { $0.lowercased() == $1 }
    }

    private static func holds(_ condition: [String], _ value: String?, _ match: (String, String) -> Bool) -> Bool {
        if condition.isEmpty { return true }
        guard let value else { return false }
        return condition.contains { match($0, value) }
    }

    /// When a record with this `ts` expires: `ts` + ``retention``; `nil` when kept forever.
    public func expiry(of ts: Timestamp) -> Timestamp? {
        retention?.added(to: ts)
    }
}
