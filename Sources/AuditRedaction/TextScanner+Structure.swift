extension TextScanner {
    /// Checks at a structural byte (`: = > - % \ &`) and returns where scanning continues.
    mutating func trigger(at i: Int) -> Int {
        let n = text.count
        switch text[i] {
        case UInt8(ascii: ":"):
            if i + 2 < n, text[i + 1] == UInt8(ascii: "/"), text[i + 2] == UInt8(ascii: "/") {
                urlCredentials(at: i + 3)
                return i + 3
            }
            label(separator: i)
        case UInt8(ascii: "="):
            label(separator: i)
        case UInt8(ascii: ">"):
            xmlElement(at: i)
        case UInt8(ascii: "-"):
            if i + 1 < n, text[i + 1] == UInt8(ascii: "-") {
                if rules.pem >= 0, let end = pemPrivateKey(at: i) {
                    add(i, end, rules.pem)
                    return end
                }
                if i == 0 || !ByteClass.is(text[i - 1], .token) { commandLineFlag(at: i) }
            } else if i + 2 < n, text[i + 1] == UInt8(ascii: "u"), text[i + 2] == UInt8(ascii: " "), i == 0 || text[i - 1] == UInt8(ascii: " ") {
                userPasswordFlag(valueStart: i + 3)
            } else if i + 2 < n, text[i + 1] == UInt8(ascii: "p"), i > 0, text[i - 1] == UInt8(ascii: " "), !ByteClass.is(text[i + 2], .space),
                text[i + 2] != UInt8(ascii: "-"), mentionsMySQL()
            {
                // `mysql -uroot -pSecret`: the password is glued to the flag.
                var end = i + 2
                while end < n, !ByteClass.is(text[end], .space), text[end] != UInt8(ascii: "\""), text[end] != UInt8(ascii: "'") { end += 1 }
                add(i + 2, end, rules.password)
            }
        case UInt8(ascii: "%"):
            if i + 2 < n, ByteClass.is(text[i + 1] | 0x20, .lowerHex), ByteClass.is(text[i + 2] | 0x20, .lowerHex) {
                wantsDecoding = true
            }
        case UInt8(ascii: "\\"):
            wantsDecoding = true
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            quotedAfterLabel(at: i)
        case UInt8(ascii: "&"):
            if i + 3 < n, text[i + 1] == UInt8(ascii: "#") || ByteClass.matches(text, at: i + 1, "quot;")
                || ByteClass.matches(text, at: i + 1, "amp;") || ByteClass.matches(text, at: i + 1, "lt;")
                || ByteClass.matches(text, at: i + 1, "gt;") || ByteClass.matches(text, at: i + 1, "apos;")
            {
                wantsDecoding = true
            }
        default:
            break
        }
        return i + 1
    }

    // MARK: Labels

    @inline(__always)
    static func isLabelByte(_ byte: UInt8) -> Bool {
        ByteClass.is(byte, .word) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }

    /// The rule named by the label ending at `end` (exclusive), trying the two-word form first
    /// (`api key`, `card number`, `idempotency key`) so that a qualifier can make or unmake a secret.
    func labelRule(endingAt end: Int) -> (match: FieldNameMatcher.Match, start: Int)? {
        var k = end - 1
        while k >= 0, Self.isLabelByte(text[k]), end - k <= 64 { k -= 1 }
        var start = k + 1
        guard end - start >= 2 else { return nil }
        // A label starts with a letter (after any `-`, `_`, `.`), or is like `2fa`: this rules
        // out times and dates (`10:00`, `2026-11-20T10:`) before any lookup.
        var first = start
        while first < end, !ByteClass.is(text[first], .alnum) { first += 1 }
        guard first + 1 < end else { return nil }
        guard ByteClass.is(text[first], .letter) || (ByteClass.is(text[first], .digit) && ByteClass.is(text[first + 1], .letter)) else {
            return nil
        }
        start = k + 1
        if start >= 2, text[start - 1] == UInt8(ascii: " "), Self.isLabelByte(text[start - 2]) {
            var p = start - 2
            while p >= 0, Self.isLabelByte(text[p]), start - p <= 32 { p -= 1 }
            if let match = rules.matcher.lookup(UnsafeBufferPointer(rebasing: text[(p + 1)..<end])) {
                return (match, p + 1)
            }
        }
        guard let match = rules.matcher.lookup(UnsafeBufferPointer(rebasing: text[start..<end])) else { return nil }
        return (match, start)
    }

    /// `label: value`, `label=value`, `"label":"value"`: redacts the value when the label names a secret.
    mutating func label(separator j: Int) {
        let n = text.count
        let separator = text[j]
        if separator == UInt8(ascii: "=") {
            if j + 1 < n, text[j + 1] == UInt8(ascii: "=") || text[j + 1] == UInt8(ascii: ">") { return }
            if j > 0, text[j - 1] == UInt8(ascii: "=") || text[j - 1] == UInt8(ascii: "!") { return }
        } else if j + 1 < n, text[j + 1] == UInt8(ascii: ":") || (j > 0 && text[j - 1] == UInt8(ascii: ":")) {
            return
        }
        var k = j - 1
        var spaces = 0
        while k >= 0, text[k] == UInt8(ascii: " "), spaces < 2 {
            k -= 1
            spaces += 1
        }
        var quotedLabel = false
        if k >= 0, text[k] == UInt8(ascii: "\"") || text[k] == UInt8(ascii: "'") {
            quotedLabel = true
            k -= 1
            if k >= 0, text[k] == UInt8(ascii: "\\") { k -= 1 }
        }
        guard k >= 1, ByteClass.is(text[k], .alnum) else { return }
        if separator == UInt8(ascii: "="), let rule = attributePairRule(valueLabelEnd: k + 1) {
            redactValue(after: j + 1, separator: separator, match: FieldNameMatcher.Match(rule: rule, isWeak: false), structured: true)
            return
        }
        guard let (match, labelStart) = labelRule(endingAt: k + 1), match.rule >= 0 else { return }
        let context: UInt8 = labelStart > 0 ? text[labelStart - 1] : 0
        let inQuery = context == UInt8(ascii: "?") || context == UInt8(ascii: "&") || context == UInt8(ascii: ";")
        redactValue(after: j + 1, separator: separator, match: match, structured: quotedLabel || inQuery || separator == UInt8(ascii: "="))
    }

    /// `client secret is set to 'value'`, `the password was "value"`: a quoted value after a label
    /// and a few linking words.
    mutating func quotedAfterLabel(at q: Int) {
        guard q >= 2, text[q - 1] == UInt8(ascii: " ") else { return }
        var end = q - 1
        var linkingWords = 0
        while linkingWords < 3 {
            var k = end - 1
            while k >= 0, ByteClass.is(text[k], .lower) { k -= 1 }
            let word = UnsafeBufferPointer(rebasing: text[(k + 1)..<end])
            guard k >= 1, text[k] == UInt8(ascii: " "), Self.isLinkingWord(word) else { break }
            end = k
            linkingWords += 1
        }
        guard end >= 1, ByteClass.is(text[end - 1], .alnum) else { return }
        guard let (match, _) = labelRule(endingAt: end), match.rule >= 0, !match.isWeak else { return }
        let quote = text[q]
        var close = q + 1
        while close < text.count, text[close] != quote, text[close] != UInt8(ascii: "\n") { close += 1 }
        guard close < text.count, text[close] == quote else { return }
        finish(q + 1, close, match: match, structured: false)
    }

    /// The strong rule of a label before the word at `start`, across up to three linking words
    /// (`client secret is set to …`); nil when there is none.
    func labelBeforeWord(at start: Int) -> Int? {
        var end = start - 1
        var linkingWords = 0
        while linkingWords < 3, end >= 1 {
            var k = end - 1
            while k >= 0, ByteClass.is(text[k], .lower) { k -= 1 }
            let word = UnsafeBufferPointer(rebasing: text[(k + 1)..<end])
            guard k >= 1, text[k] == UInt8(ascii: " "), Self.isLinkingWord(word) else { break }
            end = k
            linkingWords += 1
        }
        guard end >= 1, ByteClass.is(text[end - 1], .alnum) else { return nil }
        guard let (match, _) = labelRule(endingAt: end), match.rule >= 0, !match.isWeak else { return nil }
        return match.rule
    }

    static func isLinkingWord(_ word: UnsafeBufferPointer<UInt8>) -> Bool {
        for candidate: StaticString in ["is", "was", "set", "to", "be", "now", "are", "of", "equals", "with", "using", "as"]
        where word.count == candidate.utf8CodeUnitCount && ByteClass.matches(word, at: 0, candidate) {
            return true
        }
        return false
    }

    /// `<add key="ApiKey" value="…"/>`, `<input name="password" value="…">`: for a `value=`
    /// attribute, the rule named by a `key=`/`name=` attribute before it in the same tag.
    func attributePairRule(valueLabelEnd end: Int) -> Int? {
        guard end >= 5, ByteClass.matchesLowercase(text, at: end - 5, "value"), end == 5 || !ByteClass.is(text[end - 6], .alnum) else {
            return nil
        }
        var k = end - 6
        let limit = max(0, end - 160)
        while k > limit, text[k] != UInt8(ascii: "<"), text[k] != UInt8(ascii: ">") {
            if text[k] == UInt8(ascii: "="), k + 1 < text.count, text[k + 1] == UInt8(ascii: "\"") || text[k + 1] == UInt8(ascii: "'"),
                k >= 3, ByteClass.matchesLowercase(text, at: k - 3, "key") || (k >= 4 && ByteClass.matchesLowercase(text, at: k - 4, "name"))
            {
                let quote = text[k + 1]
                var close = k + 2
                while close < end, text[close] != quote { close += 1 }
                guard close < end, let match = rules.matcher.match(String(decoding: UnsafeBufferPointer(rebasing: text[(k + 2)..<close]), as: UTF8.self)),
                    !match.isWeak
                else { return nil }
                return match.rule
            }
            k -= 1
        }
        return nil
    }

    /// `<password>value</password>`.
    mutating func xmlElement(at i: Int) {
        var k = i - 1
        while k >= 0, Self.isLabelByte(text[k]) || text[k] == UInt8(ascii: ":"), i - k <= 64 { k -= 1 }
        guard k >= 0, k < i - 1, text[k] == UInt8(ascii: "<") else { return }
        guard let match = rules.matcher.lookup(UnsafeBufferPointer(rebasing: text[(k + 1)..<i])), match.rule >= 0 else { return }
        var end = i + 1
        while end < text.count, text[end] != UInt8(ascii: "<") { end += 1 }
        finish(i + 1, end, match: match, structured: true)
    }

    /// `--password hunter2` and `--client-secret 'x y'` on a logged command line.
    mutating func commandLineFlag(at i: Int) {
        var w = i + 2
        while w < text.count, ByteClass.is(text[w], .word) || text[w] == UInt8(ascii: "-") { w += 1 }
        guard w > i + 2, w < text.count, text[w] == UInt8(ascii: " ") else { return }
        if w - i - 2 == 4, ByteClass.matches(text, at: i + 2, "user") {
            userPasswordFlag(valueStart: w + 1)
            return
        }
        guard let match = rules.matcher.lookup(UnsafeBufferPointer(rebasing: text[(i + 2)..<w])), match.rule >= 0, !match.isWeak else { return }
        redactValue(after: w + 1, separator: UInt8(ascii: " "), match: match, structured: true)
    }

    /// Whether the text mentions a MySQL client, whose `-p<password>` form is otherwise ambiguous.
    func mentionsMySQL() -> Bool {
        var i = 0
        while i + 5 <= text.count {
            if text[i] | 0x20 == UInt8(ascii: "m"), ByteClass.matchesLowercase(text, at: i, "mysql") { return true }
            i += 1
        }
        return false
    }

    /// `curl -u user:password` and `--user user:password`: the password after the first `:`.
    mutating func userPasswordFlag(valueStart: Int) {
        guard rules.basic >= 0 else { return }
        var v = valueStart
        while v < text.count, text[v] == UInt8(ascii: " ") { v += 1 }
        var end = v
        var colon = -1
        while end < text.count, !ByteClass.is(text[end], .space), text[end] != UInt8(ascii: "\""), text[end] != UInt8(ascii: "'") {
            if colon < 0, text[end] == UInt8(ascii: ":") { colon = end }
            end += 1
        }
        guard colon > v, end > colon + 1 else { return }
        add(colon + 1, end, rules.basic)
    }

    /// Finds the value that starts at `start` (after a separator) and redacts it if the rule says so.
    mutating func redactValue(after start: Int, separator: UInt8, match: FieldNameMatcher.Match, structured: Bool) {
        let n = text.count
        var v = start
        var skipped = 0
        while v < n, text[v] == UInt8(ascii: " ") || text[v] == UInt8(ascii: "\t"), skipped < 4 {
            v += 1
            skipped += 1
        }
        guard v < n else { return }
        // Quoted: up to the closing quote (or `\"` when the quotes themselves are escaped).
        var quote: UInt8 = 0
        var escapedQuote = false
        if text[v] == UInt8(ascii: "\"") || text[v] == UInt8(ascii: "'") || text[v] == UInt8(ascii: "`") {
            quote = text[v]
            v += 1
        } else if text[v] == UInt8(ascii: "\\"), v + 1 < n, text[v + 1] == UInt8(ascii: "\"") {
            quote = UInt8(ascii: "\"")
            escapedQuote = true
            v += 2
        }
        if quote != 0 {
            var end = v
            while end < n {
                if text[end] == quote {
                    if escapedQuote {
                        if text[end - 1] == UInt8(ascii: "\\") { end -= 1; break }
                    } else if end == v || text[end - 1] != UInt8(ascii: "\\") {
                        break
                    }
                }
                end += 1
            }
            if match.rule == rules.authorization || match.rule == rules.cookie {
                headerValue(v, min(end, n), match: match)
            } else {
                finish(v, min(end, n), match: match, structured: true)
            }
            return
        }
        if (match.rule == rules.authorization || match.rule == rules.cookie) && separator != UInt8(ascii: "=") {
            var end = v
            while end < n, text[end] != UInt8(ascii: "\r"), text[end] != UInt8(ascii: "\n"), text[end] != UInt8(ascii: "\"") { end += 1 }
            headerValue(v, end, match: match)
            return
        }
        var end = v
        if ByteClass.is(text[v], .digit) {
            // Digit groups (`4111 1111 1111 1111`, `123-456`) are one value.
            while end < n {
                if ByteClass.is(text[end], .digit) {
                    end += 1
                } else if end + 1 < n, text[end] == UInt8(ascii: " ") || text[end] == UInt8(ascii: "-"), ByteClass.is(text[end + 1], .digit) {
                    end += 1
                } else {
                    break
                }
            }
            if end < n, ByteClass.is(text[end], .token) || !Self.endsUnquotedValue(text[end]) {
                end = v
            }
        }
        if end == v {
            while end < n, !Self.endsUnquotedValue(text[end]) { end += 1 }
        }
        // A sentence's full stop is not part of the value.
        if end - v > 1, text[end - 1] == UInt8(ascii: ".") || text[end - 1] == UInt8(ascii: ",") { end -= 1 }
        finish(v, end, match: match, structured: structured)
    }

    @inline(__always)
    static func endsUnquotedValue(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"), UInt8(ascii: "&"), UInt8(ascii: ";"),
            UInt8(ascii: ","), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: ")"),
            UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: "|"), UInt8(ascii: "\\"):
            true
        default:
            false
        }
    }

    /// Applies the rule's judgement to a found value and records the span.
    mutating func finish(_ start: Int, _ end: Int, match: FieldNameMatcher.Match, structured: Bool) {
        guard end > start else { return }
        let value = UnsafeBufferPointer(rebasing: text[start..<end])
        guard !Self.isPlaceholder(value) else { return }
        if match.isWeak {
            guard Self.looksRandom(value) else { return }
        } else if !structured, !rules.redactsAnyInlineValue[match.rule], Self.isPlainWord(value) {
            return
        }
        add(start, end, match.rule)
    }

    /// The value of an `Authorization`/`Cookie` header: keeps a known scheme word and redacts the
    /// credential after it, so the record still says `Bearer [REDACTED:bearer-token]`.
    mutating func headerValue(_ start: Int, _ end: Int, match: FieldNameMatcher.Match) {
        guard end > start else { return }
        if match.rule == rules.cookie {
            finish(start, end, match: match, structured: false)
            return
        }
        var w = start
        while w < end, ByteClass.is(text[w], .alnum) || text[w] == UInt8(ascii: "-") { w += 1 }
        let scheme = UnsafeBufferPointer(rebasing: text[start..<w])
        if w < end, text[w] == UInt8(ascii: " "), Self.isAuthorizationScheme(scheme) {
            var c = w
            while c < end, text[c] == UInt8(ascii: " ") { c += 1 }
            guard c < end else { return }
            if ByteClass.matchesLowercase(scheme, at: 0, "bearer") || ByteClass.matchesLowercase(scheme, at: 0, "basic") {
                let isBearer = scheme.count == 6
                let tokenEnd = tokenRun(from: c)
                let value = UnsafeBufferPointer(rebasing: text[c..<tokenEnd])
                guard tokenEnd > c, !Self.isPlaceholder(value) else { return }
                let rule = isBearer ? rules.bearer : rules.basic
                add(c, tokenEnd, rule >= 0 ? rule : match.rule)
            } else {
                var e = end
                while e > c, text[e - 1] == UInt8(ascii: " ") { e -= 1 }
                finish(c, e, match: FieldNameMatcher.Match(rule: match.rule, isWeak: false), structured: true)
            }
            return
        }
        let tokenEnd = tokenRun(from: start)
        finish(start, tokenEnd, match: match, structured: false)
    }

    static func isAuthorizationScheme(_ word: UnsafeBufferPointer<UInt8>) -> Bool {
        for scheme: StaticString in [
            "bearer", "basic", "digest", "token", "negotiate", "ntlm", "hmac", "signature", "aws4-hmac-sha256", "apikey",
            "api-key", "sso-key", "ssws", "oauth", "dpop", "mac", "hawk", "key", "otp", "jwt", "session",
        ] where word.count == scheme.utf8CodeUnitCount && ByteClass.matchesLowercase(word, at: 0, scheme) {
            return true
        }
        return false
    }

    // MARK: URLs and key blocks

    /// `scheme://user:password@host`: redacts the password (or a token used as the user name).
    mutating func urlCredentials(at authorityStart: Int) {
        guard rules.urlCredentials >= 0 else { return }
        let n = text.count
        var end = authorityStart
        var at = -1
        while end < n {
            let byte = text[end]
            if byte == UInt8(ascii: "/") || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "#") || byte == UInt8(ascii: "\"")
                || byte == UInt8(ascii: "'") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "\\")
                || ByteClass.is(byte, .space)
            {
                break
            }
            if byte == UInt8(ascii: "@") { at = end }
            end += 1
        }
        guard at > authorityStart else { return }
        var colon = -1
        for i in authorityStart..<at where text[i] == UInt8(ascii: ":") {
            colon = i
            break
        }
        if colon >= 0 {
            let password = UnsafeBufferPointer(rebasing: text[(colon + 1)..<at])
            if !password.isEmpty, !Self.isPlaceholder(password) { add(colon + 1, at, rules.urlCredentials) }
        } else if at - authorityStart >= 16, Self.looksRandom(UnsafeBufferPointer(rebasing: text[authorityStart..<at])) {
            add(authorityStart, at, rules.urlCredentials)
        }
    }

    /// `-----BEGIN … PRIVATE KEY-----` through its `-----END …-----` line, or to the end of the
    /// string when the block is cut short.
    func pemPrivateKey(at start: Int) -> Int? {
        guard ByteClass.matches(text, at: start, "-----BEGIN ") else { return nil }
        let n = text.count
        var labelEnd = start + 11
        while labelEnd < min(n, start + 80), text[labelEnd] != UInt8(ascii: "-") { labelEnd += 1 }
        guard ByteClass.matches(text, at: labelEnd, "-----") else { return nil }
        var isPrivate = false
        var i = start + 11
        while i + 11 <= labelEnd {
            if ByteClass.matches(text, at: i, "PRIVATE KEY") {
                isPrivate = true
                break
            }
            i += 1
        }
        guard isPrivate else { return nil }
        var e = labelEnd + 5
        while e < n {
            if text[e] == UInt8(ascii: "-"), ByteClass.matches(text, at: e, "-----END") {
                var close = e + 8
                while close < n, text[close] != UInt8(ascii: "-") { close += 1 }
                var end = close
                while end < n, text[end] == UInt8(ascii: "-") { end += 1 }
                return end
            }
            e += 1
        }
        return n
    }
}
