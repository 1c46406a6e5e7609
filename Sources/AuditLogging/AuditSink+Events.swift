import AuditModel
import AuditRedaction
import AuditStore
import Logging

extension AuditSink {
    /// The event field a metadata key maps to instead of a `metadata` member, if any (a switch: this
    /// runs for every key of every event).
    static func field(for key: String) -> String? {
        switch key {
        case AuditMetadataKey.requestID: AuditEvent.Field.requestID
        case AuditMetadataKey.transactionID: AuditEvent.Field.transactionID
        case AuditMetadataKey.customerCode: AuditEvent.Field.customerCode
        case AuditMetadataKey.correlationID: AuditEvent.Field.correlationID
        case AuditMetadataKey.action: AuditEvent.Field.action
        case AuditMetadataKey.outcome: AuditEvent.Field.outcome
        case AuditMetadataKey.eventID: AuditEvent.Field.id
        default: nil
        }
    }

    /// The log path: builds, redacts and queues one event. Never throws, never traps: an event that
    /// cannot be built even without its mapped fields is counted as an error and as dropped.
    func submitLog(level: String, message: String, source: String, logger: String, metadata: Logger.Metadata, error: JSONObject?) {
        var object: JSONObject = [
            AuditEvent.Field.ts: .string(Timestamp.now().description),
            AuditEvent.Field.level: .string(level),
            AuditEvent.Field.source: .string(configuration.source ?? source),
            AuditEvent.Field.action: "log",
            AuditEvent.Field.message: .string(message),
            "logger": .string(logger),
        ]
        if let error { object[AuditEvent.Field.error] = .object(error) }
        guard let (event, report) = prepare(object, metadata: metadata) else {
            metrics.errors(kind: "invalid_event").increment()
            queue.withLock { $0.noteDrop() }
            metrics.dropped.increment()
            return
        }
        submitLog(Item(event: event, redaction: report, idempotencyKey: event.id, isAudit: false, completion: nil))
    }

    /// Maps metadata onto `object` (known keys to fields, the rest under `metadata`), redacts, validates.
    /// When a mapped field is invalid (an empty `request_id`, say) the event is kept with every mapped
    /// value moved under `metadata` instead; nil only if even that fails.
    func prepare(_ base: JSONObject, metadata: Logger.Metadata) -> (AuditEvent, RedactionReport)? {
        var report = RedactionReport()
        var rest = JSONObject()
        var fields = JSONObject()
        for (key, value) in metadata {
            let json = Self.json(value, report: &report)
            if let field = Self.field(for: key) {
                fields[field] = json
            } else if key == AuditMetadataKey.traceID {
                if metadata[AuditMetadataKey.correlationID] == nil { fields[AuditEvent.Field.correlationID] = json }
                rest[key] = json
            } else {
                rest[key] = json
            }
        }
        var object = base
        if let existing = object[AuditEvent.Field.metadata]?.objectValue {
            for member in existing where rest[member.key] == nil { rest[member.key] = member.value }
        }
        for member in fields { object[member.key] = member.value }
        if !rest.isEmpty { object[AuditEvent.Field.metadata] = .object(rest) }
        report.merge(redactor.redact(&object))
        if let event = try? AuditEvent(validating: object) { return (event, report) }

        var fallback = base
        for member in fields {
            rest[member.key] = member.value
        }
        fallback[AuditEvent.Field.metadata] = .object(rest)
        report = RedactionReport()
        _ = Self.declaredCount(metadata, into: &report)
        report.merge(redactor.redact(&fallback))
        guard let event = try? AuditEvent(validating: fallback) else { return nil }
        metrics.errors(kind: "invalid_field").increment()
        return (event, report)
    }

    /// A metadata value as JSON; values declared ``Sensitivity/sensitive`` become the marker.
    static func json(_ value: Logger.MetadataValue, report: inout RedactionReport) -> JSONValue {
        switch value {
        case .string(let s):
            return .string(s)
        case .stringConvertible(let c):
            if value.attributes[Sensitivity.self] == .sensitive {
                report.note(rule: Redactor.declaredSensitiveRule)
                return .string(Redactor.marker(rule: Redactor.declaredSensitiveRule))
            }
            return .string(c.description)
        case .dictionary(let d):
            var object = JSONObject()
            for (k, v) in d { object[k] = json(v, report: &report) }
            return .object(object)
        case .array(let a):
            return .array(a.map { json($0, report: &report) })
        }
    }

    /// Counts declared-sensitive values (for a report rebuilt after a fallback).
    static func declaredCount(_ metadata: Logger.Metadata, into report: inout RedactionReport) -> Int {
        var scratch = RedactionReport()
        for (_, value) in metadata { _ = json(value, report: &scratch) }
        report.merge(scratch)
        return scratch.counts[Redactor.declaredSensitiveRule] ?? 0
    }
}
