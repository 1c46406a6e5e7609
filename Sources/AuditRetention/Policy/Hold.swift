import AuditModel

/// A legal hold: records of a customer or a transaction that neither expiry nor erasure may touch
/// while it is active (a dispute, an investigation, a regulator's request).
public struct Hold: Sendable, Hashable {
    /// Unique within the policy; `hold-<n>` (1-based position) when the file gives none.
    public var id: String
    /// Holds every record whose `customer_code` is this.
    public var customer: String?
    /// Holds every record whose `transaction_id` is this.
    public var transaction: String?
    /// Why the records are held, for the erasure receipt and the retention run's report.
    public var reason: String
    /// The first instant at which the hold no longer applies; `nil` holds until the policy changes.
    /// A date `YYYY-MM-DD` in the file holds through the whole of that day in UTC, so it is stored
    /// as the next midnight UTC.
    public var until: Timestamp?

    public init(id: String, customer: String? = nil, transaction: String? = nil, reason: String, until: Timestamp? = nil) {
        self.id = id
        self.customer = customer
        self.transaction = transaction
        self.reason = reason
        self.until = until
    }

    /// Whether the hold applies at `now`: it has no end, or ends after `now`.
    public func isActive(at now: Timestamp) -> Bool {
        until.map { now < $0 } ?? true
    }

    /// Whether a record with this `customer_code` and `transaction_id` (either may be absent) is
    /// held. A hold naming both a customer and a transaction holds the records of either: a hold
    /// never narrows, because wrongly erasing evidence cannot be undone.
    public func covers(customer: String?, transaction: String?) -> Bool {
        (self.customer != nil && self.customer == customer) || (self.transaction != nil && self.transaction == transaction)
    }
}
