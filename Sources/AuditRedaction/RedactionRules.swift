/// What the ``Redactor`` removes: field-name rules, value shapes, the built-in scanners, and
/// the limits past which a value is dropped rather than scanned.
///
/// Rules are data. ``default`` is the documented set (docs/redaction.md lists every rule); a
/// rules file (schemas/redaction-rules.schema.json) is merged onto it to add field names and
/// shapes, keep names, or disable a default rule by name. Every rule has a name, and that name is
/// what the marker (`[REDACTED:<name>]`) and the report show.
public struct RedactionRules: Sendable {
    /// A rule that matches member names and labels inside strings (`password=`, `"token":`).
    struct FieldRule: Sendable, Hashable {
        var name: String
        /// Names matched whole, after normalisation.
        var exact: [String]
        /// Names matched when they contain one of these, after normalisation.
        var contains: [String]
        /// Whether a label inside a string redacts any value (`password: hunter`), rather than only
        /// values that do not read as a plain word (`token: expired` stays).
        var redactsAnyInlineValue: Bool
    }

    /// Bounds past which a value is dropped (fail closed) instead of scanned.
    struct Limits: Sendable, Hashable {
        /// Longest string scanned, in UTF-8 bytes; a longer one is replaced by
        /// `[REDACTED:unprocessable]` and reported in ``RedactionReport/dropped``.
        var maxStringBytes = 1 << 20
        /// Deepest nesting walked; a deeper object or array is dropped whole.
        var maxDepth = 64
    }

    var fieldRules: [FieldRule]
    /// Ambiguous names (`key`, `code`) whose values are redacted by `generic-secret` only when they
    /// look random.
    var weakFieldNames: [String]
    /// Names never treated as secret, even when they contain a fragment (`idempotency_key`).
    var keepFieldNames: [String]
    /// Normalised suffixes that describe rather than hold a secret (`token_type`, `password_set`).
    var descriptiveSuffixes: [String]
    /// Normalised prefixes that describe rather than hold a secret (`last_password_change`).
    var descriptivePrefixes: [String]
    var shapes: [TokenShape]
    /// Names of the built-in scanners still enabled (`jwt`, `card-number`, ...).
    var scanners: Set<String>
    var limits: Limits

    /// The rule that `auditq`'s swift-log backend reports when it redacts a value whose producer
    /// marked it sensitive (swift-log 1.16 metadata attributes), whatever its name.
    public static let declaredSensitiveRule = Redactor.declaredSensitiveRule

    /// Every rule name in effect, sorted: field rules, shapes and scanners.
    public var ruleNames: [String] {
        Set(fieldRules.map(\.name) + shapes.map(\.rule) + scanners).sorted()
    }

    /// Removes a rule by name from field rules, shapes and scanners; false when no rule has it.
    mutating func disable(_ name: String) -> Bool {
        let before = fieldRules.count + shapes.count + scanners.count
        fieldRules.removeAll { $0.name == name }
        shapes.removeAll { $0.rule == name }
        scanners.remove(name)
        return fieldRules.count + shapes.count + scanners.count != before
    }

    /// Adds names to the field rule called `rule`, creating it if needed.
    mutating func addFieldNames(rule: String, exact: [String], contains: [String]) {
        if let i = fieldRules.firstIndex(where: { $0.name == rule }) {
            fieldRules[i].exact += exact
            fieldRules[i].contains += contains
        } else {
            fieldRules.append(FieldRule(name: rule, exact: exact, contains: contains, redactsAnyInlineValue: false))
        }
    }
}
