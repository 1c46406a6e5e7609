import AuditCrypto
import AuditModel
import AuditRetention
import AuditTestSupport
import Foundation
import Testing

@Suite("Retention policy files")
struct PolicyFileTests {
    static let root = SchemaValidation.root

    static func bytes(_ relativePath: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(relativePath)))
    }

    static let examples = ["retention/examples/strict-minimal.yaml", "retention/examples/by-service.yaml", "retention/examples/with-holds.json"]

    @Test("the default policy loads, and its embedded copy is retention/default.yaml byte for byte")
    func defaultPolicy() throws {
        let file = try Self.bytes("retention/default.yaml")
        let embeddedIsFile = Array(RetentionPolicy.defaultPolicyText.utf8) == file
        #expect(embeddedIsFile, "retention/default.yaml changed: run scripts/embed-default-policy.sh")
        let policy = RetentionPolicy.default
        #expect(policy.source == "default policy")
        #expect(policy.sha256 == SHA256.hash(file))
        let fromFile = try RetentionPolicy(contentsOfFile: Self.root.appendingPathComponent("retention/default.yaml").path)
        #expect(fromFile.categories == policy.categories)
        #expect(fromFile.sha256 == policy.sha256)
        #expect(policy.name == "payments-default")
        #expect(policy.categories.map(\.name) == ["auditq", "ledger", "kyc", "debug", "profile", "access", "other"])
        #expect(policy.categories.map { $0.retention?.description ?? "forever" } == ["10y", "7y", "5y", "4w", "2y", "13mo", "1y"])
        #expect(policy.categories.map(\.onErasure) == [.keepUntilExpiry, .keepUntilExpiry, .keepUntilExpiry, .erase, .erase, .erase, .erase])
        #expect(policy.categories.last?.isCatchAll == true)
        #expect(policy.holds.isEmpty)
        // A new store's store.json personal_data (AuditStore's StoreDescriptor.defaultPersonalDataPaths).
        #expect(policy.personalData == [
            "actor.id", "customer_code", "metadata.address", "metadata.date_of_birth", "metadata.email", "metadata.ip", "metadata.name",
            "metadata.phone",
        ])
    }

    @Test("every example policy loads", arguments: examples)
    func example(path: String) throws {
        let policy = try RetentionPolicy(contentsOfFile: Self.root.appendingPathComponent(path).path)
        #expect(policy.categories.last?.isCatchAll == true)
        #expect(policy.sha256 == SHA256.hash(try Self.bytes(path)))
        #expect(policy.source.hasSuffix(path))
    }

    @Test("the default policy and every example validate against schemas/retention-policy.schema.json", arguments: ["retention/default.yaml"] + examples)
    func schema(path: String) throws {
        var json = try Self.bytes(path)
        if !path.hasSuffix(".json") {
            json = CanonicalJSON.encode(try YAMLSubset.parse(json).0)
        }
        let problems = try SchemaValidation.validate(json, schema: "retention-policy")
        #expect(problems == nil, "\(path): \(problems ?? "")")
    }

    @Test("the schema rejects what the loader rejects for its structure", arguments: [
        #"{"format":"auditq-retention-policy","version":1,"name":"t","personal_data":["a"],"categories":[{"name":"o","retention":"1y","legal_basis":"x","on_erasure":"erase","colour":1}]}"#,
        #"{"format":"auditq-retention-policy","version":1,"name":"t","personal_data":["a..b"],"categories":[{"name":"o","retention":"1y","legal_basis":"x","on_erasure":"erase"}]}"#,
        #"{"format":"auditq-retention-policy","version":1,"name":"t","personal_data":["a"],"categories":[{"name":"o","retention":"7 years","legal_basis":"x","on_erasure":"erase"}]}"#,
        #"{"format":"auditq-retention-policy","version":1,"name":"t","personal_data":["a"],"categories":[{"name":"o","match":{"actions":["a[b]"]},"retention":"1y","legal_basis":"x","on_erasure":"erase"}]}"#,
        #"{"format":"auditq-retention-policy","version":1,"name":"t","personal_data":["a"],"categories":[{"name":"o","retention":"1y","legal_basis":"x","on_erasure":"erase"}],"holds":[{"reason":"r"}]}"#,
        #"{"format":"auditq-retention-policy","version":1,"name":"t","personal_data":["a"],"categories":[{"name":"o","retention":"1y","legal_basis":"x","on_erasure":"erase"}],"holds":[{"customer":"c","reason":"r","until":"30 June"}]}"#,
    ])
    func schemaRejects(json: String) throws {
        #expect(try SchemaValidation.validate(json, schema: "retention-policy") != nil)
        #expect(throws: PolicyError.self) { try RetentionPolicy(json: Array(json.utf8), source: "t.json") }
    }

    @Test("a file is read as YAML or JSON by its name, else by its first character")
    func formats() throws {
        let directory = TemporaryDirectory()
        let json = try Self.bytes("retention/examples/with-holds.json")
        let yaml = try Self.bytes("retention/examples/strict-minimal.yaml")
        for (name, bytes) in [("p.json", json), ("p.YML", yaml), ("policy", json), ("policy.conf", yaml)] {
            try Data(bytes).write(to: URL(fileURLWithPath: directory.child(name)))
            let policy = try RetentionPolicy(contentsOfFile: directory.child(name))
            #expect(policy.source == directory.child(name))
            #expect(policy.sha256 == SHA256.hash(bytes))
        }
    }

    @Test("a missing file, a directory and a file over 1 MiB are rejected naming the file")
    func unreadable() throws {
        let directory = TemporaryDirectory()
        let missing = try #require(throws: PolicyError.self) { try RetentionPolicy(contentsOfFile: directory.child("none.yaml")) }
        #expect(missing.code == .unreadableFile)
        #expect(missing.description.hasPrefix(directory.child("none.yaml") + ": cannot read the policy: "))
        let folder = try #require(throws: PolicyError.self) { try RetentionPolicy(contentsOfFile: directory.path) }
        #expect(folder.code == .unreadableFile)
        var large = Array("format: auditq-retention-policy\n".utf8)
        large += [UInt8](repeating: UInt8(ascii: "#"), count: RetentionPolicy.maximumFileBytes)
        try Data(large).write(to: URL(fileURLWithPath: directory.child("large.yaml")))
        let tooLarge = try #require(throws: PolicyError.self) { try RetentionPolicy(contentsOfFile: directory.child("large.yaml")) }
        #expect(tooLarge.code == .invalidValue)
        #expect(tooLarge.description == "\(directory.child("large.yaml")): the policy is over 1 MiB; is this the right file?")
    }
}

