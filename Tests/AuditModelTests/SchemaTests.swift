import Foundation
import Testing

/// Validates the JSON examples in `docs/` against `schemas/` with an independent JSON Schema
/// 2020-12 implementation (Python's `jsonschema`), so the docs, the schemas and the code agree.
@Suite("Schemas and documented examples")
struct SchemaTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

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

    /// Runs Python's jsonschema; returns nil when valid, else the error text.
    static func validate(_ json: String, schema: String) throws -> String? {
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            errors = list(jsonschema.Draft202012Validator(schema).iter_errors(json.loads(sys.stdin.read())))
            print("\\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors))
            sys.exit(1 if errors else 0)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, root.appendingPathComponent("schemas/\(schema).schema.json").path]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(json.utf8))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return process.terminationStatus == 0 ? nil : text
    }

    @Test("every documented example validates against its schema")
    func documentedExamplesValidate() throws {
        let examples = try Self.documentedExamples()
        #expect(examples.count >= 4)
        for example in examples {
            let problem = try Self.validate(example.json, schema: example.schema)
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
            #expect(try Self.validate(bad, schema: "event") != nil, "\(bad)")
        }
    }
}
