// TEMPORARY stand-in until the redaction branch lands: field-name rules for the minimum set only.
import AuditModel

public struct RedactionReport: Sendable, Hashable {
    public var counts: [String: Int] = [:]
    public var dropped: [String] = []
    public init() {}
    public var isEmpty: Bool { counts.isEmpty && dropped.isEmpty }
    public mutating func note(rule: String, count: Int = 1) { counts[rule, default: 0] += count }
    public var jsonValue: JSONValue {
        var o = JSONObject()
        if !counts.isEmpty {
            var rules = JSONObject()
            for (k, v) in counts { rules[k] = .number(Double(v)) }
            o["rules"] = .object(rules)
        }
        if !dropped.isEmpty { o["dropped"] = .array(dropped.map(JSONValue.string)) }
        return .object(o)
    }
}

public struct RedactionRules: Sendable {
    public static let `default` = RedactionRules()
}

public struct Redactor: Sendable {
    public init(rules: RedactionRules = .default) {}
    public func redact(_ object: inout JSONObject) -> RedactionReport {
        var report = RedactionReport()
        redact(&object, &report)
        return report
    }
    private func redact(_ object: inout JSONObject, _ report: inout RedactionReport) {
        object.updateValues { key, value in
            let k = key.lowercased().filter { $0.isLetter }
            if ["password", "token", "secret", "authorization", "accesstoken", "apikey"].contains(k) {
                value = .string("[REDACTED:field-\(k)]")
                report.note(rule: "field-\(k)")
            } else if case .object(var o) = value {
                redact(&o, &report)
                value = .object(o)
            }
        }
    }
}