@Suite("Retention policy rules")
struct PolicyRuleTests {
    static func event(_ members: [String: JSONValue]) -> JSONObject {
        var object = JSONObject()
        for (key, value) in members { object[key] = value }
        return object
    }

    @Test("the first matching category wins: auditq's records, then legal records at any level, then debug noise", arguments: [
        (["action": "payment.capture", "level": "debug"], "ledger"),
        (["action": "settlement.report", "level": "trace"], "ledger"),
        (["action": "kyc.check", "level": "debug"], "kyc"),
        (["action": "auditq.store.recovered", "source": "auditq", "level": "warning"], "auditq"),
        (["action": "auditq.events.dropped", "source": "payments-api", "level": "debug"], "auditq"),
        (["action": "profile.updated", "level": "DEBUG"], "debug"),
        (["action": "profile.updated", "level": "info"], "profile"),
        (["action": "customer.updated"], "profile"),
        (["action": "customer.created"], "other"),
        (["action": "auth.login", "level": "info"], "access"),
        (["action": "payments.capture"], "other"),
        (["action": "payment"], "other"),
        (["level": "info"], "other"),
        (["action": .number(1), "level": .bool(true)], "other"),
    ] as [([String: JSONValue], String)])
    func defaultCategories(members: [String: JSONValue], expected: String) {
        #expect(RetentionPolicy.default.category(for: Self.event(members)).name == expected)
    }

