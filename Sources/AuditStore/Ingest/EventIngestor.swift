import AuditModel
import AuditRedaction

/// Turns one line of producer input into a stored record: parse, validate, redact, append.
///
/// Every rejection says why, and never quotes the input (a rejected line may hold a secret).
public struct EventIngestor: Sendable {
    public struct Limits: Sendable, Hashable {
        /// Largest event line accepted, in bytes (at most ``Record/maxEventBytes``).
        public var maxEventBytes: Int = 256 << 10
        /// Deepest nesting of arrays and objects accepted (at most ``Record/maxEventDepth``).
        public var maxDepth: Int = 32

        public init() {}
    }

    /// Why a line was not stored.
    public struct Rejection: Error, Hashable, Sendable, CustomStringConvertible {
        public var reason: String
        /// The event after redaction, when the line was valid JSON (for a rejects file).
        public var redactedEvent: JSONObject?
        public var description: String { reason }

        public init(reason: String, redactedEvent: JSONObject? = nil) {
            self.reason = reason
            self.redactedEvent = redactedEvent
        }
    }

    public let limits: Limits
    public let redactor: Redactor
    private let parser: JSONParser

    public init(limits: Limits = Limits(), redactor: Redactor = Redactor()) {
        var limits = limits
        limits.maxDepth = min(max(1, limits.maxDepth), Record.maxEventDepth)
        limits.maxEventBytes = min(max(1, limits.maxEventBytes), Record.maxEventBytes)
        self.limits = limits
        self.redactor = redactor
        self.parser = JSONParser(limits: .init(maxDepth: limits.maxDepth, maxBytes: limits.maxEventBytes))
    }

    /// Parses, validates and redacts one event line (without its newline). An event without an `id` gets
    /// one from the store when it is appended.
    public func prepare(_ line: UnsafeRawBufferPointer) -> Result<(AuditEvent, RedactionReport), Rejection> {
        guard line.count <= limits.maxEventBytes else {
            return .failure(Rejection(reason: "event is \(line.count) bytes, over the limit of \(limits.maxEventBytes) bytes"))
        }
        let value: JSONValue
        do {
            value = try parser.parse(line)
        } catch {
            let where_ = error.code == .tooDeep ? "" : " at byte \(error.offset)"
            return .failure(Rejection(reason: "invalid JSON\(where_): \(error.message)"))
        }
        guard case .object(var object) = value else {
            return .failure(Rejection(reason: "an event must be a JSON object, found \(value.typeName)"))
        }
        // Redaction runs before validation so that not even a rejects file sees a secret.
        let report = redactor.redact(&object)
        do {
            let event = try AuditEvent(validating: object)
            return .success((event, report))
        } catch {
            return .failure(Rejection(reason: "\(error)", redactedEvent: object))
        }
    }

    /// One line ready to append: its canonical bytes when it took the fast path, the validated event
    /// and its redaction report otherwise.
    package enum Prepared {
        case encoded([UInt8], timestamp: Timestamp, members: RawEvent)
        case event(AuditEvent, RedactionReport)

        /// Appends it; returns the record's sequence number.
        package func append(to writer: StoreWriter) throws(AuditStoreError) -> UInt64 {
            switch self {
            case .encoded(let bytes, let timestamp, let members): try writer.append(canonicalEvent: bytes, timestamp: timestamp, members: members)
            case .event(let event, let report): try writer.append(event, redaction: report.isEmpty ? nil : report.jsonValue)
            }
        }
    }

    /// Prepares one line for appending: through ``prepareEncoded(_:remembering:)`` when it can, else
    /// ``prepare(_:)``. Either way the record appended is the same.
    ///
    /// - Parameter cache: the calling thread's ``Redactor/CheckCache`` from this ingestor's redactor.
    package func prepareForAppend(_ line: UnsafeRawBufferPointer, remembering cache: Redactor.CheckCache? = nil) -> Result<Prepared, Rejection> {
        if let (bytes, timestamp, members) = prepareEncoded(line, remembering: cache) {
            return .success(.encoded(bytes, timestamp: timestamp, members: RawEvent(members: members)))
        }
        return prepare(line).map { .event($0.0, $0.1) }
    }

    /// The fast path for the common line: read without building a tree (``JSONTape``), nothing to
    /// redact (the redactor's own checks on the bytes), valid as it is (``AuditEvent/timestampIfValidAsIs(_:)``):
    /// the event's canonical bytes, time and top-level members, for ``StoreWriter/append(canonicalEvent:timestamp:members:redaction:)``,
    /// which stores exactly what ``prepare(_:)`` and ``StoreWriter/append(_:redaction:)`` would. Nil
    /// sends the line down ``prepare(_:)``, which gives the authoritative result or rejection.
    package func prepareEncoded(
        _ line: UnsafeRawBufferPointer, remembering cache: Redactor.CheckCache? = nil
    ) -> (bytes: [UInt8], timestamp: Timestamp, members: [(key: Range<Int>, value: Range<Int>)])? {
        guard line.count <= limits.maxEventBytes,
            let tape = JSONTape(line.bindMemory(to: UInt8.self), maxDepth: min(limits.maxDepth, redactor.maxDepth), maxBytes: limits.maxEventBytes),
            redactor.leavesUnchanged(tape, remembering: cache), let timestamp = AuditEvent.timestampIfValidAsIs(tape),
            let (bytes, members) = tape.canonicalBytesAndMembers()
        else { return nil }
        return (bytes, timestamp, members)
    }

    /// Prepares and appends one line; returns the record's sequence number.
    public func ingest(_ line: UnsafeRawBufferPointer, into writer: StoreWriter) throws(AuditStoreError) -> Result<UInt64, Rejection> {
        switch prepareForAppend(line) {
        case .failure(let rejection): .failure(rejection)
        case .success(let prepared): .success(try prepared.append(to: writer))
        }
    }
}
