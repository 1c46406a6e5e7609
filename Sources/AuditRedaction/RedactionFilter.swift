import AuditModel

/// The line-by-line core of `auditq redact`: one JSON Lines input line in, one redacted line out.
///
/// Kept in the library (with `package` access) so that it is unit-tested without the binary.
/// An input line that is not a JSON object yields a placeholder line and an error that name the
/// line and the reason but never quote the input: a line that failed to parse may still hold a
/// secret, and neither stdout nor stderr may carry it.
package struct RedactionFilter: Sendable {
    /// The result of one line.
    package struct Output: Sendable, Equatable {
        /// The output line, without its newline.
        package var line: [UInt8]
        /// For stderr, `line N: <reason>`, when the input line was rejected.
        package var error: String?
    }

    package let redactor: Redactor
    package let parser: JSONParser

    package init(redactor: Redactor, parser: JSONParser = JSONParser()) {
        self.redactor = redactor
        self.parser = parser
    }

    /// Longest line accepted, in bytes; the parser's own limit.
    package var maxLineBytes: Int { parser.limits.maxBytes }

    /// Redacts one line (without its newline; a trailing CR is allowed).
    ///
    /// The report is written into the event under `redaction` when it is not empty. If the input
    /// already has a `redaction` member in the report's own shape (from an earlier pass), the new
    /// counts and paths are added to it, so filtering twice gives the same output as once. Any
    /// other `redaction` member is redacted like every member and then replaced by the report.
    package func process(_ line: UnsafeRawBufferPointer, lineNumber: Int) -> Output {
        var gate = FastPathGate()
        return process(line, lineNumber: lineNumber, gate: &gate)
    }

    /// As ``process(_:lineNumber:)-(UnsafeRawBufferPointer,_)``, trying the fast path only as
    /// often as `gate` (kept across the lines of one input) says is worth it.
    package func process(_ line: UnsafeRawBufferPointer, lineNumber: Int, gate: inout FastPathGate) -> Output {
        if gate.shouldTry() {
            if gate.cache == nil { gate.cache = redactor.makeCheckCache() }
            let unchanged = canonicalIfUnchanged(line, remembering: gate.cache)
            gate.record(taken: unchanged != nil)
            if let unchanged { return Output(line: unchanged, error: nil) }
        }
        let value: JSONValue
        do {
            value = try parser.parse(line)
        } catch {
            return rejected(lineNumber, Self.describe(error))
        }
        guard case .object(var object) = value else {
            return rejected(lineNumber, "not a JSON object (found \(value.typeName)); each line must be one event object")
        }
        var earlier: RedactionReport?
        if let member = object["redaction"], var previous = RedactionReport(jsonValue: member) {
            object["redaction"] = nil
            // Paths are text from the input: scan them like any other string.
            var found = RedactionReport()
            previous.dropped = previous.dropped.map { path in
                var value = JSONValue.string(path)
                found.merge(redactor.redact(&value))
                return value.stringValue ?? ""
            }
            previous.merge(found)
            earlier = previous
        }
        var report = redactor.redact(&object)
        if let earlier {
            var merged = earlier
            merged.merge(report)
            report = merged
        }
        if !report.isEmpty { object["redaction"] = report.jsonValue }
        var out: [UInt8] = []
        out.reserveCapacity(line.count + 64)
        CanonicalJSON.encode(object, into: &out)
        return Output(line: out, error: nil)
    }

    /// The fast path for the common event, one with nothing to redact: read the line as a
    /// ``JSONTape``, check it with ``Redactor/leavesUnchanged(_:)``, and write its canonical form
    /// from the input bytes. Nil (and the caller takes the tree path, which gives the same bytes
    /// for such a line) when the line is outside the tape's subset, holds anything the redactor
    /// could change, or already has a `redaction` member.
    ///
    /// - Parameter cache: the calling thread's ``Redactor/CheckCache`` from this filter's redactor.
    package func canonicalIfUnchanged(_ line: UnsafeRawBufferPointer, remembering cache: Redactor.CheckCache? = nil) -> [UInt8]? {
        let bytes = line.bindMemory(to: UInt8.self)
        let depth = min(parser.limits.maxDepth, redactor.maxDepth)
        guard let tape = JSONTape(bytes, maxDepth: depth, maxBytes: parser.limits.maxBytes),
            !tape.hasTopLevelMember("redaction"), redactor.leavesUnchanged(tape, remembering: cache)
        else { return nil }
        return tape.canonicalBytes()
    }

    package func process(_ line: [UInt8], lineNumber: Int) -> Output {
        line.withUnsafeBytes { process($0, lineNumber: lineNumber) }
    }

    package func process(_ line: [UInt8], lineNumber: Int, gate: inout FastPathGate) -> Output {
        line.withUnsafeBytes { process($0, lineNumber: lineNumber, gate: &gate) }
    }

    /// Whether to try the fast path on the next line. A line that does not take it costs the tape
    /// and the checks on top of the full path (about 40% more), so after 32 lines in a row that
    /// took the full path (a producer that puts a secret in every event) only one line in 16 tries
    /// it, until one takes it again. The output does not depend on it.
    /// Also carries the input's ``Redactor/CheckCache`` (made on first use), so one gate belongs to
    /// one thread.
    package struct FastPathGate {
        private var missed = 0
        var cache: Redactor.CheckCache?

        package init() {}

        mutating func shouldTry() -> Bool {
            if missed < 32 || missed % 16 == 0 { return true }
            missed += 1
            return false
        }

        mutating func record(taken: Bool) {
            missed = taken ? 0 : missed + 1
        }
    }

    /// The output for a line longer than ``maxLineBytes``, which the caller skipped unread.
    package func overlong(lineNumber: Int, bytes: Int) -> Output {
        rejected(lineNumber, "line is \(bytes) bytes or more, over the limit of \(maxLineBytes)")
    }

    private func rejected(_ lineNumber: Int, _ reason: String) -> Output {
        let placeholder: JSONValue = ["redaction": ["error": .string("line \(lineNumber): \(reason)")]]
        return Output(line: CanonicalJSON.encode(placeholder), error: "line \(lineNumber): \(reason)")
    }

    /// A parse error in words that never quote the input (the parser's own message may include a
    /// member name or a number, either of which could be a secret).
    static func describe(_ error: JSONParseError) -> String {
        let reason: String
        switch error.code {
        case .unexpectedEnd: reason = "unexpected end of input"
        case .unexpectedCharacter: reason = "unexpected character"
        case .trailingData: reason = "data after the JSON value"
        case .invalidUTF8: reason = "invalid UTF-8"
        case .controlCharacter: reason = "unescaped control character in a string"
        case .invalidEscape: reason = "invalid escape in a string"
        case .invalidNumber: reason = "invalid number"
        case .unsafeInteger: reason = "integer beyond ±2^53 (send it as a string)"
        case .duplicateKey: reason = "duplicate member name"
        case .tooDeep: reason = "nested too deeply"
        case .tooLarge: reason = "too large"
        default: reason = "\(error.code)"
        }
        return "invalid JSON at column \(error.column) (byte \(error.offset + 1)): \(reason)"
    }
}