    @Test("categories can match on source and level together", arguments: [
        (["source": "ledger-ng", "action": "health.ping"], "health-checks"),
        (["source": "ledger-ng", "action": "payment.capture"], "ledger"),
        (["source": "ledger-", "action": "x"], "ledger"),
        (["source": "ledger", "action": "x"], "other"),
        (["source": "payments-api", "action": "payment.capture", "level": "Error"], "api-incidents"),
        (["source": "payments-api", "action": "payment.capture", "level": "info"], "other"),
        (["action": "payment.capture", "level": "error"], "other"),
    ] as [([String: JSONValue], String)])
    func sourceCategories(members: [String: JSONValue], expected: String) throws {
        let path = SchemaValidation.root.appendingPathComponent("retention/examples/by-service.yaml").path
        #expect(try RetentionPolicy(contentsOfFile: path).category(for: Self.event(members)).name == expected)
    }

    @Test("globs: * is any run (dots included, or none), ? one character, everything else itself and case-sensitive", arguments: [
        ("payment.*", "payment.capture", true),
        ("payment.*", "payment.", true),
        ("payment.*", "payment", false),
        ("payment.*", "Payment.capture", false),
        ("*.created", "customer.card.created", true),
        ("*.created", "created", false),
        ("pay?ent.*", "payment.x", true),
        ("pay?ent.*", "payent.x", false),
        ("a*b*c", "a-b-b-c", true),
        ("a*b*c", "a-b-b-", false),
        ("*", "", true),
        ("é?", "éü", true),
        ("é?", "é", false),
        ("refund.create", "refund.create", true),
        ("refund.create", "refund.created", false),
    ])
    func globs(pattern: String, action: String, matches: Bool) {
        let category = Category(name: "c", actions: [pattern], retention: nil, legalBasis: "x", onErasure: .erase)
        #expect(category.matches(action: action, source: nil, level: nil) == matches)
    }

    @Test("a condition on a member the event lacks does not hold; no conditions match everything")
    func absentMembers() {
        let bySource = Category(name: "c", sources: ["*"], retention: nil, legalBasis: "x", onErasure: .erase)
        #expect(!bySource.matches(action: "a", source: nil, level: nil))
        #expect(bySource.matches(action: nil, source: "", level: nil))
        let catchAll = RetentionPolicy.Category(name: "all", retention: nil, legalBasis: "x", onErasure: .erase)
        #expect(catchAll.isCatchAll)
        #expect(catchAll.matches(action: nil, source: nil, level: nil))
        let byLevel = Category(name: "l", levels: ["Debug"], retention: nil, legalBasis: "x", onErasure: .erase)
        #expect(byLevel.matches(action: nil, source: nil, level: "DEBUG"))
        #expect(!byLevel.matches(action: nil, source: nil, level: "debugging"))
    }

    static func ts(_ text: String) -> Timestamp { Timestamp(rfc3339: text)! }

    @Test("periods parse from a count and a unit, and print back the same", arguments: ["30d", "6w", "18mo", "7y", "1d", "36525d", "5218w", "1200mo", "100y"])
    func periodRoundTrip(text: String) throws {
        #expect(try #require(RetentionPeriod(text)).description == text)
    }

    @Test("anything else is not a period", arguments: ["", "7", "y", "0d", "07y", "-1d", "+1d", "1.5y", "7 years", "7Y", "7yr", "7m", "101y", "36526d", "5219w", "1201mo", "99999999999d", "forever"])
    func notPeriods(text: String) {
        #expect(RetentionPeriod(text) == nil)
    }

