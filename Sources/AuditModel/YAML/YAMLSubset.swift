/// The subset of YAML that auditq's configuration files (redaction rules, retention policies) need,
/// read into the same `JSONValue` as their JSON form, with the line of every member for error
/// messages.
///
/// Supported: block mappings and sequences (including `- key: value` items), plain, single- and
/// double-quoted scalars, `[a, b]` flow sequences of scalars, `{}`/`[]`, integers, `true`/`false`,
/// `null`/`~`, comments and a leading `---`. Anything else (anchors, aliases, tags, multi-line
/// scalars, flow mappings with content, several documents) is an error naming the line, rather
/// than a guess: a misread rules file would silently weaken redaction, and a misread retention
/// policy would keep or erase the wrong records.
package enum YAMLSubset {
    package struct Failure: Error {
        package var line: Int
        package var message: String
    }

    private struct Line {
        var number: Int
        var indent: Int
        var text: Substring
    }

    /// The document and the line of each member path (`patterns[2].prefix`).
    package static func parse(_ bytes: [UInt8]) throws(Failure) -> (JSONValue, [String: Int]) {
        guard let source = String(validating: bytes, as: UTF8.self) else {
            // A line feed is never part of a multi-byte sequence, so lines can be checked one by one.
            let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
            let bad = lines.firstIndex { String(validating: $0, as: UTF8.self) == nil } ?? 0
            throw Failure(line: bad + 1, message: "the file is not valid UTF-8; save it as UTF-8")
        }
        var lines: [Line] = []
        for (i, raw) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var text = raw
            if text.last == "\r" { text = text.dropLast() }
            text = try stripComment(text, line: i + 1)
            while text.last == " " { text = text.dropLast() }
            let indent = text.prefix { $0 == " " }.count
            if text.dropFirst(indent).first == "\t" { throw Failure(line: i + 1, message: "tabs cannot indent YAML; use spaces") }
            text = text.dropFirst(indent)
            if text.isEmpty { continue }
            if lines.isEmpty, text == "---" { continue }
            if text == "---" || text == "..." { throw Failure(line: i + 1, message: "only one YAML document is supported") }
            lines.append(Line(number: i + 1, indent: indent, text: text))
        }
        var parser = Parser(lines: lines)
        guard !lines.isEmpty else { return (.object(JSONObject()), [:]) }
        let value = try parser.block(indent: lines[0].indent, path: "")
        if parser.index < lines.count {
            throw Failure(line: lines[parser.index].number, message: "unexpected indentation")
        }
        return (value, parser.paths)
    }

    private static func stripComment(_ text: Substring, line: Int) throws(Failure) -> Substring {
        var quote: Character?
        var previous: Character = " "
        for index in text.indices {
            let c = text[index]
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "#", previous == " " || previous == "\t" || index == text.startIndex {
                return text[..<index]
            }
            previous = c
        }
        return text
    }

    private struct Parser {
        let lines: [Line]
        var index = 0
        var paths: [String: Int] = [:]

        init(lines: [Line]) {
            self.lines = lines
        }

        mutating func block(indent: Int, path: String) throws(Failure) -> JSONValue {
            let line = lines[index]
            if line.text == "-" || line.text.hasPrefix("- ") {
                return try sequence(indent: indent, path: path)
            }
            return try mapping(indent: indent, path: path, first: nil)
        }

        mutating func sequence(indent: Int, path: String) throws(Failure) -> JSONValue {
            var items: [JSONValue] = []
            while index < lines.count, lines[index].indent == indent, lines[index].text == "-" || lines[index].text.hasPrefix("- ") {
                let line = lines[index]
                let itemPath = "\(path)[\(items.count)]"
                paths[itemPath] = line.number
                let rest = line.text.dropFirst().drop { $0 == " " }
                if rest.isEmpty {
                    index += 1
                    guard index < lines.count, lines[index].indent > indent else {
                        items.append(.null)
                        continue
                    }
                    items.append(try block(indent: lines[index].indent, path: itemPath))
                } else if Self.keyValueSplit(rest) != nil {
                    // `- key: value` opens a mapping whose keys line up with `key`.
                    let column = indent + (line.text.count - rest.count)
                    items.append(try mapping(indent: column, path: itemPath, first: Line(number: line.number, indent: column, text: rest)))
                } else {
                    items.append(try scalarOrFlow(rest, line: line.number))
                    index += 1
                }
            }
            return .array(items)
        }

        /// A block mapping at `indent`; `first` is its first line when it began after a `- `.
        mutating func mapping(indent: Int, path: String, first: Line?) throws(Failure) -> JSONValue {
            var object = JSONObject()
            var pending = first
            while true {
                let line: Line
                if let first = pending {
                    line = first
                    pending = nil
                } else {
                    guard index < lines.count, lines[index].indent == indent else { break }
                    line = lines[index]
                    if line.text == "-" || line.text.hasPrefix("- ") { break }
                }
                guard let (rawKey, rawValue) = Self.keyValueSplit(line.text) else {
                    throw Failure(line: line.number, message: "expected 'key: value'")
                }
                let key = try Self.keyText(rawKey, line: line.number)
                guard object[key] == nil else { throw Failure(line: line.number, message: "duplicate key '\(key.prefix(64))'") }
                let memberPath = path.isEmpty ? key : "\(path).\(key)"
                paths[memberPath] = line.number
                index += 1
                if rawValue.isEmpty {
                    if index < lines.count, lines[index].indent > indent {
                        object[key] = try block(indent: lines[index].indent, path: memberPath)
                    } else if index < lines.count, lines[index].indent == indent, lines[index].text == "-" || lines[index].text.hasPrefix("- ") {
                        object[key] = try sequence(indent: indent, path: memberPath)
                    } else {
                        object[key] = .null
                    }
                } else {
                    object[key] = try scalarOrFlow(rawValue, line: line.number)
                }
            }
            return .object(object)
        }

        /// Splits `key: value` at the first `:` followed by a space or the end, outside quotes.
        static func keyValueSplit(_ text: Substring) -> (Substring, Substring)? {
            guard let first = text.first, first != "[", first != "{" else { return nil }
            var quote: Character?
            var index = text.startIndex
            while index < text.endIndex {
                let c = text[index]
                if let q = quote {
                    if c == q { quote = nil }
                } else if c == "\"" || c == "'" {
                    quote = c
                } else if c == ":" {
                    let next = text.index(after: index)
                    if next == text.endIndex || text[next] == " " {
                        return (text[..<index], text[next...].drop { $0 == " " })
                    }
                }
                index = text.index(after: index)
            }
            return nil
        }

        static func keyText(_ raw: Substring, line: Int) throws(Failure) -> String {
            let trimmed = raw.drop { $0 == " " }
            if trimmed.first == "\"" || trimmed.first == "'" {
                guard case .string(let s) = try quoted(trimmed, line: line) else { throw Failure(line: line, message: "invalid key") }
                return s
            }
            return String(trimmed)
        }

        func scalarOrFlow(_ text: Substring, line: Int) throws(Failure) -> JSONValue {
            if text == "[]" { return .array([]) }
            if text == "{}" { return .object(JSONObject()) }
            if text.first == "[" {
                guard text.last == "]" else { throw Failure(line: line, message: "a flow sequence must end on its line with ']'") }
                var items: [JSONValue] = []
                var current = ""
                var quote: Character?
                var sawAny = false
                for c in text.dropFirst().dropLast() {
                    if let q = quote {
                        current.append(c)
                        if c == q { quote = nil }
                    } else if c == "\"" || c == "'" {
                        quote = c
                        current.append(c)
                    } else if c == "," {
                        items.append(try Self.scalar(Substring(current), line: line))
                        current = ""
                        sawAny = true
                    } else {
                        current.append(c)
                    }
                }
                let last = current.trimmingSpaces()
                if !last.isEmpty || sawAny { items.append(try Self.scalar(Substring(current), line: line)) }
                return .array(items)
            }
            if text.first == "{" { throw Failure(line: line, message: "flow mappings are not supported; use an indented block") }
            return try Self.scalar(text, line: line)
        }

        static func scalar(_ raw: Substring, line: Int) throws(Failure) -> JSONValue {
            let text = Substring(String(raw).trimmingSpaces())
            guard let first = text.first else { throw Failure(line: line, message: "empty item") }
            if first == "\"" || first == "'" { return try quoted(text, line: line) }
            if "&*!|>%@`".contains(first) {
                throw Failure(line: line, message: "YAML feature '\(first)' is not supported; quote the value if it is text")
            }
            switch text {
            case "true", "True", "TRUE": return .bool(true)
            case "false", "False", "FALSE": return .bool(false)
            case "null", "Null", "NULL", "~": return .null
            default: break
            }
            let digits = text.first == "-" ? text.dropFirst() : text
            if !digits.isEmpty, digits.count <= 15, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(text) {
                return .number(Double(value))
            }
            return .string(String(text))
        }

        static func quoted(_ text: Substring, line: Int) throws(Failure) -> JSONValue {
            let quote = text.first!
            guard text.count >= 2, text.last == quote else { throw Failure(line: line, message: "unterminated quoted string") }
            let body = text.dropFirst().dropLast()
            if quote == "'" { return .string(body.replacingDoubledQuotes()) }
            // Double quotes: the JSON escapes, read by the JSON parser.
            do {
                return try JSONParser().parse("\"" + String(body) + "\"")
            } catch {
                throw Failure(line: line, message: "invalid escape in a double-quoted string")
            }
        }
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}

extension Substring {
    fileprivate func replacingDoubledQuotes() -> String {
        var out = ""
        var previousQuote = false
        for c in self {
            if c == "'" {
                if previousQuote {
                    previousQuote = false
                    continue
                }
                previousQuote = true
            } else {
                previousQuote = false
            }
            out.append(c)
        }
        return out
    }
}
