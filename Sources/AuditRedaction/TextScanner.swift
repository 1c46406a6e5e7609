/// Finds the byte ranges of secrets inside one string.
///
/// One pass over the UTF-8 bytes. Most bytes only cost a table lookup: checks run at the start
/// of a token (provider prefixes, `eyJ`, `Bearer`, digit runs) and at a few structural bytes
/// (`:`, `=`, `>` after a label; `://` before credentials; `-----BEGIN`). Strings that contain
/// escapes (`%3D`, `\u0022`, `\"`, `&quot;`) are also scanned in decoded form, and what is found
/// there is mapped back onto the raw bytes (see ``DecodedText``).
///
/// The scanner only reports spans; ``Redactor`` replaces them with markers.
struct TextScanner {
    /// A secret at `start..<end` found by rule `rule` (an index into ``CompiledRules/ruleNames``).
    struct Span: Hashable {
        var start: Int
        var end: Int
        var rule: Int
    }

    let rules: CompiledRules
    let text: UnsafeBufferPointer<UInt8>
    var spans: [Span] = []
    /// Whether the text holds escapes worth decoding and scanning again.
    var wantsDecoding = false

    init(rules: CompiledRules, text: UnsafeBufferPointer<UInt8>) {
        self.rules = rules
        self.text = text
    }

    /// The secrets in a string's bytes: those in the raw text and, for text holding escapes, those
    /// found with one layer of escapes undone (up to three layers), mapped back onto raw spans.
    /// Unsorted; spans may overlap.
    static func spans(in text: UnsafeBufferPointer<UInt8>, rules: CompiledRules) -> [Span] {
        var scanner = TextScanner(rules: rules, text: text)
        scanner.scan()
        var spans = scanner.spans
        if scanner.wantsDecoding { scanDecoded(text, rules: rules, into: &spans, level: 1) }
        return spans
    }

    private static func scanDecoded(_ text: UnsafeBufferPointer<UInt8>, rules: CompiledRules, into spans: inout [Span], level: Int) {
        guard let decoded = DecodedText.decode(text) else { return }
        decoded.bytes.withUnsafeBufferPointer { bytes in
            var scanner = TextScanner(rules: rules, text: bytes)
            scanner.scan()
            var inner = scanner.spans
            if scanner.wantsDecoding, level < 3 { scanDecoded(bytes, rules: rules, into: &inner, level: level + 1) }
            for span in inner {
                let raw = decoded.rawRange(span.start, span.end)
                spans.append(Span(start: raw.start, end: raw.end, rule: span.rule))
            }
        }
    }

    mutating func scan() {
        let n = text.count
        let table = ByteClass.table
        var i = 0
        while i < n {
            let classes = table[Int(text[i])]
            if classes & ByteClass.alnum.rawValue != 0 {
                i = word(at: i)
            } else if classes & ByteClass.trigger.rawValue != 0 {
                i = trigger(at: i)
            } else {
                i += 1
            }
        }
    }

    @inline(__always)
    mutating func add(_ start: Int, _ end: Int, _ rule: Int) {
        guard rule >= 0, end > start else { return }
        spans.append(Span(start: start, end: end, rule: rule))
    }

    // MARK: Tokens

