import Instrumentation
import Logging

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

enum RequestIDKey: ServiceContextKey {
    typealias Value = String
    static var nameOverride: String? { AuditMetadataKey.requestID }
}

enum TransactionIDKey: ServiceContextKey {
    typealias Value = String
    static var nameOverride: String? { AuditMetadataKey.transactionID }
}

enum CustomerCodeKey: ServiceContextKey {
    typealias Value = String
    static var nameOverride: String? { AuditMetadataKey.customerCode }
}

enum CorrelationIDKey: ServiceContextKey {
    typealias Value = String
    static var nameOverride: String? { AuditMetadataKey.correlationID }
}

extension ServiceContext {
    /// The request being served; logged as `request_id`.
    public var requestID: String? {
        get { self[RequestIDKey.self] }
        set { self[RequestIDKey.self] = newValue }
    }

    /// The payment or business transaction; logged as `transaction_id`.
    public var transactionID: String? {
        get { self[TransactionIDKey.self] }
        set { self[TransactionIDKey.self] = newValue }
    }

    /// The customer; logged as `customer_code`.
    public var customerCode: String? {
        get { self[CustomerCodeKey.self] }
        set { self[CustomerCodeKey.self] = newValue }
    }

    /// A trace or correlation id; logged as `correlation_id`.
    public var correlationID: String? {
        get { self[CorrelationIDKey.self] }
        set { self[CorrelationIDKey.self] = newValue }
    }
}

extension Logger.MetadataProvider {
    /// Adds `request_id`, `transaction_id`, `customer_code` and `correlation_id` from the task's
    /// `ServiceContext.current`, so events logged deep inside a request carry its ids without plumbing.
    ///
    /// Pass it to `LoggingSystem.bootstrap(_:metadataProvider:)`, alone or in `.multiplex([...])`
    /// with other providers (swift-otel's adds `trace_id`, which the backend also reads).
    public static let auditContext = Logger.MetadataProvider {
        guard let context = ServiceContext.current else { return [:] }
        var metadata: Logger.Metadata = [:]
        if let id = context.requestID { metadata[AuditMetadataKey.requestID] = .string(id) }
        if let id = context.transactionID { metadata[AuditMetadataKey.transactionID] = .string(id) }
        if let code = context.customerCode { metadata[AuditMetadataKey.customerCode] = .string(code) }
        if let id = context.correlationID { metadata[AuditMetadataKey.correlationID] = .string(id) }
        return metadata
    }
}
