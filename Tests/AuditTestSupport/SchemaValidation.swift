import Foundation

/// Validates JSON against `schemas/NAME.schema.json` with an independent JSON Schema 2020-12
/// implementation (Python's `jsonschema`; `scripts/setup.sh` installs it).
public enum SchemaValidation {
    /// The repository root.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// nil when `json` is valid, else the validator's messages.
    public static func validate(_ json: [UInt8], schema: String) throws -> String? {
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
        input.fileHandleForWriting.write(Data(json))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return process.terminationStatus == 0 ? nil : text
    }

    public static func validate(_ json: String, schema: String) throws -> String? {
        try validate(Array(json.utf8), schema: schema)
    }
}
