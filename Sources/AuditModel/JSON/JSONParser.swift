/// A strict RFC 8259 parser for one JSON text, with the I-JSON limits the store relies on.
///
/// Strict because an audit store must not guess: invalid UTF-8, duplicate keys, integers that a
/// double cannot hold exactly, trailing data and nesting deeper than ``Limits/maxDepth`` are errors
/// that name the byte offset (and line and column), never silent repairs.
public struct JSONParser: Sendable {
    /// Bounds that keep hostile input from exhausting memory or the stack.
    public struct Limits: Sendable, Hashable {
        /// Deepest nesting of arrays and objects accepted.
        public var maxDepth: Int
        /// Largest input, in bytes.
        public var maxBytes: Int

        public init(maxDepth: Int = 64, maxBytes: Int = 16 << 20) {
            self.maxDepth = maxDepth
            self.maxBytes = maxBytes
        }
    }

    public var limits: Limits

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Parses one JSON text; surrounding whitespace is allowed, anything else after the value is not.
    public func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONParseError) -> JSONValue {
        guard bytes.count <= limits.maxBytes else {
            throw JSONParseError(.tooLarge, "input is \(bytes.count) bytes, over the limit of \(limits.maxBytes)", offset: 0, in: bytes)
        }
        var reader = Reader(bytes: bytes.bindMemory(to: UInt8.self), maxDepth: limits.maxDepth)
        reader.skipWhitespace()
        let value = try reader.parseValue(depth: 0)
        reader.skipWhitespace()
        if reader.index != reader.bytes.count {
            throw reader.error(.trailingData, "unexpected data after the JSON value")
        }
        return value
    }

    public func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        try bytes.withUnsafeBytes { buffer in Result { () throws(JSONParseError) in try parse(buffer) } }.get()
    }

    public func parse(_ string: String) throws(JSONParseError) -> JSONValue {
        var string = string
        return try string.withUTF8 { buffer in
            Result { () throws(JSONParseError) in try parse(UnsafeRawBufferPointer(buffer)) }
        }.get()
    }
}

extension JSONParser {
    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        let maxDepth: Int
        var index = 0

