import AuditModel

/// What redaction did to one event: which rules replaced how many values, and which values were
/// dropped because they could not be processed.
///
/// It never holds a secret or any part of one, only rule names and member paths, so it can be
/// stored next to the record (the store writes ``jsonValue`` into each record's envelope under
/// `redaction`) and shown to an auditor, who sees that redaction happened without seeing what.
public struct RedactionReport: Sendable, Hashable {
    /// Rule name → how many values (or spans inside strings) it replaced.
    public var counts: [String: Int]
    /// Paths (`metadata.blob`, `headers[2].value`) of values replaced by
    /// `[REDACTED:unprocessable]` because they were over a limit or otherwise could not be scanned.
    public var dropped: [String]

    public init(counts: [String: Int] = [:], dropped: [String] = []) {
        self.counts = counts
        self.dropped = dropped
    }

    /// True when nothing was redacted or dropped.
    public var isEmpty: Bool { counts.isEmpty && dropped.isEmpty }

    /// Records that `rule` replaced `count` more values.
    ///
    /// The swift-log backend calls this with ``Redactor/declaredSensitiveRule`` for each value a
    /// producer marked sensitive, so declared and detected redactions land in one report.
    public mutating func note(rule: String, count: Int = 1) {
        guard count > 0 else { return }
        counts[rule, default: 0] += count
    }

    /// Adds another report's counts and dropped paths to this one.
    public mutating func merge(_ other: RedactionReport) {
        for (rule, count) in other.counts { note(rule: rule, count: count) }
        dropped.append(contentsOf: other.dropped)
    }

    /// `{"rules":{"<rule>":<count>,...},"dropped":["<path>",...]}`, with an empty part left out
    /// (so an empty report is `{}`).
    public var jsonValue: JSONValue {
        var object = JSONObject()
        if !counts.isEmpty {
            var rules = JSONObject()
            for (rule, count) in counts { rules[rule] = .number(Double(count)) }
            object["rules"] = .object(rules)
        }
        if !dropped.isEmpty {
            object["dropped"] = .array(dropped.map { .string($0) })
        }
        return .object(object)
    }

    /// Reads a report from its ``jsonValue`` form; nil when the value is not exactly that shape
    /// (rule names of lowercase letters, digits and hyphens with positive integer counts, and
    /// string paths), so a forged or damaged `redaction` member is never mistaken for a report.
    public init?(jsonValue: JSONValue) {
        guard case .object(let object) = jsonValue else { return nil }
        var report = RedactionReport()
        for member in object {
            switch (member.key, member.value) {
            case ("rules", .object(let rules)):
                for rule in rules {
                    let validName = (1...64).contains(rule.key.utf8.count)
                        && rule.key.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
                    guard validName, let count = rule.value.integerValue, count > 0 else { return nil }
                    report.counts[rule.key] = Int(count)
                }
            case ("dropped", .array(let paths)):
                for path in paths {
                    guard case .string(let text) = path else { return nil }
                    report.dropped.append(text)
                }
            default:
                return nil
            }
        }
        self = report
    }
}
