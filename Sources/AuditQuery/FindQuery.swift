import AuditModel
import AuditStore

/// What to look up: one or more keys (all must match), narrowed by time, action and outcome.
public struct FindQuery: Sendable, Hashable {
    /// A lookup key: one of the four indexed event members and its exact value.
    public struct Key: Sendable, Hashable {
        public enum Field: String, Sendable, Hashable, CaseIterable {
            case transactionID = "transaction_id"
            case customerCode = "customer_code"
            case requestID = "request_id"
            case correlationID = "correlation_id"

            var indexField: SegmentIndex.Field {
                switch self {
                case .transactionID: .transactionID
                case .customerCode: .customerCode
                case .requestID: .requestID
                case .correlationID: .correlationID
                }
            }
        }

        public var field: Field
        public var value: String

        public init(_ field: Field, _ value: String) {
            self.field = field
            self.value = value
        }

        /// The bytes every stored record with this key holds: `"field":` and the value as RFC 8785 writes
        /// it. Records are canonical JSON, so a record without these bytes cannot match.
        var needle: [UInt8] {
            var out = Array("\"\(field.rawValue)\":".utf8)
            CanonicalJSON.appendString(value, to: &out)
            return out
        }
    }

    public var keys: [Key]
    /// Events at or after this time.
    public var since: Timestamp?
    /// Events before this time.
    public var until: Timestamp?
    public var action: String?
    public var outcome: String?
    /// Return only the newest `limit` matches (still in chain order); nil returns every match.
    public var limit: Int?

    public init(keys: [Key], since: Timestamp? = nil, until: Timestamp? = nil, action: String? = nil, outcome: String? = nil, limit: Int? = nil) {
        self.keys = keys
        self.since = since
        self.until = until
        self.action = action
        self.outcome = outcome
        self.limit = limit
    }

    func validate() throws(QueryError) {
        guard !keys.isEmpty else { throw QueryError(.invalidQuery, "give a key to look up: --transaction, --customer, --request or --correlation") }
        if let limit, limit < 1 { throw QueryError(.invalidQuery, "the limit must be at least 1") }
        if let since, let until, until <= since { throw QueryError(.invalidQuery, "--until (\(until)) must be later than --since (\(since))") }
    }

    /// Whether an event time falls in the window.
    func admits(_ ts: Int64) -> Bool {
        if let since, ts < since.microsecondsSinceEpoch { return false }
        if let until, ts >= until.microsecondsSinceEpoch { return false }
        return true
    }

    /// Whether a range of event times can hold an event in the window.
    func overlaps(min: Int64, max: Int64) -> Bool {
        if let since, max < since.microsecondsSinceEpoch { return false }
        if let until, min >= until.microsecondsSinceEpoch { return false }
        return true
    }

    /// Whether a stored event matches every condition.
    func matches(_ event: JSONObject) -> Bool {
        for key in keys where event[key.field.rawValue]?.stringValue != key.value { return false }
        if let action, event["action"]?.stringValue != action { return false }
        if let outcome, event["outcome"]?.stringValue != outcome { return false }
        if since != nil || until != nil {
            guard let ts = event["ts"]?.stringValue.flatMap({ Timestamp(rfc3339: $0) }), admits(ts.microsecondsSinceEpoch) else { return false }
        }
        return true
    }
}
