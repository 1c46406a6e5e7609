import AuditTestSupport
import Foundation
import Testing

/// Validates the JSON examples in `docs/` against `schemas/` with an independent JSON Schema
/// 2020-12 implementation (Python's `jsonschema`), so the docs, the schemas and the code agree.
@Suite("Schemas and documented examples")
struct SchemaTests {
    static let root = SchemaValidation.root

    /// `(schema name, example JSON)` for every ```json block preceded by `<!-- schema: NAME -->`.
    static func documentedExamples() throws -> [(schema: String, json: String, file: String)] {
        let docs = root.appendingPathComponent("docs")
        var examples: [(String, String, String)] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: docs.path) where name.hasSuffix(".md") {
            let lines = try String(contentsOf: docs.appendingPathComponent(name), encoding: .utf8).components(separatedBy: "\n")
            var i = 0
            while i < lines.count {
                let line = lines[i].trimmingCharacters(in: .whitespaces)
                if line.hasPrefix("<!-- schema:"), line.hasSuffix("-->") {
                    let schema = line.dropFirst("<!-- schema:".count).dropLast(3).trimmingCharacters(in: .whitespaces)
                    var j = i + 1
                    while j < lines.count, !lines[j].hasPrefix("```json") { j += 1 }
                    var body: [String] = []
                    j += 1
                    while j < lines.count, !lines[j].hasPrefix("```") {
                        body.append(lines[j])
                        j += 1
                    }
                    examples.append((schema, body.joined(separator: "\n"), name))
                    i = j
                }
                i += 1
            }
        }
        return examples
    }

    @Test("every documented example validates against its schema")
    func documentedExamplesValidate() throws {
        let examples = try Self.documentedExamples()
        #expect(examples.count >= 4)
        for example in examples {
            let problem = try SchemaValidation.validate(example.json, schema: example.schema)
            #expect(problem == nil, "\(example.file) (\(example.schema)): \(problem ?? "")")
        }
    }

    @Test("the event schema rejects what validation rejects")
    func schemaRejects() throws {
        for bad in [
            #"{"action":"a"}"#,
            #"{"ts":"2026-11-20T10:00:00Z","action":"a","http":{"status":"200"}}"#,
            #"{"ts":"2026-11-20","action":"a"}"#,
            #"{"ts":"2026-11-20T10:00:00Z","action":"a","request_id":7}"#,
        ] {
            #expect(try SchemaValidation.validate(bad, schema: "event") != nil, "\(bad)")
        }
    }
}
