/// One audit event: the known fields checked and normalised, every other member kept as sent.
///
/// Required: `ts` and `action`. Everything else is optional, but a known field that is present must
/// have the documented type (see `docs/event.md` and `schemas/event.schema.json`). Unknown members are
/// preserved untouched, so producers can add fields without breaking ingestion.
public struct AuditEvent: Sendable, Hashable {
    /// Names of the known fields.
    public enum Field {
        public static let id = "id"
        public static let ts = "ts"
        public static let level = "level"
        public static let source = "source"
        public static let action = "action"
        public static let outcome = "outcome"
        public static let actor = "actor"
        public static let requestID = "request_id"
        public static let transactionID = "transaction_id"
        public static let customerCode = "customer_code"
        public static let correlationID = "correlation_id"
        public static let message = "message"
        public static let http = "http"
        public static let error = "error"
        public static let metadata = "metadata"
    }

    /// The event as stored: normalised `ts`, an `id`, and every member the producer sent.
    public private(set) var fields: JSONObject

    /// The event time.
    public private(set) var timestamp: Timestamp

    /// Checks and normalises an event.
    ///
    /// - Parameters:
    ///   - object: the event as received.
    ///   - makeID: called for an `id` when the event has none; when nil the id stays absent and the store
    ///     assigns one from its sequence number (see ``assignID(_:)``).
    /// - Throws: ``EventValidationError`` naming the field and what was expected.
    public init(validating object: JSONObject, makeID: (() -> String)? = nil) throws(EventValidationError) {
        try self.init(validating: object, makeID: makeID, formatted: nil)
    }

