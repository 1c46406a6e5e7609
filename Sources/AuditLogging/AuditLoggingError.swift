import AuditStore

/// Why the audit API did not store or acknowledge a record. The log path never throws; this is for
/// ``AuditSink/record(action:outcome:actor:id:message:fields:metadata:durable:)`` and setup.
public struct AuditLoggingError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// The queue stayed full for the whole enqueue timeout: the store cannot keep up.
        public static let queueFull = Code(name: "queue full")
        /// The event's fields are not a valid audit event (docs/event.md).
        public static let invalidEvent = Code(name: "invalid event")
        /// The sink was shut down.
        public static let closed = Code(name: "closed")
        /// The store failed; ``AuditLoggingError/cause`` says how.
        public static let store = Code(name: "store failure")
        /// The record was stored but not durable within the durability timeout.
        public static let durabilityTimeout = Code(name: "durability timeout")
        public var description: String { name }
    }

    public var code: Code
    public var message: String
    public var cause: AuditStoreError?

    public init(_ code: Code, _ message: String, cause: AuditStoreError? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        if let cause { return "\(code): \(message): \(cause)" }
        return "\(code): \(message)"
    }
}

extension AuditLoggingError: Equatable {
    /// Errors are equal when their codes are, so tests can compare them.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
}
