import AuditModel
import AuditRedaction
import Foundation
import Testing

@Suite("RedactionRules")
struct RedactionRulesTests {
    func rules(_ json: String) throws -> RedactionRules {
        try RedactionRules(json: Array(json.utf8), source: "test.json")
    }

    func redact(_ json: String, with rules: RedactionRules) throws -> String {
        guard case .object(var object) = try JSONParser().parse(json) else { return "" }
        _ = Redactor(rules: rules).redact(&object)
        return CanonicalJSON.string(.object(object))
    }

    @Test("a rules file adds field names (exact and contains) and keeps names")
    func fieldNames() throws {
        let custom = try rules(
            #"{"version":1,"fieldNames":[{"rule":"acme-pin","names":["acmePin"]},{"rule":"national-id","names":["bvn"],"match":"contains"}],"keepFieldNames":["session_token_id"]}"#
        )
        let out = try redact(#"{"acme_pin":"1234","customer_bvn_value":"22212345678","password":"x1","session_token_id":"st_1"}"#, with: custom)
        #expect(out == #"{"acme_pin":"[REDACTED:acme-pin]","customer_bvn_value":"[REDACTED:national-id]","password":"[REDACTED:password]","session_token_id":"st_1"}"#)
    }

    @Test("a rules file adds value patterns by prefix, charset and length")
    func patterns() throws {
        let custom = try rules(#"{"patterns":[{"rule":"acme-key","prefix":"acme_live_","charset":"alnum","minLength":16,"maxLength":64}]}"#)
        let out = try redact(#"{"m":"key acme_live_0123456789abcdef ok, short acme_live_abc kept"}"#, with: custom)
        #expect(out == #"{"m":"key [REDACTED:acme-key] ok, short acme_live_abc kept"}"#)
        #expect(custom.ruleNames.contains("acme-key"))
    }

    @Test("disable removes a default rule by name, from field names and scanners alike")
    func disable() throws {
        let custom = try rules(#"{"disable":["jwt","card-number"]}"#)
        #expect(!custom.ruleNames.contains("jwt"))
        let out = try redact(#"{"t":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl","card_number":"4111111111111111","c":"4111111111111111"}"#, with: custom)
        #expect(out == #"{"c":"4111111111111111","card_number":"4111111111111111","t":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl"}"#)
    }

    @Test("errors name the source, the line and the member, and compare by code", arguments: [
        ("{\n  \"disable\": [\n    \"jwtt\"\n  ]\n}", RedactionRulesError.Code.unknownRule, 3, "disable[0]"),
        ("{\n  \"patterns\": [\n    {\"rule\": \"x\", \"prefix\": \"-bad\"}\n  ]\n}", .invalidValue, 3, "patterns[0].prefix"),
        ("{\n  \"fieldNames\": [{\"rule\": \"Bad Name\", \"names\": [\"a\"]}]\n}", .invalidRuleName, 2, "fieldNames[0].rule"),
        ("{\n\n  \"colour\": 1\n}", .unknownMember, 3, "colour"),
        ("{\n  \"limits\": {\"maxDepth\": 0}\n}", .invalidValue, 2, "limits.maxDepth"),
    ])
    func errors(json: String, code: RedactionRulesError.Code, line: Int, field: String) throws {
        let error = try #require(throws: RedactionRulesError.self) { try rules(json) }
        #expect(error.code == code)
        #expect(error.line == line)
        #expect(error.field == field)
        #expect(error.source == "test.json")
        #expect(error.description.hasPrefix("test.json:\(line): \(field): "))
        #expect(error == RedactionRulesError(code: code, message: "other text", source: "other"))
    }

    @Test("invalid JSON is reported with its line; an unreadable file with its path")
    func invalid() throws {
        let error = try #require(throws: RedactionRulesError.self) { try rules("{\n  \"disable\": [\n}") }
        #expect(error.code == .invalidJSON)
        #expect(error.line == 3)
        let missing = try #require(throws: RedactionRulesError.self) { try RedactionRules(contentsOfFile: "/nonexistent/rules.json") }
        #expect(missing.code == .unreadableFile)
        #expect(missing.source == "/nonexistent/rules.json")
    }

    @Test("a YAML rules file is read like the JSON one")
    func yaml() throws {
        let text = """
            ---
            # Acme's additions
            version: 1
            fieldNames:
              - rule: acme-pin
                names: [acmePin, "acme_pin_code"]
              - rule: national-id
                names:
                  - bvn
                match: contains   # fragments
            keepFieldNames: ['session_token_id']
            patterns:
            - rule: acme-key
              prefix: acme_live_
              charset: alnum
              minLength: 16
            disable: [telegram-bot-token]
            limits:
              maxDepth: 32
            """
        let fromYAML = try RedactionRules(yaml: Array(text.utf8), source: "rules.yaml")
        #expect(fromYAML.ruleNames.contains("acme-key"))
        #expect(!fromYAML.ruleNames.contains("telegram-bot-token"))
        let out = try redact(
            #"{"acmePin":"1","customer_bvn":"2","session_token_id":"st_1","m":"k acme_live_0123456789abcdef"}"#, with: fromYAML
        )
        #expect(out == #"{"acmePin":"[REDACTED:acme-pin]","customer_bvn":"[REDACTED:national-id]","m":"k [REDACTED:acme-key]","session_token_id":"st_1"}"#)
    }

    @Test("YAML errors name the line: unsupported features, bad members", arguments: [
        ("disable:\n  - &a jwt\n", RedactionRulesError.Code.invalidYAML, 2),
        ("patterns:\n  - rule: x\n    prefix: -bad\n", .invalidValue, 3),
        ("fieldNames:\n\tnames: []\n", .invalidYAML, 2),
        ("limits:\n  maxDepth: 32\n  maxDepth: 16\n", .invalidYAML, 3),
    ])
    func yamlErrors(text: String, code: RedactionRulesError.Code, line: Int) throws {
        let error = try #require(throws: RedactionRulesError.self) {
            try RedactionRules(yaml: Array(text.utf8), source: "r.yaml")
        }
        #expect(error.code == code)
        #expect(error.line == line)
    }

    @Test("a rules file is read from disk")
    func file() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rules-\(UUID().uuidString).json").path
        try #"{"fieldNames":[{"rule":"acme-pin","names":["acme_pin"]}]}"#.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let loaded = try RedactionRules(contentsOfFile: path)
        #expect(loaded.ruleNames.contains("acme-pin"))
    }

    @Test("the example rules files in docs/redaction.md are valid and the documented rule names are all real")
    func documentedRules() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/redaction.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        let example = try #require(text.components(separatedBy: "```json\n").dropFirst().first?.components(separatedBy: "```").first)
        _ = try RedactionRules(json: Array(example.utf8), source: "docs/redaction.md")
        let yamlBlock = try #require(text.components(separatedBy: "The same document in YAML:\n\n").dropFirst().first?.components(separatedBy: "\n\n").first)
        let yaml = yamlBlock.split(separator: "\n").map { $0.dropFirst(4) }.joined(separator: "\n")
        let fromYAML = try RedactionRules(yaml: Array(yaml.utf8), source: "docs/redaction.md (YAML)")
        #expect(fromYAML.ruleNames.contains("acme-key"))
        for name in RedactionRules.default.ruleNames {
            #expect(text.contains("`\(name)`"), "docs/redaction.md does not list \(name)")
        }
    }
}
