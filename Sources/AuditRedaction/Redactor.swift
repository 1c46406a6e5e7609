import AuditModel

/// Removes secrets from an event before it is queued or written, and reports what it removed.
///
/// Three kinds of rule apply (docs/redaction.md lists them all):
/// - **Field names**, at any depth and in any naming style: the whole value under `password`,
///   `clientSecret`, `X-Api-Key`, `Set-Cookie`, … becomes `[REDACTED:<rule>]`, and so does the
///   `value` next to such a `name` in header lists (`[{"name":"Authorization","value":…}]`).
/// - **Value patterns** inside every string: bearer and basic credentials, JWTs, PEM private
///   keys, passwords in URLs and labelled values (`password=…`), provider keys, card numbers,
///   CVVs and one-time codes. Only the secret's span is replaced: `Bearer [REDACTED:bearer-token]`.
/// - **Declarations** by the producer (swift-log metadata attributes), applied by the logging
///   backend with ``declaredSensitiveRule`` and ``RedactionReport/note(rule:count:)``.
///
/// It fails closed: a value it cannot scan (over ``RedactionRules`` limits) is replaced by
/// `[REDACTED:unprocessable]` and its path is listed in ``RedactionReport/dropped``; it is never
/// passed through. Field names themselves, identifiers and prose are kept.
///
/// A `Redactor` is immutable after `init` and cheap to call from many threads at once.
public struct Redactor: Sendable {
    /// The rule name for values a producer declared sensitive (swift-log 1.16 metadata
    /// attributes); the logging backend redacts them whatever their name and notes this rule.
    public static let declaredSensitiveRule = "declared-sensitive"

    /// The rule name of the marker for values dropped because they could not be processed.
    public static let unprocessableRule = "unprocessable"

    let rules: CompiledRules

    public init(rules: RedactionRules = .default) {
        self.rules = CompiledRules(rules)
    }

    /// The marker that replaces a secret found by `rule`: `[REDACTED:<rule>]`.
    public static func marker(rule: String) -> String {
        "[REDACTED:\(rule)]"
    }

    /// Redacts an event object in place.
    ///
    /// The object's `redaction` member, if any, is treated like any other member; writing the
    /// report into the event or its envelope is the caller's choice.
    /// - Returns: which rules fired how often, and which values were dropped.
    public func redact(_ object: inout JSONObject) -> RedactionReport {
        var walk = RedactionWalk(rules: rules)
        if let replaced = walk.object(object, depth: 1) { object = replaced }
        return walk.report()
    }

    /// Redacts one value in place, for callers that hold values outside an event object (the
    /// logging backend's metadata). A string is scanned for value patterns; an object or array is
    /// walked as in ``redact(_:)-(JSONObject)``.
    public func redact(_ value: inout JSONValue) -> RedactionReport {
        var walk = RedactionWalk(rules: rules)
        if let replaced = walk.value(value, depth: 1) { value = replaced }
        return walk.report()
    }
}
