/// The 1-based line of every member and element of a JSON text, by path (`patterns[2].prefix`).
///
/// The parser does not keep positions, and configuration files (redaction rules, retention
/// policies) are small, so a second light pass over already-validated text finds them for error
/// messages. The paths are those ``YAMLSubset/parse(_:)`` reports for the same document in YAML.
package enum JSONLineLocator {
    package static func lines(of bytes: [UInt8]) -> [String: Int] {
        var result: [String: Int] = [:]
        var index = 0
        var line = 1
        bytes.withUnsafeBufferPointer { text in
            skip(text, &index, &line)
            value(text, &index, &line, path: "", into: &result)
        }
        return result
    }

    private static func skip(_ text: UnsafeBufferPointer<UInt8>, _ index: inout Int, _ line: inout Int) {
        while index < text.count, isSpace(text[index]) {
            if text[index] == 0x0A { line += 1 }
            index += 1
        }
    }

    private static func value(_ text: UnsafeBufferPointer<UInt8>, _ index: inout Int, _ line: inout Int, path: String, into result: inout [String: Int]) {
        guard index < text.count else { return }
        switch text[index] {
        case UInt8(ascii: "{"):
            index += 1
            while index < text.count {
                skip(text, &index, &line)
                guard index < text.count, text[index] == UInt8(ascii: "\"") else {
                    index += 1
                    if index > 0, text[index - 1] == UInt8(ascii: "}") { return }
                    continue
                }
                let keyLine = line
                let key = string(text, &index)
                let memberPath = path.isEmpty ? key : "\(path).\(key)"
                result[memberPath] = keyLine
                skip(text, &index, &line)
                index += 1  // ':'
                skip(text, &index, &line)
                value(text, &index, &line, path: memberPath, into: &result)
                skip(text, &index, &line)
                if index < text.count, text[index] == UInt8(ascii: "}") {
                    index += 1
                    return
                }
                index += 1  // ','
            }
        case UInt8(ascii: "["):
            index += 1
            var i = 0
            while index < text.count {
                skip(text, &index, &line)
                if index < text.count, text[index] == UInt8(ascii: "]") {
                    index += 1
                    return
                }
                let elementPath = "\(path)[\(i)]"
                result[elementPath] = line
                value(text, &index, &line, path: elementPath, into: &result)
                skip(text, &index, &line)
                if index < text.count, text[index] == UInt8(ascii: "]") {
                    index += 1
                    return
                }
                index += 1  // ','
                i += 1
            }
        case UInt8(ascii: "\""):
            _ = string(text, &index)
        default:
            while index < text.count, !isSpace(text[index]), text[index] != UInt8(ascii: ","),
                text[index] != UInt8(ascii: "}"), text[index] != UInt8(ascii: "]")
            {
                index += 1
            }
        }
    }

    /// Reads a string literal (no newlines can occur inside one in valid JSON).
    private static func string(_ text: UnsafeBufferPointer<UInt8>, _ index: inout Int) -> String {
        index += 1
        let start = index
        while index < text.count, text[index] != UInt8(ascii: "\"") {
            if text[index] == UInt8(ascii: "\\") { index += 1 }
            index += 1
        }
        let raw = String(decoding: UnsafeBufferPointer(rebasing: text[start..<min(index, text.count)]), as: UTF8.self)
        index += 1
        return raw
    }

    /// JSON's insignificant white space: space, tab, line feed, carriage return.
    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}