    @Test("calendar arithmetic: month ends clamp, leap years, weeks and days are exact, the time of day is kept", arguments: [
        ("2024-01-31T10:20:30.123456Z", "1mo", "2024-02-29T10:20:30.123456Z"),
        ("2023-01-31T10:20:30.123456Z", "1mo", "2023-02-28T10:20:30.123456Z"),
        ("2024-03-31T00:00:00Z", "18mo", "2025-09-30T00:00:00.000000Z"),
        ("2024-12-15T23:59:59.999999Z", "1mo", "2025-01-15T23:59:59.999999Z"),
        ("2024-02-29T12:00:00Z", "1y", "2025-02-28T12:00:00.000000Z"),
        ("2024-02-29T12:00:00Z", "4y", "2028-02-29T12:00:00.000000Z"),
        ("2020-02-29T08:00:00Z", "7y", "2027-02-28T08:00:00.000000Z"),
        ("2100-01-29T00:00:00Z", "1mo", "2100-02-28T00:00:00.000000Z"),
        ("2000-01-29T00:00:00Z", "1mo", "2000-02-29T00:00:00.000000Z"),
        ("2024-02-20T06:30:00Z", "6w", "2024-04-02T06:30:00.000000Z"),
        ("2024-02-01T00:00:00Z", "30d", "2024-03-02T00:00:00.000000Z"),
        ("2023-02-01T00:00:00Z", "30d", "2023-03-03T00:00:00.000000Z"),
        ("1969-12-31T23:00:00Z", "1mo", "1970-01-31T23:00:00.000000Z"),
        ("9999-06-01T00:00:00Z", "1y", "9999-12-31T23:59:59.999999Z"),
        ("9999-12-01T00:00:00Z", "100y", "9999-12-31T23:59:59.999999Z"),
        ("9999-12-30T00:00:00Z", "36525d", "9999-12-31T23:59:59.999999Z"),
    ])
    func arithmetic(start: String, period: String, expected: String) throws {
        let period = try #require(RetentionPeriod(period))
        #expect(period.added(to: Self.ts(start)).description == expected)
    }

    @Test("a category's expiry is its retention after ts, or nil when kept forever")
    func expiry() {
        let start = Self.ts("2026-11-20T14:03:07.12Z")
        let ledger = RetentionPolicy.default.category(for: PolicyRuleTests.event(["action": "payment.capture"]))
        #expect(ledger.expiry(of: start)?.description == "2033-11-20T14:03:07.120000Z")
        let forever = Category(name: "f", retention: nil, legalBasis: "x", onErasure: .keepUntilExpiry)
        #expect(forever.expiry(of: start) == nil)
    }

    @Test("holds are active until their end (a date holds through that day, UTC), by customer or by transaction")
    func holds() throws {
        let path = SchemaValidation.root.appendingPathComponent("retention/examples/with-holds.json").path
        let policy = try RetentionPolicy(contentsOfFile: path)
        #expect(policy.holds.map(\.id) == ["dispute-2291", "cbn-request-2026-114", "hold-3"])
        #expect(policy.holds[0].until == Self.ts("2027-07-01T00:00:00Z"))
        #expect(policy.holds[1].until == nil)
        func active(_ customer: String?, _ transaction: String?, _ now: String) -> [String] {
            policy.activeHolds(customer: customer, transaction: transaction, at: Self.ts(now)).map(\.id)
        }
        let now = "2026-11-20T14:03:07Z"
        #expect(active("CUS_9NEIM0OZP2", nil, now) == ["dispute-2291"])
        #expect(active(nil, "txn_UUN9APxcM1xfkXymrIM0", now) == ["dispute-2291"])
        #expect(active("CUS_OTHER", "txn_UUN9APxcM1xfkXymrIM0", now) == ["dispute-2291"])
        #expect(active("CUS_9NEIM0OZP2", nil, "2027-06-30T23:59:59.999999Z") == ["dispute-2291"])
        #expect(active("CUS_9NEIM0OZP2", nil, "2027-07-01T00:00:00Z") == [])
        #expect(active("CUS_7RS172VAQO", "txn_tHqsiEr1cE6hGlmSLvk0", now) == ["cbn-request-2026-114", "hold-3"])
        #expect(active("CUS_7RS172VAQO", "txn_tHqsiEr1cE6hGlmSLvk0", "2026-12-31T17:00:00Z") == ["cbn-request-2026-114"])
        #expect(active("CUS_7RS172VAQO", nil, "9999-12-31T23:59:59Z") == ["cbn-request-2026-114"])
        #expect(active("CUS_NONE", "txn_none", now) == [])
        #expect(active(nil, nil, now) == [])
    }
}

