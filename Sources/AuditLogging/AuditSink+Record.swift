import AuditModel
import AuditRedaction
import AuditStore
import Logging

extension AuditSink {
    /// How a recorded action ended (docs/event.md: `success`, `failure` or `unknown` by convention).
    public struct Outcome: RawRepresentable, Hashable, Sendable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public static let success = Outcome(rawValue: "success")
        public static let failure = Outcome(rawValue: "failure")
        public static let unknown = Outcome(rawValue: "unknown")
    }

    /// Who acted: `actor.type` and `actor.id`.
    public struct Actor: Hashable, Sendable {
        public var type: String
        public var id: String
        public init(type: String, id: String) {
            self.type = type
            self.id = id
        }
    }

    /// Records a compliance event, whatever the log level or compile-time level traits, and returns
    /// its sequence number, once durable when `durable` is true (the default).
    ///
    /// Correlation ids come from `metadata`, then ``Logger/MetadataProvider/auditContext``
    /// (`ServiceContext.current`) and the task-local `Logger.current`'s metadata, in that precedence.
    ///
    /// - Parameters:
    ///   - id: a producer event id, also an idempotency key: a record with an id seen within
    ///     ``Configuration/idempotencyWindow`` is not stored again and its original sequence number is
    ///     returned (webhooks arrive twice).
    ///   - fields: further event members (`http`, `error`, …; docs/event.md), merged under the named ones.
    /// - Throws: ``AuditLoggingError`` `.queueFull` after ``Configuration/auditEnqueueTimeout``,
    ///   `.invalidEvent`, `.closed`, `.store`, `.durabilityTimeout`.
    @discardableResult
    public func record(
        action: String,
        outcome: Outcome = .success,
        actor: Actor? = nil,
        id: String? = nil,
        message: String? = nil,
        fields: JSONObject = [:],
        metadata: Logger.Metadata = [:],
        durable: Bool = true
    ) async throws(AuditLoggingError) -> UInt64 {
        var object = fields
        object[AuditEvent.Field.ts] = .string(Timestamp.now().description)
        object[AuditEvent.Field.action] = .string(action)
        object[AuditEvent.Field.outcome] = .string(outcome.rawValue)
        object[AuditEvent.Field.level] = object[AuditEvent.Field.level] ?? "notice"
        if let source = configuration.source, object[AuditEvent.Field.source] == nil { object[AuditEvent.Field.source] = .string(source) }
        if let actor { object[AuditEvent.Field.actor] = ["type": .string(actor.type), "id": .string(actor.id)] }
        if let id { object[AuditEvent.Field.id] = .string(id) }
        if let message { object[AuditEvent.Field.message] = .string(message) }

        var context = Logger.current.handler.metadata
        context.merge(Logger.MetadataProvider.auditContext.get()) { _, new in new }
        context.merge(metadata) { _, new in new }
        // Explicit arguments win over metadata.
        for key in [AuditMetadataKey.action, AuditMetadataKey.outcome, AuditMetadataKey.eventID] { context[key] = nil }

        var report = RedactionReport()
        var merged = object
        var rest = JSONObject()
        for (key, value) in context {
            let json = Self.json(value, report: &report)
            if let field = Self.field(for: key) {
                if merged[field] == nil { merged[field] = json }
            } else if key == AuditMetadataKey.traceID {
                if merged[AuditEvent.Field.correlationID] == nil, context[AuditMetadataKey.correlationID] == nil {
                    merged[AuditEvent.Field.correlationID] = json
                }
                rest[key] = json
            } else {
                rest[key] = json
            }
        }
        if !rest.isEmpty {
            var existing = merged[AuditEvent.Field.metadata]?.objectValue ?? JSONObject()
            for member in rest where existing[member.key] == nil { existing[member.key] = member.value }
            merged[AuditEvent.Field.metadata] = .object(existing)
        }
        report.merge(redactor.redact(&merged))
        let event: AuditEvent
        do {
            event = try AuditEvent(validating: merged)
        } catch {
            metrics.errors(kind: "invalid_event").increment()
            throw AuditLoggingError(.invalidEvent, "\(error)")
        }

        let appended = try await enqueueAudit(Item(payload: .event(event), redaction: report, idempotencyKey: event.id, isAudit: true, completion: nil))
        if durable { try await waitUntilDurable(appended) }
        return appended.seq
    }

    /// Waits, without blocking a thread, until record `seq` is durable.
    ///
    /// A sequence number from before a store failure that lost its record cannot be waited for: the
    /// reopened store gives that number to a new record, so this throws `.store` for it (use
    /// `record(durable: true)`, which knows which store its record went to).
    public func waitUntilDurable(_ seq: UInt64) async throws(AuditLoggingError) {
        if slot.isLost(seq) {
            metrics.errors(kind: "store").increment()
            throw AuditLoggingError(.store, "record \(seq) may have been lost when the store failed: its sequence number was given again after the store was reopened")
        }
        try await waitUntilDurable(Appended(seq: seq, durability: slot.current.durability))
    }

    /// Waits until the record is durable in the store it was appended to.
    func waitUntilDurable(_ appended: Appended) async throws(AuditLoggingError) {
        let seq = appended.seq
        let writer = appended.durability.writer
        guard await appended.durability.wait(for: seq, timeout: configuration.durabilityTimeout) else {
            if writer.durableSeq >= seq { return }
            if let failure = writer.failure {
                metrics.errors(kind: "store").increment()
                throw AuditLoggingError(.store, "record \(seq) is not durable: the store failed", cause: failure)
            }
            if case .closed = shutdownStatePhase {
                throw AuditLoggingError(.closed, "the sink shut down before record \(seq) was durable")
            }
            metrics.errors(kind: "durability_timeout").increment()
            throw AuditLoggingError(.durabilityTimeout, "record \(seq) was not durable within \(configuration.durabilityTimeout) s")
        }
    }

    /// What went wrong with an outbound call.
    public enum CallFailure: Hashable, Sendable {
        /// The provider answered with an error status (400, 401, 5xx, …).
        case status(Int)
        /// No answer within `seconds`.
        case timeout(seconds: Double)
        /// The connection failed (DNS, TLS, reset).
        case transport(String)
    }

    /// Records a failed outbound API call with what support needs to quote to the provider: our
    /// request id (from context), the provider's request id, the HTTP status or timeout, and the
    /// provider's error code and message (redacted like everything else). Durable on return.
    @discardableResult
    public func recordFailedCall(
        provider: String,
        method: String,
        path: String,
        failure: CallFailure,
        providerRequestID: String? = nil,
        providerErrorCode: String? = nil,
        providerMessage: String? = nil,
        durationMs: Double? = nil,
        metadata: Logger.Metadata = [:]
    ) async throws(AuditLoggingError) -> UInt64 {
        var http: JSONObject = ["method": .string(method), "path": .string(path)]
        var error = JSONObject()
        var summary: String
        switch failure {
        case .status(let status):
            if (100...599).contains(status) { http["status"] = .number(Double(status)) }
            error["code"] = .string(providerErrorCode ?? "http_\(status)")
            summary = "\(provider) \(method) \(path) failed with HTTP \(status)"
        case .timeout(let seconds):
            error["code"] = .string(providerErrorCode ?? "timeout")
            error["timeout_ms"] = .number(seconds * 1000)
            summary = "\(provider) \(method) \(path) timed out after \(seconds) s"
        case .transport(let reason):
            error["code"] = .string(providerErrorCode ?? "transport")
            error["transport"] = .string(reason)
            summary = "\(provider) \(method) \(path) failed: \(reason)"
        }
        if let durationMs, durationMs >= 0 { http["duration_ms"] = .number(durationMs) }
        error["message"] = .string(providerMessage ?? summary)
        error["provider"] = .string(provider)
        if let providerRequestID {
            error["provider_request_id"] = .string(providerRequestID)
            summary += " (provider request \(providerRequestID))"
        }
        return try await record(
            action: "outbound_call.failed", outcome: .failure, message: summary,
            fields: [AuditEvent.Field.level: "error", AuditEvent.Field.http: .object(http), AuditEvent.Field.error: .object(error)],
            metadata: metadata
        )
    }
}