        init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
            self.bytes = bytes
            self.maxDepth = maxDepth
        }

        func error(_ code: JSONParseError.Code, _ message: String, at offset: Int? = nil) -> JSONParseError {
            JSONParseError(code, message, offset: offset ?? index, in: UnsafeRawBufferPointer(bytes))
        }

        @inline(__always)
        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x0A, 0x0D, 0x09: index += 1
                default: return
                }
            }
        }

        mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
            guard index < bytes.count else { throw error(.unexpectedEnd, "unexpected end of input, expected a value") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return .object(try parseObject(depth: depth + 1))
            case UInt8(ascii: "["): return .array(try parseArray(depth: depth + 1))
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
            case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
            case UInt8(ascii: "n"): try expectLiteral("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
            default:
                throw error(.unexpectedCharacter, "unexpected \(describe(bytes[index])), expected a value")
            }
        }

        mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
            let count = literal.utf8CodeUnitCount
            guard index + count <= bytes.count else { throw error(.unexpectedEnd, "unexpected end of input in literal") }
            let start = literal.utf8Start
            for i in 0..<count where bytes[index + i] != start[i] {
                throw error(.unexpectedCharacter, "invalid literal, expected '\(literal)'")
            }
            index += count
        }

        mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONObject {
            guard depth <= maxDepth else { throw error(.tooDeep, "nesting deeper than \(maxDepth) levels") }
            let objectStart = index
            index += 1
            var members: [JSONObject.Member] = []
            members.reserveCapacity(16)
            // Raw byte ranges of the member names, for ordering without touching the Strings (nil when
            // a name had escapes, so its bytes are not its UTF-8).
            var rawKeys: [Range<Int>?] = []
            rawKeys.reserveCapacity(16)
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return JSONObject()
            }
            var sorted = true
            while true {
                skipWhitespace()
                guard index < bytes.count else { throw error(.unexpectedEnd, "unexpected end of input in object") }
                guard bytes[index] == UInt8(ascii: "\"") else {
                    throw error(.unexpectedCharacter, "unexpected \(describe(bytes[index])), expected a member name")
                }
                let keyOffset = index
                let key = try parseString()
                let raw = (keyOffset + 1)..<(index - 1)
                let rawKey: Range<Int>? = raw.count == key.utf8.count ? raw : nil
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                    throw error(.unexpectedCharacter, "expected ':' after member name \"\(key.prefix(64))\"")
                }
                index += 1
                skipWhitespace()
                let value = try parseValue(depth: depth)
                if let last = members.last, sorted, !precedes(last.key, rawKeys[rawKeys.count - 1], key, rawKey) {
                    sorted = false
                    if last.key == key {
                        throw error(.duplicateKey, "duplicate member name \"\(key.prefix(64))\"", at: keyOffset)
                    }
                }
                members.append(JSONObject.Member(key: key, value: value))
                rawKeys.append(rawKey)
                skipWhitespace()
                guard index < bytes.count else { throw error(.unexpectedEnd, "unexpected end of input in object") }
                switch bytes[index] {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "}"):
                    index += 1
                    if !sorted {
                        // Sorting first keeps duplicate detection O(n log n) for hostile, huge objects.
                        // Sort positions by the names' raw bytes (no String retains per comparison).
                        var order = Array(members.indices)
                        order.sort { precedes(members[$0].key, rawKeys[$0], members[$1].key, rawKeys[$1]) }
                        members = order.map { members[$0] }
                        for (a, b) in zip(members, members.dropFirst()) where a.key == b.key {
                            throw error(.duplicateKey, "duplicate member name \"\(a.key.prefix(64))\" in the object", at: objectStart)
                        }
                    }
                    return JSONObject(sortedUniqueMembers: members)
                default:
                    throw error(.unexpectedCharacter, "unexpected \(describe(bytes[index])), expected ',' or '}'")
                }
            }
        }

        /// RFC 8785 order of two member names, from their raw bytes when both are unescaped.
        @inline(__always)
        func precedes(_ a: String, _ rawA: Range<Int>?, _ b: String, _ rawB: Range<Int>?) -> Bool {
            guard let rawA, let rawB else { return JSONObject.precedes(a, b) }
            let n = Swift.min(rawA.count, rawB.count)
            var i = 0
            while i < n {
                let x = bytes[rawA.lowerBound + i]
                let y = bytes[rawB.lowerBound + i]
                if x != y {
                    // Below 0x80 byte order is UTF-16 order; past it, compare as UTF-16.
                    return x < 0x80 && y < 0x80 ? x < y : JSONObject.precedes(a, b)
                }
                i += 1
            }
            return rawA.count < rawB.count
        }

        mutating func parseArray(depth: Int) throws(JSONParseError) -> [JSONValue] {
            guard depth <= maxDepth else { throw error(.tooDeep, "nesting deeper than \(maxDepth) levels") }
            index += 1
            var elements: [JSONValue] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return elements
            }
            while true {
                skipWhitespace()
                elements.append(try parseValue(depth: depth))
                skipWhitespace()
                guard index < bytes.count else { throw error(.unexpectedEnd, "unexpected end of input in array") }
                switch bytes[index] {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "]"):
                    index += 1
                    return elements
                default:
                    throw error(.unexpectedCharacter, "unexpected \(describe(bytes[index])), expected ',' or ']'")
                }
            }
        }

        mutating func parseString() throws(JSONParseError) -> String {
            let start = index
            index += 1
            let contentStart = index
            // Fast path: no escapes. Validate UTF-8 once over the whole run (ASCII needs no validation).
            var ascii = true
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let run = UnsafeBufferPointer(rebasing: bytes[contentStart..<index])
                    index += 1
                    if ascii { return String(decoding: run, as: UTF8.self) }
                    guard let string = String(validating: run, as: UTF8.self) else {
                        throw error(.invalidUTF8, "string is not valid UTF-8", at: firstInvalidUTF8(in: contentStart..<(index - 1)))
                    }
                    return string
                }
                if byte == UInt8(ascii: "\\") { break }
                if byte < 0x20 { throw error(.controlCharacter, "unescaped control character in string") }
                if byte >= 0x80 { ascii = false }
                index += 1
            }
            guard index < bytes.count else { throw error(.unexpectedEnd, "unterminated string", at: start) }
            // Slow path: escapes present.
            var buffer: [UInt8] = Array(bytes[contentStart..<index])
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    guard let string = String(validating: buffer, as: UTF8.self) else {
                        throw error(.invalidUTF8, "string is not valid UTF-8", at: firstInvalidUTF8(in: contentStart..<(index - 1)))
                    }
                    return string
                case UInt8(ascii: "\\"):
                    index += 1
                    guard index < bytes.count else { throw error(.unexpectedEnd, "unterminated escape") }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""): buffer.append(0x22)
                    case UInt8(ascii: "\\"): buffer.append(0x5C)
                    case UInt8(ascii: "/"): buffer.append(0x2F)
                    case UInt8(ascii: "b"): buffer.append(0x08)
                    case UInt8(ascii: "f"): buffer.append(0x0C)
                    case UInt8(ascii: "n"): buffer.append(0x0A)
                    case UInt8(ascii: "r"): buffer.append(0x0D)
                    case UInt8(ascii: "t"): buffer.append(0x09)
                    case UInt8(ascii: "u"):
                        var scalar = try parseHex4()
                        if (0xD800...0xDBFF).contains(scalar) {
                            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                                throw error(.invalidEscape, "unpaired UTF-16 high surrogate in \\u escape")
                            }
                            index += 2
                            let low = try parseHex4()
                            guard (0xDC00...0xDFFF).contains(low) else {
                                throw error(.invalidEscape, "invalid UTF-16 low surrogate in \\u escape")
                            }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else if (0xDC00...0xDFFF).contains(scalar) {
                            throw error(.invalidEscape, "unpaired UTF-16 low surrogate in \\u escape")
                        }
                        appendUTF8(scalar, to: &buffer)
                    default:
                        throw error(.invalidEscape, "invalid escape '\\\(describe(escape))'", at: index - 2)
                    }
                default:
                    if byte < 0x20 { throw error(.controlCharacter, "unescaped control character in string") }
                    buffer.append(byte)
                    index += 1
                }
            }
            throw error(.unexpectedEnd, "unterminated string", at: start)
        }

        mutating func parseHex4() throws(JSONParseError) -> UInt32 {
            guard index + 4 <= bytes.count else { throw error(.unexpectedEnd, "unterminated \\u escape") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[index]
                let digit: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
                default: throw error(.invalidEscape, "invalid hex digit in \\u escape")
                }
                value = value << 4 | digit
                index += 1
            }
            return value
        }

        func appendUTF8(_ scalar: UInt32, to buffer: inout [UInt8]) {
            switch scalar {
            case 0..<0x80:
                buffer.append(UInt8(scalar))
            case 0x80..<0x800:
                buffer.append(UInt8(0xC0 | (scalar >> 6)))
                buffer.append(UInt8(0x80 | (scalar & 0x3F)))
            case 0x800..<0x10000:
                buffer.append(UInt8(0xE0 | (scalar >> 12)))
                buffer.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
                buffer.append(UInt8(0x80 | (scalar & 0x3F)))
            default:
                buffer.append(UInt8(0xF0 | (scalar >> 18)))
                buffer.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
                buffer.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
                buffer.append(UInt8(0x80 | (scalar & 0x3F)))
            }
        }

        /// The offset of the first byte that breaks UTF-8 in a range, for the error message.
        func firstInvalidUTF8(in range: Range<Int>) -> Int {
            var i = range.lowerBound
            while i < range.upperBound {
                let valid = (1...4).first { length in
                    i + length <= range.upperBound
                        && String(validating: UnsafeBufferPointer(rebasing: bytes[i..<(i + length)]), as: UTF8.self) != nil
                }
                guard let length = valid else { return i }
                i += length
            }
            return range.lowerBound
        }

        mutating func parseNumber() throws(JSONParseError) -> Double {
            let start = index
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count else { throw error(.unexpectedEnd, "unexpected end of input in number") }
            var isInteger = true
            var integerDigits = 0
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
                integerDigits = 1
                if index < bytes.count, isDigit(bytes[index]) {
                    throw error(.invalidNumber, "leading zeros are not allowed in numbers", at: start)
                }
            } else {
                guard isDigit(bytes[index]) else { throw error(.invalidNumber, "invalid number", at: start) }
                while index < bytes.count, isDigit(bytes[index]) {
                    index += 1
                    integerDigits += 1
                }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                isInteger = false
                index += 1
                guard index < bytes.count, isDigit(bytes[index]) else {
                    throw error(.invalidNumber, "a decimal point must be followed by digits", at: start)
                }
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                isInteger = false
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard index < bytes.count, isDigit(bytes[index]) else {
                    throw error(.invalidNumber, "an exponent must have digits", at: start)
                }
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            let text = UnsafeBufferPointer(rebasing: bytes[start..<index])
            if isInteger && integerDigits <= 15 {
                var value: Int64 = 0
                for byte in text where byte != UInt8(ascii: "-") { value = value * 10 + Int64(byte - UInt8(ascii: "0")) }
                return text[0] == UInt8(ascii: "-") ? (value == 0 ? -0.0 : -Double(value)) : Double(value)
            }
            // Safe: the bytes are ASCII digits and signs checked above.
            let string = String(decoding: text, as: UTF8.self)
            guard let value = Double(string), value.isFinite else {
                throw error(.invalidNumber, "number \(string.prefix(40)) is out of range", at: start)
            }
            if isInteger && abs(value) > 9_007_199_254_740_992 {
                throw error(
                    .unsafeInteger,
                    "integer \(string.prefix(40)) cannot be represented exactly (I-JSON limit ±2^53); send it as a string",
                    at: start
                )
            }
            return value
        }

        @inline(__always)
        func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

        func describe(_ byte: UInt8) -> String {
            if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
            return "byte 0x" + String(byte, radix: 16, uppercase: true)
        }
    }
}
