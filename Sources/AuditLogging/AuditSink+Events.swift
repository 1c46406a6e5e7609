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
        if error == nil, let (bytes, members) = encodeLog(level: level, message: message, source: configuration.source ?? source, logger: logger, metadata: metadata, now: now) {
            submitLog(Item(payload: .encoded(bytes, timestamp: now, members: RawEvent(members: members)), redaction: RedactionReport(), idempotencyKey: nil, isAudit: false, completion: nil))
            return
        }
        let object = Self.logEvent(level: level, message: message, source: configuration.source ?? source, logger: logger, error: error, now: now)
        guard let (event, report) = prepare(object, metadata: metadata, formatted: now) else {
            metrics.errors(kind: "invalid_event").increment()
            queue.withLock { $0.noteDrop() }
            metrics.dropped.increment()
            return
        }
        submitLog(Item(payload: .event(event), redaction: report, idempotencyKey: event.id, isAudit: false, completion: nil))
    }

    /// A log event's own members, before its metadata is mapped in.
    package static func logEvent(level: String, message: String, source: String, logger: String, error: JSONObject?, now: Timestamp) -> JSONObject {
        typealias Member = JSONObject.Member
        // In key order, so that no member has to be inserted.
        var members = [Member(key: AuditEvent.Field.action, value: "log")]
        members.reserveCapacity(7)
        if let error { members.append(Member(key: AuditEvent.Field.error, value: .object(error))) }
        members.append(Member(key: AuditEvent.Field.level, value: .string(level)))
        members.append(Member(key: "logger", value: .string(logger)))
        members.append(Member(key: AuditEvent.Field.message, value: .string(message)))
        members.append(Member(key: AuditEvent.Field.source, value: .string(source)))
        members.append(Member(key: AuditEvent.Field.ts, value: .string(now.description)))
        return JSONObject(sortedUniqueMembers: members)
    }

    /// The log path without a tree, for the common event: every metadata value a string (or a
    /// non-sensitive string-convertible), ASCII keys that need no escaping, no event id, valid mapped
    /// fields, and nothing the redactor would change. Writes the event exactly as
    /// ``prepare(_:metadata:formatted:)`` followed by canonical encoding would (a test holds the two
    /// equal), in one pass over the members; nil sends the event down the general path, which handles
    /// everything else. With the bytes: where each top-level member's name (without its quotes) and
    /// value are in them, for ``StoreWriter``, which would otherwise scan them for it.
    package func encodeLog(
        level: String, message: String, source: String, logger: String, metadata: Logger.Metadata, now: Timestamp
    ) -> (bytes: [UInt8], members: [(key: Range<Int>, value: Range<Int>)])? {
        typealias Slot = LogEventLayout.Slot
        // The top-level members have known names, so their order is fixed: a value per slot, the
        // mapped fields replacing the handler's own (as `merge` does).
        var action = "log"
        var correlationID: String?
        var customerCode: String?
        var outcome: String?
        var requestID: String?
        var transactionID: String?
        var rest: [(key: String, value: String)] = []
        rest.reserveCapacity(metadata.count)
        for (key, value) in metadata {
            let text: String
            switch value {
            case .string(let s): text = s
            case .stringConvertible(let c):
                guard value.attributes[Sensitivity.self] != .sensitive else { return nil }
                text = c.description
            case .dictionary, .array: return nil
            }
            // Names sort as bytes and are found in the stored line as written only without escapes.
            guard Self.isPlainName(key) else { return nil }
            if let field = Self.field(for: key) {
                // An event id is an idempotency key, which the general path handles.
                guard Self.isValidMapped(text) else { return nil }
                switch Slot(field: field) {
                case .action?: action = text
                case .correlationID?: correlationID = text
                case .customerCode?: customerCode = text
                case .outcome?: outcome = text
                case .requestID?: requestID = text
                case .transactionID?: transactionID = text
                default: return nil
                }
            } else if key == AuditMetadataKey.traceID {
                if metadata[AuditMetadataKey.correlationID] == nil {
                    guard Self.isValidMapped(text) else { return nil }
                    correlationID = text
                }
                rest.append((key, text))
            } else {
                rest.append((key, text))
            }
        }
        guard Self.isValidMapped(level), Self.isValidMapped(source) else { return nil }
        // RFC 8785 orders names by UTF-16 code units, which for ASCII names is their byte order (and
        // `<` on ASCII strings).
        rest.sort { $0.key < $1.key }

        // The members present, in key order (`metadata` sorts between `message` and `outcome`).
        var top: [(key: String, value: String)] = []
        var slots: [Slot] = []
        top.reserveCapacity(Slot.allCases.count)
        slots.reserveCapacity(Slot.allCases.count)
        var inert: UInt64 = 0
        func add(_ slot: Slot, _ value: String?) {
            guard let value else { return }
            if inertSlotNames & (1 << UInt64(slot.rawValue)) != 0 { inert |= 1 << UInt64(top.count) }
            top.append((slot.name, value))
            slots.append(slot)
        }
        add(.action, action)
        add(.correlationID, correlationID)
        add(.customerCode, customerCode)
        add(.level, level)
        add(.logger, logger)
        add(.message, message)
        add(.outcome, outcome)
        add(.requestID, requestID)
        add(.source, source)
        add(.transactionID, transactionID)
        add(.ts, now.description)

        // Nothing to redact: the redactor's own checks, on the strings themselves.
        guard redactor.leavesUnchanged(strings: top, object: rest.isEmpty ? nil : (AuditEvent.Field.metadata, rest), inertNames: inert) else { return nil }

        var out = CanonicalJSON.Writer(capacity: 128 + message.utf8.count + 48 * (top.count + rest.count))
        var members: [(key: Range<Int>, value: Range<Int>)] = []
        members.reserveCapacity(top.count + 1)
        out.append(UInt8(ascii: "{"))
        var metadataWritten = rest.isEmpty
        for (slot, member) in zip(slots, top) {
            if !metadataWritten, slot.rawValue >= Slot.outcome.rawValue {
                Self.write(LogEventLayout.metadataName, to: &out, noting: &members) { Self.writeMetadata(rest, to: &$0) }
                metadataWritten = true
            }
            Self.write(LogEventLayout.names[slot.rawValue], to: &out, noting: &members) { $0.appendString(member.value) }
        }
        if !metadataWritten {  // never: `source` sorts after it
            Self.write(LogEventLayout.metadataName, to: &out, noting: &members) { Self.writeMetadata(rest, to: &$0) }
        }
        out.append(UInt8(ascii: "}"))
        return (out.bytes(), members)
    }

    /// Writes a member from its `name` (`,"name":`, or without the comma for the first) and `value`,
    /// noting where its name (without quotes) and its value are.
    private static func write(
        _ name: [UInt8], to out: inout CanonicalJSON.Writer, noting members: inout [(key: Range<Int>, value: Range<Int>)],
        value: (inout CanonicalJSON.Writer) -> Void
    ) {
        let start = out.count
        name.withUnsafeBufferPointer { out.append(json: $0) }
        let valueStart = out.count
        value(&out)
        members.append(((start + (name.first == UInt8(ascii: ",") ? 2 : 1))..<(valueStart - 2), valueStart..<out.count))
    }

    /// The `metadata` object's value, `{…}` with the members in key order (its name is written by the
    /// caller).
    private static func writeMetadata(_ members: [(key: String, value: String)], to out: inout CanonicalJSON.Writer) {
        for (i, member) in members.enumerated() {
            out.append(i == 0 ? UInt8(ascii: "{") : UInt8(ascii: ","))
            out.appendString(member.key)
            out.append(UInt8(ascii: ":"))
            out.appendString(member.value)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// ASCII without characters that JSON escapes (one pass over the bytes: iterating `utf8` goes
    /// through an index per byte).
    static func isPlainName(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { bytes in
            for byte in bytes where byte < 0x20 || byte >= 0x80 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return false }
            return true
        }
    }

    /// The check ``AuditEvent/init(validating:)`` makes of a mapped string field: 1 to 256 bytes.
    static func isValidMapped(_ value: String) -> Bool {
        (1...256).contains(value.utf8.count)
    }

    /// Maps metadata onto `object` (known keys to fields, the rest under `metadata`), redacts, validates.
    /// When a mapped field is invalid (an empty `request_id`, say) the event is kept with every mapped
    /// value moved under `metadata` instead; nil only if even that fails.
    ///
    /// - Parameter formatted: the timestamp `base` holds as `ts`, when the caller formatted it (it is then
    ///   not parsed back).
    package func prepare(_ base: JSONObject, metadata: Logger.Metadata, formatted: Timestamp? = nil) -> (AuditEvent, RedactionReport)? {
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

/// The top-level members a log event on the fast path can have, in canonical (RFC 8785) order.
enum LogEventLayout {
    enum Slot: Int, CaseIterable {
        case action, correlationID, customerCode, level, logger, message, outcome, requestID, source, transactionID, ts

        /// The slot of a field a metadata key maps to (nil for `id`, which the fast path leaves alone).
        init?(field: String) {
            switch field {
            case AuditEvent.Field.action: self = .action
            case AuditEvent.Field.correlationID: self = .correlationID
            case AuditEvent.Field.customerCode: self = .customerCode
            case AuditEvent.Field.outcome: self = .outcome
            case AuditEvent.Field.requestID: self = .requestID
            case AuditEvent.Field.transactionID: self = .transactionID
            default: return nil
            }
        }

        var name: String {
            switch self {
            case .action: AuditEvent.Field.action
            case .correlationID: AuditEvent.Field.correlationID
            case .customerCode: AuditEvent.Field.customerCode
            case .level: AuditEvent.Field.level
            case .logger: "logger"
            case .message: AuditEvent.Field.message
            case .outcome: AuditEvent.Field.outcome
            case .requestID: AuditEvent.Field.requestID
            case .source: AuditEvent.Field.source
            case .transactionID: AuditEvent.Field.transactionID
            case .ts: AuditEvent.Field.ts
            }
        }
    }

    /// `,"metadata":`, written between the `message` and `outcome` slots.
    static let metadataName = Array(#","metadata":"#.utf8)

    /// Each slot's `"name":`, with the comma that separates it from the member before (the first slot,
    /// `action`, is always present and has none).
    static let names: [[UInt8]] = Slot.allCases.map { slot in
        var bytes: [UInt8] = slot == .action ? [] : [UInt8(ascii: ",")]
        CanonicalJSON.appendString(slot.name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        return bytes
    }
}