    /// Checks and normalises an event whose `ts` the caller may have written itself.
    ///
    /// - Parameter formatted: a timestamp whose ``Timestamp/description`` the caller put in `ts` (the log
    ///   handler formats the clock); when `ts` still holds exactly that text it is not parsed back.
    package init(validating object: JSONObject, makeID: (() -> String)?, formatted: Timestamp?) throws(EventValidationError) {
        var fields = object
        let known = KnownFields(object)
        guard let tsIndex = known.ts else { throw .missing(Field.ts) }
        let tsValue = object.members[tsIndex].value
        guard case .string(let tsText) = tsValue else { throw .wrongType(Field.ts, expected: "an RFC 3339 string", found: tsValue) }
        if let formatted, tsText == formatted.description {
            self.timestamp = formatted
        } else {
            switch Timestamp.parse(tsText) {
            case .success(let ts): self.timestamp = ts
            case .failure(let error): throw EventValidationError(field: Field.ts, reason: error.reason)
            }
            // Rewritten only when the text differs: writing would copy the members.
            let normalised = timestamp.description
            if normalised != tsText { fields.replaceValue(at: tsIndex, with: .string(normalised)) }
        }

        if let i = known.id {
            let id = object.members[i].value
            guard case .string(let s) = id else { throw .wrongType(Field.id, expected: "a string", found: id) }
            guard (1...128).contains(s.utf8.count), s.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }) else {
                throw EventValidationError(field: Field.id, reason: "must be 1 to 128 characters with no spaces or control characters")
            }
        } else if let makeID {
            fields[Field.id] = .string(makeID())
        }

        func value(_ index: Int?) -> JSONValue? { index.map { object.members[$0].value } }
        guard let action = value(known.action) else { throw .missing(Field.action) }
        try Self.checkString(action, Field.action, maxBytes: 256, nonEmpty: true)
        for (name, index) in [
            (Field.level, known.level), (Field.source, known.source), (Field.outcome, known.outcome),
            (Field.requestID, known.requestID), (Field.transactionID, known.transactionID),
            (Field.customerCode, known.customerCode), (Field.correlationID, known.correlationID),
        ] {
            if let v = value(index) { try Self.checkString(v, name, maxBytes: 256, nonEmpty: true) }
        }
        if let v = value(known.message) { try Self.checkString(v, Field.message, maxBytes: nil, nonEmpty: false) }
        if let actor = value(known.actor) {
            guard case .object(let o) = actor else { throw .wrongType(Field.actor, expected: "an object", found: actor) }
            for name in ["type", "id"] {
                if let v = o[name] { try Self.checkString(v, "actor.\(name)", maxBytes: 256, nonEmpty: false) }
            }
        }
        if let http = value(known.http) {
            guard case .object(let o) = http else { throw .wrongType(Field.http, expected: "an object", found: http) }
            if let v = o["method"] { try Self.checkString(v, "http.method", maxBytes: 32, nonEmpty: true) }
            if let v = o["path"] { try Self.checkString(v, "http.path", maxBytes: nil, nonEmpty: false) }
            if let v = o["status"] {
                guard let status = v.integerValue, (100...599).contains(status) else {
                    throw EventValidationError(field: "http.status", reason: "must be an integer from 100 to 599, found \(v.summary)")
                }
            }
            if let v = o["duration_ms"] {
                guard let d = v.numberValue, d >= 0 else {
                    throw EventValidationError(field: "http.duration_ms", reason: "must be a number ≥ 0, found \(v.summary)")
                }
            }
        }
        if let error = value(known.error) {
            guard case .object(let o) = error else { throw .wrongType(Field.error, expected: "an object", found: error) }
            if let code = o["code"] {
                switch code {
                case .string: break
                case .number where code.integerValue != nil: break
                default: throw .wrongType("error.code", expected: "a string or an integer", found: code)
                }
            }
            if let v = o["message"] { try Self.checkString(v, "error.message", maxBytes: nil, nonEmpty: false) }
        }
        if let metadata = value(known.metadata), metadata.objectValue == nil {
            throw .wrongType(Field.metadata, expected: "an object", found: metadata)
        }
        self.fields = fields
    }

    private static func checkString(_ value: JSONValue, _ field: String, maxBytes: Int?, nonEmpty: Bool) throws(EventValidationError) {
        guard case .string(let s) = value else { throw .wrongType(field, expected: "a string", found: value) }
        if nonEmpty, s.isEmpty { throw EventValidationError(field: field, reason: "must not be empty") }
        if let maxBytes, s.utf8.count > maxBytes {
            throw EventValidationError(field: field, reason: "is \(s.utf8.count) bytes, over the limit of \(maxBytes)")
        }
    }

    /// A string member, when present and a string.
    public subscript(string field: String) -> String? {
        fields[field]?.stringValue
    }

    public var id: String? { self[string: Field.id] }

    /// Gives an event without an id the one its store assigns.
    public mutating func assignID(_ id: String) {
        if fields[Field.id] == nil { fields[Field.id] = .string(id) }
    }
    public var action: String { self[string: Field.action] ?? "" }
    public var level: String? { self[string: Field.level] }
    public var outcome: String? { self[string: Field.outcome] }
    public var requestID: String? { self[string: Field.requestID] }
    public var transactionID: String? { self[string: Field.transactionID] }
    public var customerCode: String? { self[string: Field.customerCode] }
    public var correlationID: String? { self[string: Field.correlationID] }
}

/// A known field with the wrong type or value; the message names the field and what was expected.
public struct EventValidationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The field's path, such as `http.status`.
    public var field: String
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    static func missing(_ field: String) -> EventValidationError {
        EventValidationError(field: field, reason: "is required")
    }

    static func wrongType(_ field: String, expected: String, found: JSONValue) -> EventValidationError {
        EventValidationError(field: field, reason: "must be \(expected), found \(found.typeName)")
    }

    public var description: String { "field '\(field)' \(reason)" }
}

extension JSONValue {
    /// A short description for error messages: the type, and for numbers the value (never a string's content).
    var summary: String {
        if case .number(let n) = self { return "number \(n)" }
        return typeName
    }
}
