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
        let now = Timestamp.now()
        typealias Member = JSONObject.Member
        // In key order, so that no member has to be inserted.
        var members = [Member(key: AuditEvent.Field.action, value: "log")]
        members.reserveCapacity(7)
        if let error { members.append(Member(key: AuditEvent.Field.error, value: .object(error))) }
        members.append(Member(key: AuditEvent.Field.level, value: .string(level)))
        members.append(Member(key: "logger", value: .string(logger)))
        members.append(Member(key: AuditEvent.Field.message, value: .string(message)))
        members.append(Member(key: AuditEvent.Field.source, value: .string(configuration.source ?? source)))
        members.append(Member(key: AuditEvent.Field.ts, value: .string(now.description)))
        let object = JSONObject(sortedUniqueMembers: members)
        guard let (event, report) = prepare(object, metadata: metadata, formatted: now) else {
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
    ///
    /// - Parameter formatted: the timestamp `base` holds as `ts`, when the caller formatted it (it is then
    ///   not parsed back).
    func prepare(_ base: JSONObject, metadata: Logger.Metadata, formatted: Timestamp? = nil) -> (AuditEvent, RedactionReport)? {
        var report = RedactionReport()
        var restMembers: [JSONObject.Member] = []
        var fieldMembers: [JSONObject.Member] = []
        restMembers.reserveCapacity(metadata.count)
        for (key, value) in metadata {
            let json = Self.json(value, report: &report)
            if let field = Self.field(for: key) {
                fieldMembers.append(JSONObject.Member(key: field, value: json))
            } else if key == AuditMetadataKey.traceID {
                if metadata[AuditMetadataKey.correlationID] == nil {
                    fieldMembers.append(JSONObject.Member(key: AuditEvent.Field.correlationID, value: json))
                }
                restMembers.append(JSONObject.Member(key: key, value: json))
            } else {
                restMembers.append(JSONObject.Member(key: key, value: json))
            }
        }
        var rest = JSONObject(members: restMembers)
        let fields = JSONObject(members: fieldMembers)
        var object = base
        if let existing = object[AuditEvent.Field.metadata]?.objectValue {
            for member in existing where rest[member.key] == nil { rest[member.key] = member.value }
        }
        object.merge(fields)
        if !rest.isEmpty { object[AuditEvent.Field.metadata] = .object(rest) }
        report.merge(redactor.redact(&object))
        if let event = try? AuditEvent(validating: object, makeID: nil, formatted: formatted) { return (event, report) }

        var fallback = base
        rest.merge(fields)
        fallback[AuditEvent.Field.metadata] = .object(rest)
        report = RedactionReport()
        _ = Self.declaredCount(metadata, into: &report)
        report.merge(redactor.redact(&fallback))
        guard let event = try? AuditEvent(validating: fallback, makeID: nil, formatted: formatted) else { return nil }
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
            return .object(JSONObject(members: d.map { JSONObject.Member(key: $0.key, value: json($0.value, report: &report)) }))
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
