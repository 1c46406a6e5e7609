import AuditModel
import AuditRedaction
import Foundation
import Testing

/// Recall (secrets removed) and keep rate (identifiers and prose kept) over the labelled corpora
/// in `Corpus/`. `train.jsonl` is what the rules were tuned on; `heldout.jsonl` was written
/// separately, with other phrasings and providers, to check that the rules generalise.
@Suite("Redaction corpus")
struct CorpusTests {
    struct Case {
        var line: Int
        var category: String
        var event: JSONObject
        var secrets: [String]
        var keep: [String]
    }

    struct Score: CustomStringConvertible {
        var secrets = 0
        var removed = 0
        var keeps = 0
        var kept = 0
        var misses: [String] = []

        var recall: Double { secrets == 0 ? 1 : Double(removed) / Double(secrets) }
        var keepRate: Double { keeps == 0 ? 1 : Double(kept) / Double(keeps) }
        var description: String {
            "recall \(removed)/\(secrets) = \(String(format: "%.4f", recall)), keep rate \(kept)/\(keeps) = \(String(format: "%.4f", keepRate))"
        }
    }

    static func load(_ name: String) throws -> [Case] {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "jsonl", subdirectory: "Corpus"))
        let text = try String(contentsOf: url, encoding: .utf8)
        var cases: [Case] = []
        for (i, line) in text.split(separator: "\n").enumerated() {
            let value = try JSONParser().parse(String(line))
            guard case .object(let event)? = value[path: "event"] else {
                Issue.record("line \(i + 1): no event")
                continue
            }
            cases.append(
                Case(
                    line: i + 1, category: value[path: "category"]?.stringValue ?? "?", event: event,
                    secrets: value[path: "secrets"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                    keep: value[path: "keep"]?.arrayValue?.compactMap(\.stringValue) ?? []
                )
            )
        }
        return cases
    }

    static func score(_ cases: [Case], redactor: Redactor = Redactor()) -> Score {
        var score = Score()
        for item in cases {
            let before = CanonicalJSON.string(.object(item.event))
            var event = item.event
            _ = redactor.redact(&event)
            let after = CanonicalJSON.string(.object(event))
            for secret in item.secrets {
                // A case whose secret is not in its own event is a broken case, not a success.
                guard before.contains(secret) else {
                    Issue.record("line \(item.line) (\(item.category)): secret not present in the event")
                    continue
                }
                score.secrets += 1
                if after.contains(secret) {
                    score.misses.append("line \(item.line) \(item.category): secret kept: \(after)")
                } else {
                    score.removed += 1
                }
            }
            for keep in item.keep {
                guard before.contains(keep) else {
                    Issue.record("line \(item.line) (\(item.category)): keep string not present in the event")
                    continue
                }
                score.keeps += 1
                if after.contains(keep) {
                    score.kept += 1
                } else {
                    score.misses.append("line \(item.line) \(item.category): lost \(keep): \(after)")
                }
            }
        }
        return score
    }

    @Test("corpus recall and keep rate are at least 0.99", arguments: ["train", "heldout"])
    func corpus(_ name: String) throws {
        let cases = try Self.load(name)
        #expect(cases.count >= 300, "each corpus has at least 300 cases")
        let score = Self.score(cases)
        print("corpus \(name): \(cases.count) cases, \(score)")
        for miss in score.misses { print("  \(miss)") }
        #expect(score.recall >= 0.99, "\(name): \(score)")
        #expect(score.keepRate >= 0.99, "\(name): \(score)")
    }

    /// `blind.jsonl` was written after tuning and run once without changing the rules; its
    /// first-run figures are in docs/redaction.md. It is reported here and held to the same bar.
    @Test("blind corpus recall and keep rate (reported)")
    func blind() throws {
        let cases = try Self.load("blind")
        let score = Self.score(cases)
        print("corpus blind: \(cases.count) cases, \(score)")
        for miss in score.misses { print("  \(miss)") }
        #expect(score.recall >= 0.99, "blind: \(score)")
        #expect(score.keepRate >= 0.99, "blind: \(score)")
    }

    @Test("every category of the issue is covered by both corpora")
    func categories() throws {
        for name in ["train", "heldout"] {
            let categories = Set(try Self.load(name).map(\.category))
            for required in [
                "field-password", "field-secret", "field-api-key", "field-token", "field-authorization", "field-cookie",
                "field-private-key", "field-pin", "field-cvv", "field-otp", "field-card", "field-signature", "field-db-password",
                "headers-list", "headers-string", "bearer", "basic", "jwt", "pem", "url-credentials", "url-query",
                "connection-string", "card-in-text", "cvv-near-card", "generic-label", "url-encoded", "u-escaped", "xml",
                "keep-uuid", "keep-idempotency", "keep-sha256", "keep-amounts", "keep-public-key", "keep-prose", "keep-field-names",
            ] {
                #expect(categories.contains(required), "\(name) lacks \(required)")
            }
        }
    }
}