    /// Checks a token starting at `start` (an ASCII letter or digit after a non-word byte) and
    /// returns where scanning continues.
    private mutating func word(at start: Int) -> Int {
        let n = text.count
        let first = text[start]
        var c = Int(rules.shapeStart[Int(first)])
        let last = Int(rules.shapeStart[Int(first) + 1])
        if c < last {
            while c < last {
                let k = Int(rules.shapeOrder[c])
                c += 1
                if let end = rules.matchShape(k, in: text, at: start), end == n || !ByteClass.is(text[end], .alnum) {
                    add(start, end, Int(rules.shapes[k].rule))
                    return end
                }
            }
        }
        switch first {
        case UInt8(ascii: "e"):
            if rules.jwt >= 0, let end = jwt(at: start) {
                add(start, end, rules.jwt)
                return end
            }
        case UInt8(ascii: "B"), UInt8(ascii: "b"):
            if let end = authorizationScheme(at: start) { return end }
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            if let end = digits(at: start) { return end }
        default:
            break
        }
        var j = start + 1
        while j < n, ByteClass.is(text[j], .word) { j += 1 }
        // A generated-looking token after a label and linking words: `X-Api-Key to 9f8e…`,
        // `secret is AbC123…` (labels with `:`/`=` are handled at the separator).
        if start >= 2, text[start - 1] == UInt8(ascii: " "), j - start >= 12 {
            let end = tokenRun(from: start)
            if end - start >= 16, Self.looksRandom(UnsafeBufferPointer(rebasing: text[start..<end])), let rule = labelBeforeWord(at: start) {
                add(start, end, rule)
                return end
            }
        }
        // An AWS secret is 40 base64 characters: only a word of 40, or one continued by `/` or `+`.
        if rules.awsSecret >= 0, j - start == 40 || (j < n && j - start < 40 && (text[j] == UInt8(ascii: "/") || text[j] == UInt8(ascii: "+"))),
            let end = unlabeledAWSSecret(at: start)
        {
            add(start, end, rules.awsSecret)
            return end
        }
        return j
    }

    /// `eyJ<header>.<payload>.<signature>`: a JWT (JWS; JWE has two more segments).
    private func jwt(at start: Int) -> Int? {
        guard ByteClass.matches(text, at: start, "eyJ") else { return nil }
        let header = base64URLRun(from: start)
        guard header - start >= 10, header < text.count, text[header] == UInt8(ascii: ".") else { return nil }
        let payload = base64URLRun(from: header + 1)
        guard payload - header - 1 >= 2, payload < text.count, text[payload] == UInt8(ascii: ".") else { return nil }
        var end = base64URLRun(from: payload + 1)
        var segments = 3
        while segments < 5, end + 1 < text.count, text[end] == UInt8(ascii: "."), ByteClass.is(text[end + 1], .word) {
            end = base64URLRun(from: end + 1)
            segments += 1
        }
        return end
    }

    private func base64URLRun(from start: Int) -> Int {
        var i = start
        while i < text.count, ByteClass.is(text[i], .word) || text[i] == UInt8(ascii: "-") { i += 1 }
        return i
    }

    /// `Bearer <token>` and `Basic <base64>` anywhere in a string.
    private mutating func authorizationScheme(at start: Int) -> Int? {
        let isBearer = ByteClass.matchesLowercase(text, at: start, "bearer")
        let isBasic = !isBearer && ByteClass.matchesLowercase(text, at: start, "basic")
        guard isBearer || isBasic else { return nil }
        let rule = isBearer ? rules.bearer : rules.basic
        guard rule >= 0 else { return nil }
        var t = start + (isBearer ? 6 : 5)
        guard t < text.count, text[t] == UInt8(ascii: " ") || text[t] == UInt8(ascii: ":") || text[t] == UInt8(ascii: "=") else { return nil }
        var skipped = 0
        while t < text.count, skipped < 4, text[t] == UInt8(ascii: " ") || text[t] == UInt8(ascii: ":") || text[t] == UInt8(ascii: "=") {
            t += 1
            skipped += 1
        }
        let tokenStart = t
        let tokenEnd = tokenRun(from: t)
        guard isCredential(tokenStart, tokenEnd, basic: isBasic) else { return nil }
        add(tokenStart, tokenEnd, rule)
        return tokenEnd
    }

    /// The end of a run of token bytes (`A-Z a-z 0-9 _ - . ~ + / =`), without a trailing `.`.
    func tokenRun(from start: Int) -> Int {
        var i = start
        while i < text.count, ByteClass.is(text[i], .token) { i += 1 }
        while i > start, text[i - 1] == UInt8(ascii: ".") { i -= 1 }
        return i
    }

