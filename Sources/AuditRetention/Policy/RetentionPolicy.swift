import AuditCrypto
import AuditModel

/// A retention policy: how long each category of audit records is kept, which event paths hold
/// personal data, what an erasure request does to each category, and which records are under a
/// legal hold. The file format is specified in docs/retention.md.
///
/// A loaded policy is always complete: its last category matches every event, so
/// ``category(for:)`` always has an answer.
public struct RetentionPolicy: Sendable, Hashable {
    /// The `format` member every policy file carries.
    public static let formatName = "auditq-retention-policy"
    /// The only `version` this build reads.
    public static let formatVersion = 1

    /// 1 to 64 characters from `A-Z a-z 0-9 . _ -`.
    public var name: String
    /// Event paths whose values are personal data (`metadata.email`, `actor.id`), sorted and unique.
    /// Erasure erases exactly these; a store can erase only the paths its `store.json` commits to.
    public var personalData: [String]
    /// In file order; the first that matches an event is its category, and the last matches all.
    public var categories: [Category]
    public var holds: [Hold]
    /// SHA-256 of the exact bytes the policy was read from, so a receipt or a run's report can name
    /// the policy version it applied.
    public var sha256: SHA256Digest
    /// The file path, the `source` given to ``init(yaml:source:)``, or `default policy`.
    public var source: String

    /// Either spelling of the supporting types works: `RetentionPolicy.Category` or `Category`.
    public typealias Category = AuditRetention.Category
    public typealias Hold = AuditRetention.Hold

    /// The category of an event: the first whose conditions accept its top-level `action`,
    /// `source` and `level` strings (a member that is absent or not a string satisfies no condition).
    ///
    /// - Precondition: the last category is a catch-all, as in every policy loaded from a file.
    public func category(for event: JSONObject) -> Category {
        let action = event[AuditEvent.Field.action]?.stringValue
        let source = event[AuditEvent.Field.source]?.stringValue
        let level = event[AuditEvent.Field.level]?.stringValue
        for category in categories where category.matches(action: action, source: source, level: level) {
            return category
        }
        // Loading guarantees a catch-all; a policy built in code without one is a programming error.
        preconditionFailure("retention policy '\(name)' has no catch-all category")
    }

    /// The holds active at `now` that cover a record with this customer and transaction (either may
    /// be `nil` when the record has none), in file order.
    public func activeHolds(customer: String?, transaction: String?, at now: Timestamp) -> [Hold] {
        holds.filter { $0.isActive(at: now) && $0.covers(customer: customer, transaction: transaction) }
    }
}
