import AuditModel
import AuditRedaction
import Testing

@Suite("RedactionReport")
struct RedactionReportTests {
    @Test("an empty report is empty and encodes as {}")
    func empty() {
        let report = RedactionReport()
        #expect(report.isEmpty)
        #expect(report.jsonValue == [:])
    }

    @Test("note(rule:) counts, including the declared-sensitive rule of the logging backend")
    func note() {
        var report = RedactionReport()
        report.note(rule: Redactor.declaredSensitiveRule)
        report.note(rule: Redactor.declaredSensitiveRule, count: 2)
        report.note(rule: "password", count: 0)
        #expect(report.counts == ["declared-sensitive": 3])
        #expect(CanonicalJSON.string(report.jsonValue) == #"{"rules":{"declared-sensitive":3}}"#)
        #expect(Redactor.marker(rule: Redactor.declaredSensitiveRule) == "[REDACTED:declared-sensitive]")
        #expect(RedactionRules.declaredSensitiveRule == Redactor.declaredSensitiveRule)
    }

    @Test("rules and dropped paths both appear in the encoding")
    func both() {
        var report = RedactionReport(dropped: ["a.b"])
        report.note(rule: "jwt")
        #expect(CanonicalJSON.string(report.jsonValue) == #"{"dropped":["a.b"],"rules":{"jwt":1}}"#)
    }
}