    /// Whether `start..<end` after `Bearer`/`Basic` is a credential rather than a word of prose.
    private func isCredential(_ start: Int, _ end: Int, basic: Bool) -> Bool {
        let length = end - start
        guard length >= 8 else { return false }
        let value = UnsafeBufferPointer(rebasing: text[start..<end])
        if basic, Base64.decodedContainsColon(value) { return true }
        return !Self.isPlainWord(value)
    }

    /// Forty base64 characters with upper, lower and digits: the shape of an AWS secret access key,
    /// which has no prefix.
    private func unlabeledAWSSecret(at start: Int) -> Int? {
        if start > 0 {
            let before = text[start - 1]
            if ByteClass.is(before, .token) { return nil }
        }
        var i = start
        var upper = 0, lower = 0, digits = 0, slashes = 0
        let limit = min(text.count, start + 41)
        while i < limit {
            let byte = text[i]
            let classes = ByteClass.of(byte)
            if classes.contains(.upper) {
                upper += 1
            } else if classes.contains(.lower) {
                lower += 1
            } else if classes.contains(.digit) {
                digits += 1
            } else if byte == UInt8(ascii: "/") || byte == UInt8(ascii: "+") {
                slashes += 1
            } else {
                break
            }
            i += 1
        }
        // A full stop may end the sentence the key sits in.
        let endsSentence = i + 1 == text.count && text[i] == UInt8(ascii: ".")
            || (i + 1 < text.count && text[i] == UInt8(ascii: ".") && !ByteClass.is(text[i + 1], .token))
        guard i - start == 40, i == text.count || !ByteClass.is(text[i], .token) || endsSentence else { return nil }
        guard upper >= 5, lower >= 5, digits >= 2, slashes <= 4 else { return nil }
        return i
    }

    // MARK: Classification of values

    /// A single word of prose: letters only, at most 12 (`expired`, `Required`).
    static func isPlainWord(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        guard value.count <= 12 else {
            // Long all-lowercase words are prose too ("authentication", "configuration").
            return value.count <= 24 && value.allSatisfy { ByteClass.is($0, .lower) }
        }
        return value.allSatisfy { ByteClass.is($0, .letter) }
    }

    /// Whether a value after an ambiguous label (`key=`, `code:`) looks generated: 16 or more
    /// token characters mixing letters and digits (or cases), and not a UUID.
    static func looksRandom(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        guard value.count >= 16 else { return false }
        var upper = false, lower = false, digit = false
        for byte in value {
            let classes = ByteClass.of(byte)
            guard !classes.isDisjoint(with: .token) else { return false }
            if classes.contains(.upper) { upper = true }
            if classes.contains(.lower) { lower = true }
            if classes.contains(.digit) { digit = true }
        }
        if isUUID(value) { return false }
        return (digit && (upper || lower)) || (upper && lower && value.count >= 20)
    }

    /// `8-4-4-4-12` hexadecimal digits.
    static func isUUID(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        guard value.count == 36 else { return false }
        for (i, byte) in value.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                guard byte == UInt8(ascii: "-") else { return false }
            } else {
                guard ByteClass.is(byte | 0x20, .lowerHex) else { return false }
            }
        }
        return true
    }

    /// Values that are not secrets whatever their label: markers, masks and JSON literals.
    static func isPlaceholder(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        if ByteClass.matches(value, at: 0, "[REDACTED") { return true }
        if value.allSatisfy({ $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "x") || $0 == UInt8(ascii: "X") || $0 == UInt8(ascii: "#") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }) {
            return true
        }
        if value.count <= 9 {
            for literal: StaticString in ["null", "true", "false", "none", "undefined", "nil", "<none>", "redacted", "<redacted>"] {
                if value.count == literal.utf8CodeUnitCount, ByteClass.matchesLowercase(value, at: 0, literal) { return true }
            }
        }
        return false
    }
}
