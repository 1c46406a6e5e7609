/// Metadata keys the backend maps to event fields (see docs/event.md), so a service names them once.
public enum AuditMetadataKey {
    public static let requestID = "request_id"
    public static let transactionID = "transaction_id"
    public static let customerCode = "customer_code"
    public static let correlationID = "correlation_id"
    /// Read as `correlation_id` when no `correlation_id` is given.
    public static let traceID = "trace_id"
    /// The event's `action` (default `log` for plain log events).
    public static let action = "action"
    public static let outcome = "outcome"
    /// A producer-supplied event id: stored as the event's `id` and used as an idempotency key.
    public static let eventID = "event_id"
}