@Suite("Retention policy errors")
struct PolicyErrorTests {
    /// A valid policy; each case below changes it to break one thing on a known line.
    static let base = """
        format: auditq-retention-policy
        version: 1
        name: test
        personal_data: [customer_code, metadata.email]
        categories:
          - name: ledger
            match:
              actions: ["payment.*"]
            retention: 7y
            legal_basis: "AML record-keeping"
            on_erasure: keep
          - name: other
            retention: 1y
            legal_basis: "Support"
            on_erasure: erase
        holds:
          - id: dispute-1
            customer: CUS_1
            reason: "Dispute"
            until: 2027-06-30

        """

    static func edited(_ old: String, _ new: String) -> [UInt8] {
        precondition(base.contains(old), old)
        return Array(base.replacingOccurrences(of: old, with: new).utf8)
    }

    @Test("the base policy is valid")
    func base() throws {
        let policy = try RetentionPolicy(yaml: Array(Self.base.utf8), source: "test.yaml")
        #expect(policy.personalData == ["customer_code", "metadata.email"])
        #expect(policy.holds == [Hold(id: "dispute-1", customer: "CUS_1", reason: "Dispute", until: Timestamp(rfc3339: "2027-07-01T00:00:00Z"))])
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        var code: PolicyError.Code
        var line: Int
        var field: String?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "unknown member", bytes: edited("    retention: 7y\n", "    retention: 7y\n    retension: 1y\n"), code: .unknownMember, line: 10, field: "categories[0].retension"),
        Case(name: "unknown top-level member", bytes: edited("categories:", "categoris:"), code: .unknownMember, line: 5, field: "categoris"),
        Case(name: "wrong type: a string for a list", bytes: edited(#"actions: ["payment.*"]"#, "actions: payment.*"), code: .invalidValue, line: 8, field: "categories[0].match.actions"),
        Case(name: "wrong type: a number for a string", bytes: edited("customer: CUS_1", "customer: 12345"), code: .invalidValue, line: 18, field: "holds[0].customer"),
        Case(name: "bad period", bytes: edited("retention: 7y", "retention: 7 years"), code: .invalidValue, line: 9, field: "categories[0].retention"),
        Case(name: "period over 100 years", bytes: edited("retention: 7y", "retention: 101y"), code: .invalidValue, line: 9, field: "categories[0].retention"),
        Case(name: "missing legal_basis", bytes: edited("    legal_basis: \"AML record-keeping\"\n", ""), code: .missingMember, line: 6, field: "categories[0].legal_basis"),
        Case(name: "blank legal_basis", bytes: edited("\"AML record-keeping\"", "\"  \""), code: .invalidValue, line: 10, field: "categories[0].legal_basis"),
        Case(name: "bad on_erasure", bytes: edited("on_erasure: keep", "on_erasure: delete"), code: .invalidValue, line: 11, field: "categories[0].on_erasure"),
        Case(name: "duplicate category name", bytes: edited("  - name: other", "  - name: ledger"), code: .invalidValue, line: 12, field: "categories[1].name"),
        Case(name: "bad category name", bytes: edited("  - name: other", "  - name: other stuff"), code: .invalidValue, line: 12, field: "categories[1].name"),
        Case(name: "no catch-all", bytes: edited("  - name: other\n", "  - name: other\n    match:\n      levels: [info]\n"), code: .invalidValue, line: 5, field: "categories"),
        Case(name: "catch-all not last", bytes: edited("holds:", "  - name: late\n    retention: 1d\n    legal_basis: x\n    on_erasure: erase\nholds:"), code: .invalidValue, line: 16, field: "categories[2]"),
        Case(name: "empty match", bytes: edited("    match:\n      actions: [\"payment.*\"]\n", "    match: {}\n"), code: .invalidValue, line: 7, field: "categories[0].match"),
        Case(name: "empty list", bytes: edited(#"actions: ["payment.*"]"#, "actions: []"), code: .invalidValue, line: 8, field: "categories[0].match.actions"),
        Case(name: "invalid glob", bytes: edited(#""payment.*""#, #""payment.[ab]*""#), code: .invalidValue, line: 8, field: "categories[0].match.actions[0]"),
        Case(name: "wildcard in a level", bytes: edited(#"actions: ["payment.*"]"#, "levels: [deb*]"), code: .invalidValue, line: 8, field: "categories[0].match.levels[0]"),
        Case(name: "bad personal_data path", bytes: edited("metadata.email]", "metadata..email]"), code: .invalidValue, line: 4, field: "personal_data[1]"),
        Case(name: "duplicate personal_data path", bytes: edited("metadata.email]", "customer_code]"), code: .invalidValue, line: 4, field: "personal_data[1]"),
        Case(name: "invalid UTF-8", bytes: edited("Support", "Supp\u{FFFD}rt").replacingUTF8(of: "\u{FFFD}", with: [0xC3, 0x28]), code: .invalidYAML, line: 14, field: nil),
        Case(name: "tab indentation", bytes: edited("    retention: 7y", "\tretention: 7y"), code: .invalidYAML, line: 9, field: nil),
        Case(name: "wrong version", bytes: edited("version: 1", "version: 2"), code: .invalidValue, line: 2, field: "version"),
        Case(name: "wrong format name", bytes: edited("format: auditq-retention-policy", "format: auditq-redaction-rules"), code: .invalidValue, line: 1, field: "format"),
        Case(name: "no format", bytes: edited("format: auditq-retention-policy\n", ""), code: .missingMember, line: 1, field: "format"),
        Case(name: "hold without customer or transaction", bytes: edited("    customer: CUS_1\n", ""), code: .missingMember, line: 17, field: "holds[0]"),
        Case(name: "hold without reason", bytes: edited("    reason: \"Dispute\"\n", ""), code: .missingMember, line: 17, field: "holds[0].reason"),
        Case(name: "bad until date", bytes: edited("until: 2027-06-30", "until: 2027-02-30"), code: .invalidValue, line: 20, field: "holds[0].until"),
        Case(name: "until without a time zone", bytes: edited("until: 2027-06-30", "until: 2027-06-30T12:00:00"), code: .invalidValue, line: 20, field: "holds[0].until"),
        Case(name: "duplicate hold id", bytes: edited("holds:\n", "holds:\n  - id: dispute-1\n    transaction: t\n    reason: r\n"), code: .invalidValue, line: 20, field: "holds[1].id"),
        Case(name: "YAML anchors", bytes: edited("customer: CUS_1", "customer: &c CUS_1"), code: .invalidYAML, line: 18, field: nil),
        Case(name: "not a mapping", bytes: Array("- a\n- b\n".utf8), code: .invalidValue, line: 1, field: nil),
    ]

    @Test("bad files are rejected naming the file, the line and the member", arguments: cases)
    func rejected(_ bad: Case) throws {
        let error = try #require(throws: PolicyError.self) { try RetentionPolicy(yaml: bad.bytes, source: "test.yaml") }
        #expect(error.code == bad.code, "\(error)")
        #expect(error.line == bad.line, "\(error)")
        #expect(error.field == bad.field, "\(error)")
        #expect(error.source == "test.yaml")
        #expect(error.description.hasPrefix("test.yaml:\(bad.line): \(bad.field.map { "\($0): " } ?? "")"), "\(error)")
        #expect(error == PolicyError(code: bad.code, message: "other text", source: "other"))
    }

    @Test("messages say what is wrong and what to write instead")
    func messages() throws {
        func message(_ bytes: [UInt8]) throws -> String {
            try #require(throws: PolicyError.self) { try RetentionPolicy(yaml: bytes, source: "retention/default.yaml") }.description
        }
        #expect(try message(Self.edited("retention: 7y", "retention: 7 years"))
            == "retention/default.yaml:9: categories[0].retention: '7 years' is not a period; use a number and d, w, mo or y (e.g. 7y), or forever")
        #expect(try message(Self.edited("  - name: other\n", "  - name: other\n    match:\n      levels: [info]\n"))
            == "retention/default.yaml:5: categories: no catch-all category: end the list with a category that has no 'match', so every event has a retention period")
        #expect(try message(Self.edited("customer: CUS_1", "customer: 12345"))
            == "retention/default.yaml:18: holds[0].customer: must be a string, found number (put it in quotes)")
        #expect(try message(Self.edited("    retention: 7y\n", "    retention: 7y\n    retension: 1y\n"))
            == "retention/default.yaml:10: categories[0].retension: unknown member; expected one of name, match, retention, legal_basis, on_erasure")
        #expect(try message(Self.edited("until: 2027-06-30", "until: 2027-02-30"))
            == "retention/default.yaml:20: holds[0].until: '2027-02-30' is not a date (YYYY-MM-DD) or an RFC 3339 date-time: day 30 does not exist in 2027-2")
    }

    @Test("JSON policies report lines too")
    func json() throws {
        let text = """
            {
              "format": "auditq-retention-policy",
              "version": 1,
              "name": "t",
              "personal_data": ["customer_code"],
              "categories": [
                {"name": "other", "retention": "1y", "legal_basis": "x", "on_erasure": "erase",
                 "colour": "blue"}
              ]
            }
            """
        let unknown = try #require(throws: PolicyError.self) { try RetentionPolicy(json: Array(text.utf8), source: "p.json") }
        #expect(unknown.code == .unknownMember)
        #expect(unknown.line == 8)
        #expect(unknown.field == "categories[0].colour")
        let invalid = try #require(throws: PolicyError.self) { try RetentionPolicy(json: Array("{\n  \"format\": \n}".utf8), source: "p.json") }
        #expect(invalid.code == .invalidJSON)
        #expect(invalid.line == 3)
    }
}

extension Array where Element == UInt8 {
    /// The bytes with every occurrence of a character's UTF-8 encoding replaced, to plant invalid UTF-8.
    fileprivate func replacingUTF8(of character: Character, with replacement: [UInt8]) -> [UInt8] {
        let needle = Array(String(character).utf8)
        var out: [UInt8] = []
        var i = 0
        while i < count {
            if i + needle.count <= count, Array(self[i..<(i + needle.count)]) == needle {
                out += replacement
                i += needle.count
            } else {
                out.append(self[i])
                i += 1
            }
        }
        return out
    }
}

@Suite("docs/retention.md")
struct PolicyDocumentationTests {
    @Test("the YAML and JSON examples in docs/retention.md load and describe the same policy")
    func examples() throws {
        let text = try String(contentsOf: SchemaValidation.root.appendingPathComponent("docs/retention.md"), encoding: .utf8)
        let yaml = try #require(text.components(separatedBy: "```yaml\n").dropFirst().first?.components(separatedBy: "```").first)
        let json = try #require(text.components(separatedBy: "```json\n").dropFirst().first?.components(separatedBy: "```").first)
        let fromYAML = try RetentionPolicy(yaml: Array(yaml.utf8), source: "docs/retention.md (YAML)")
        let fromJSON = try RetentionPolicy(json: Array(json.utf8), source: "docs/retention.md (JSON)")
        #expect(fromYAML.name == fromJSON.name)
        #expect(fromYAML.personalData == fromJSON.personalData)
        #expect(fromYAML.categories == fromJSON.categories)
        #expect(fromYAML.holds == fromJSON.holds)
        #expect(fromYAML.holds.count == 1)
    }

    @Test("the default policy table in docs/retention.md matches retention/default.yaml")
    func defaultTable() throws {
        let text = try String(contentsOf: SchemaValidation.root.appendingPathComponent("docs/retention.md"), encoding: .utf8)
        for category in RetentionPolicy.default.categories {
            let period = category.retention?.description ?? "forever"
            let erasure = category.onErasure == .erase ? "erase" : "keep"
            let row = text.split(separator: "\n").first { $0.hasPrefix("| `\(category.name)` |") }
            #expect(row?.hasSuffix("| \(period) | \(erasure) |") == true, "docs/retention.md: no row for \(category.name) with \(period), \(erasure)")
        }
    }
}
