import Instrumentation
import Logging

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
