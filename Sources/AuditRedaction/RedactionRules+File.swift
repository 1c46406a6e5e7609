import AuditModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension RedactionRules {
    /// Reads a rules file (schemas/redaction-rules.schema.json) and merges it onto the defaults:
    /// YAML when the name ends in `.yaml` or `.yml`, JSON otherwise.
    /// - Throws: ``RedactionRulesError`` naming the file, line and member.
    public init(contentsOfFile path: String) throws {
        guard let file = fopen(path, "rb") else {
            throw RedactionRulesError(
                code: .unreadableFile, message: "cannot open the rules file (errno \(errno)); check the path and permissions", source: path
            )
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if count > 0 { bytes.append(contentsOf: chunk[0..<count]) }
            if count < chunk.count {
                if ferror(file) != 0 {
                    throw RedactionRulesError(code: .unreadableFile, message: "read error (errno \(errno))", source: path)
                }
                break
            }
            if bytes.count > 4 << 20 {
                throw RedactionRulesError(code: .invalidValue, message: "rules file is over 4 MiB; is this the right file?", source: path)
            }
        }
        if path.hasSuffix(".yaml") || path.hasSuffix(".yml") {
            try self.init(yaml: bytes, source: path)
        } else {
            try self.init(json: bytes, source: path)
        }
    }

    /// Parses a rules document written in YAML (the subset described in docs/redaction.md) and
    /// merges it onto the defaults.
    /// - Throws: ``RedactionRulesError`` naming `source`, the line and the member.
    public init(yaml: [UInt8], source: String) throws {
        let document: JSONValue
        let lines: [String: Int]
        do {
            (document, lines) = try YAMLSubset.parse(yaml)
        } catch {
            throw RedactionRulesError(code: .invalidYAML, message: error.message, source: source, line: error.line)
        }
        var reader = Reader(source: source, lines: lines)
        self = try reader.read(document)
    }

    /// Parses a rules document and merges it onto the defaults.
    /// - Parameters:
    ///   - json: the document's bytes.
    ///   - source: a name for error messages, usually the file path.
    /// - Throws: ``RedactionRulesError`` naming `source`, the line and the member.
    public init(json: [UInt8], source: String) throws {
        let document: JSONValue
        do {
            document = try JSONParser().parse(json)
        } catch {
            throw RedactionRulesError(code: .invalidJSON, message: error.message, source: source, line: error.line)
        }
        var reader = Reader(source: source, lines: JSONLineLocator.lines(of: json))
        self = try reader.read(document)
    }

    /// Turns a parsed rules document into rules, with errors that point into the file.
    private struct Reader {
        let source: String
        let lines: [String: Int]

        func error(_ code: RedactionRulesError.Code, _ field: String, _ message: String) -> RedactionRulesError {
            RedactionRulesError(code: code, message: message, source: source, line: lines[field], field: field)
        }

        mutating func read(_ document: JSONValue) throws -> RedactionRules {
            guard case .object(let root) = document else {
                throw RedactionRulesError(code: .invalidValue, message: "the document must be a JSON object", source: source, line: 1)
            }
            var rules = RedactionRules.default
            for member in root {
                switch member.key {
                case "$schema", "description":
                    _ = try string(member.value, member.key)
                case "version":
                    guard member.value.integerValue == 1 else { throw error(.invalidValue, "version", "only version 1 is defined") }
                case "fieldNames":
                    for (i, entry) in try array(member.value, "fieldNames").enumerated() {
                        try readFieldNames(entry, "fieldNames[\(i)]", into: &rules)
                    }
                case "keepFieldNames":
                    for (i, name) in try array(member.value, "keepFieldNames").enumerated() {
                        rules.keepFieldNames.append(try string(name, "keepFieldNames[\(i)]"))
                    }
                case "patterns":
                    for (i, entry) in try array(member.value, "patterns").enumerated() {
                        rules.shapes.append(try readPattern(entry, "patterns[\(i)]"))
                    }
                case "limits":
                    try readLimits(member.value, into: &rules)
                case "disable":
                    break
                default:
                    throw error(
                        .unknownMember, member.key,
                        "unknown member; expected one of version, disable, fieldNames, keepFieldNames, patterns, limits"
                    )
                }
            }
            // Disabling last lets a file both extend and disable the same default rule.
            if let disable = root["disable"] {
                for (i, name) in try array(disable, "disable").enumerated() {
                    let field = "disable[\(i)]"
                    let rule = try string(name, field)
                    guard rules.disable(rule) else {
                        throw error(.unknownRule, field, "no rule is named '\(rule)'; the rule names are listed in docs/redaction.md")
                    }
                }
            }
            return rules
        }

        func readFieldNames(_ value: JSONValue, _ path: String, into rules: inout RedactionRules) throws {
            let object = try self.object(value, path, allowed: ["rule", "names", "match", "anyInlineValue"])
            let rule = try ruleName(object["rule"], "\(path).rule")
            guard let namesValue = object["names"] else { throw error(.invalidValue, path, "'names' is required") }
            var names: [String] = []
            for (i, name) in try array(namesValue, "\(path).names").enumerated() {
                let text = try string(name, "\(path).names[\(i)]")
                guard !FieldNameMatcher.normalize(text).isEmpty else {
                    throw error(.invalidValue, "\(path).names[\(i)]", "a name needs at least one letter or digit")
                }
                names.append(text)
            }
            var contains = false
            if let match = object["match"] {
                switch try string(match, "\(path).match") {
                case "exact": contains = false
                case "contains": contains = true
                default: throw error(.invalidValue, "\(path).match", "must be \"exact\" or \"contains\"")
                }
            }
            if contains, let short = names.first(where: { FieldNameMatcher.normalize($0).count < 3 }) {
                throw error(.invalidValue, "\(path).names", "'\(short)' is too short to match by 'contains'; use 'exact'")
            }
            rules.addFieldNames(rule: rule, exact: contains ? [] : names, contains: contains ? names : [])
            if let any = object["anyInlineValue"] {
                guard case .bool(let flag) = any else { throw error(.invalidValue, "\(path).anyInlineValue", "must be true or false") }
                if let i = rules.fieldRules.firstIndex(where: { $0.name == rule }) { rules.fieldRules[i].redactsAnyInlineValue = flag }
            }
        }

        func readPattern(_ value: JSONValue, _ path: String) throws -> TokenShape {
            let object = try self.object(value, path, allowed: ["rule", "prefix", "charset", "minLength", "maxLength", "caseInsensitive"])
            let rule = try ruleName(object["rule"], "\(path).rule")
            guard let prefixValue = object["prefix"] else { throw error(.invalidValue, path, "'prefix' is required") }
            let prefix = try string(prefixValue, "\(path).prefix")
            let bytes = Array(prefix.utf8)
            guard let first = bytes.first, ByteClass.is(first, .alnum), bytes.count <= 64,
                bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
            else {
                throw error(.invalidValue, "\(path).prefix", "must be 1 to 64 printable ASCII characters starting with a letter or digit")
            }
            var charset = TokenShape.Charset.token
            if let value = object["charset"] {
                let name = try string(value, "\(path).charset")
                guard let parsed = TokenShape.Charset(rawValue: name) else {
                    let known = TokenShape.Charset.allCases.map(\.rawValue).joined(separator: ", ")
                    throw error(.invalidValue, "\(path).charset", "unknown charset '\(name)'; expected one of \(known)")
                }
                charset = parsed
            }
            let minLength = try integer(object["minLength"], "\(path).minLength", default: 8, in: 1...4096)
            let maxLength = try integer(object["maxLength"], "\(path).maxLength", default: 4096, in: minLength...4096)
            guard bytes.count + minLength >= 8 else {
                throw error(.invalidValue, "\(path).minLength", "prefix plus minLength must be at least 8 characters, or common words would match")
            }
            var caseInsensitive = false
            if let value = object["caseInsensitive"] {
                guard case .bool(let flag) = value else { throw error(.invalidValue, "\(path).caseInsensitive", "must be true or false") }
                caseInsensitive = flag
            }
            return TokenShape(
                rule: rule, prefix: caseInsensitive ? prefix.lowercased() : prefix, charset: charset, minLength: minLength,
                maxLength: maxLength, caseInsensitive: caseInsensitive
            )
        }

        func readLimits(_ value: JSONValue, into rules: inout RedactionRules) throws {
            let object = try self.object(value, "limits", allowed: ["maxStringBytes", "maxDepth"])
            rules.limits.maxStringBytes = try integer(
                object["maxStringBytes"], "limits.maxStringBytes", default: rules.limits.maxStringBytes, in: 1024...(64 << 20)
            )
            rules.limits.maxDepth = try integer(object["maxDepth"], "limits.maxDepth", default: rules.limits.maxDepth, in: 1...256)
        }

        // MARK: Typed access

        func object(_ value: JSONValue, _ path: String, allowed: Set<String>) throws -> JSONObject {
            guard case .object(let object) = value else { throw error(.invalidValue, path, "must be an object, found \(value.typeName)") }
            for key in object.keys where !allowed.contains(key) {
                throw error(.unknownMember, "\(path).\(key)", "unknown member; expected one of \(allowed.sorted().joined(separator: ", "))")
            }
            return object
        }

        func array(_ value: JSONValue, _ path: String) throws -> [JSONValue] {
            guard case .array(let array) = value else { throw error(.invalidValue, path, "must be an array, found \(value.typeName)") }
            return array
        }

        func string(_ value: JSONValue, _ path: String) throws -> String {
            guard case .string(let string) = value else { throw error(.invalidValue, path, "must be a string, found \(value.typeName)") }
            return string
        }

        func integer(_ value: JSONValue?, _ path: String, default fallback: Int, in range: ClosedRange<Int>) throws -> Int {
            guard let value else { return fallback }
            guard let integer = value.integerValue, range.contains(Int(integer)) else {
                throw error(.invalidValue, path, "must be an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            return Int(integer)
        }

        func ruleName(_ value: JSONValue?, _ path: String) throws -> String {
            guard let value else { throw error(.invalidValue, path, "'rule' is required") }
            let name = try string(value, path)
            let valid = (1...64).contains(name.utf8.count)
                && name.utf8.allSatisfy { ByteClass.is($0, [.lower, .digit]) || $0 == UInt8(ascii: "-") }
                && name.utf8.first != UInt8(ascii: "-")
            guard valid else {
                throw error(.invalidRuleName, path, "'\(name)' is not a rule name: use lowercase letters, digits and hyphens (it appears in markers)")
            }
            guard name != Redactor.unprocessableRule, name != Redactor.declaredSensitiveRule else {
                throw error(.invalidRuleName, path, "'\(name)' is reserved")
            }
            return name
        }
    }
}
