import AuditModel
import AuditRedaction
import Logging

/// The swift-log backend: turns each log event into an audit event, redacts it and queues it on an
/// ``AuditSink`` without blocking.
///
/// A value type, as swift-log requires: `logLevel`, `metadata` and `metadataProvider` belong to each
/// copy; the sink (the destination) is shared. Bootstrap it once:
///
/// ```swift
/// let sink = try AuditSink(path: "/var/lib/payments/audit", keyPath: "/etc/payments/audit.key")
/// LoggingSystem.bootstrap({ label, provider in
///     MultiplexLogHandler([AuditLogHandler(label: label, sink: sink, metadataProvider: provider),
///                          StreamLogHandler.standardOutput(label: label)])
/// }, metadataProvider: .auditContext)
/// ```
public struct AuditLogHandler: LogHandler {
    public let label: String
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let sink: AuditSink

    public init(label: String, sink: AuditSink, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.sink = sink
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        // Handler metadata < provider < explicit, as swift-log documents.
        let provided = metadataProvider?.get() ?? [:]
        var merged: Logger.Metadata
        if metadata.isEmpty, provided.isEmpty {
            merged = event.metadata ?? [:]
        } else {
            merged = metadata
            if !provided.isEmpty { merged.merge(provided) { _, new in new } }
            if let explicit = event.metadata, !explicit.isEmpty { merged.merge(explicit) { _, new in new } }
        }
        var error: JSONObject?
        if let e = event.error {
            error = ["type": .string(String(reflecting: type(of: e))), "message": .string(String(describing: e))]
        }
        sink.submitLog(
            level: event.level.rawValue, message: event.message.description, source: event.source,
            logger: label, metadata: merged, error: error
        )
    }
}
