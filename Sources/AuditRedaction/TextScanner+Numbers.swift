extension TextScanner {
    /// A run of digit groups starting at `start`: card numbers (Luhn, or any 13–19 digits after a
    /// card keyword), a CVV after a card, PINs and one-time codes after their words, Telegram bot
    /// tokens. Returns where scanning continues, or nil when the digits are part of a longer word.
    mutating func digits(at start: Int) -> Int? {
        let n = text.count
        var j = start
        var total = 0
        var groups = 0
        var end = start
        while true {
            var k = j
            while k < n, ByteClass.is(text[k], .digit) { k += 1 }
            total += k - j
            groups += 1
            end = k
            // Groups are joined by one space or hyphen (two spaces also seen in receipts).
            if k + 1 < n, groups < 12, total < 64, text[k] == UInt8(ascii: " ") || text[k] == UInt8(ascii: "-") {
                var m = k + 1
                if text[k] == UInt8(ascii: " "), text[m] == UInt8(ascii: " "), m + 1 < n { m += 1 }
                if ByteClass.is(text[m], .digit) {
                    j = m
                    continue
                }
            }
            break
        }
        if groups == 1, end < n, ByteClass.is(text[end], .word) { return nil }
        if total >= 13, rules.card >= 0, let cardEnd = card(start, end) { return cardEnd }
        if groups == 1 {
            let length = end - start
            if (3...8).contains(length) { shortCode(start, end) }
            if rules.telegram >= 0, (8...10).contains(length), end < n, text[end] == UInt8(ascii: ":") {
                var t = end + 1
                while t < n, ByteClass.is(text[t], .word) || text[t] == UInt8(ascii: "-") { t += 1 }
                if t - end - 1 == 35 {
                    add(start, t, rules.telegram)
                    return t
                }
            }
        }
        return end
    }

    /// Picks the digit groups in `start..<end` that form a card number, records them, and returns
    /// where scanning continues; nil when none do.
    private mutating func card(_ start: Int, _ end: Int) -> Int? {
        // After `+` the first group is a country code (`+234 803 …`), after `1.` a decimal's
        // fraction: windows may not start there, but a card later in the run still counts.
        var firstGroup = 0
        if start > 0 {
            let before = text[start - 1]
            if before == UInt8(ascii: "+") { firstGroup = 1 }
            if before == UInt8(ascii: "."), start > 1, ByteClass.is(text[start - 2], .digit) { firstGroup = 1 }
        }
        // The last group may not end a window when it runs into a word or a decimal point.
        let lastGroupUsable = !(end + 1 < text.count && text[end] == UInt8(ascii: ".") && ByteClass.is(text[end + 1], .digit))
            && !(end < text.count && ByteClass.is(text[end], .word))

        var groupStarts: [Int] = []
        var groupEnds: [Int] = []
        var i = start
        while i < end {
            let s = i
            while i < end, ByteClass.is(text[i], .digit) { i += 1 }
            groupStarts.append(s)
            groupEnds.append(i)
            while i < end, !ByteClass.is(text[i], .digit) { i += 1 }
        }
        let m = lastGroupUsable ? groupStarts.count : groupStarts.count - 1
        guard m > firstGroup else { return nil }
        let keyword = hasCardKeyword(before: start)
        // Whole run first, then runs ending at the last group, then runs starting at the first.
        var windows: [(Int, Int)] = [(0, m)]
        for a in 1..<max(m, 1) { windows.append((a, m)) }
        for b in stride(from: m - 1, to: 0, by: -1) { windows.append((0, b)) }
        for a in 1..<max(m, 1) {
            for b in stride(from: m - 1, to: a, by: -1) { windows.append((a, b)) }
        }
        for (a, b) in windows where a >= firstGroup && b <= m {
            var count = 0
            var plausibleGroups = true
            for g in a..<b {
                let length = groupEnds[g] - groupStarts[g]
                count += length
                // Grouped numbers use groups of 2 to 6; the last may be shorter (`4222 2222 2222 2`).
                if b - a > 1, !(2...6).contains(length), !(g == b - 1 && length >= 1) { plausibleGroups = false }
            }
            guard (13...19).contains(count), plausibleGroups else { continue }
            let firstDigit = text[groupStarts[a]] - UInt8(ascii: "0")
            // Issuer digits: 2–6, and 13-digit numbers are only old Visa (4), 14-digit Diners (3) or
            // Maestro (5, 6); this keeps 13-digit phone numbers (`2348031234567`) out.
            let issuer = count == 13 ? firstDigit == 4 : count == 14 ? [3, 5, 6].contains(firstDigit) : (2...6).contains(firstDigit)
            let valid = keyword || (issuer && luhn(groupStarts[a], groupEnds[b - 1]))
            guard valid else { continue }
            add(groupStarts[a], groupEnds[b - 1], rules.card)
            cardVerification(after: groupEnds[b - 1])
            return end
        }
        return nil
    }

    /// The Luhn checksum over the digits in `start..<end`, skipping separators.
    private func luhn(_ start: Int, _ end: Int) -> Bool {
        var sum = 0
        var double = false
        var i = end - 1
        while i >= start {
            let byte = text[i]
            if ByteClass.is(byte, .digit) {
                var d = Int(byte - UInt8(ascii: "0"))
                if double {
                    d *= 2
                    if d > 9 { d -= 9 }
                }
                sum += d
                double.toggle()
            }
            i -= 1
        }
        return sum % 10 == 0
    }

    /// Whether a card word (`card`, `pan`, `visa`, ...) occurs in the 40 bytes before `start`.
    private func hasCardKeyword(before start: Int) -> Bool {
        let from = max(0, start - 40)
        var i = start - 1
        while i >= from {
            let byte = text[i] | 0x20
            switch byte {
            case UInt8(ascii: "c"):
                if ByteClass.matchesLowercase(text, at: i, "card") || ByteClass.matchesLowercase(text, at: i, "cc ")
                    || ByteClass.matchesLowercase(text, at: i, "cc:") || ByteClass.matchesLowercase(text, at: i, "ccn")
                {
                    return true
                }
            case UInt8(ascii: "p"):
                if ByteClass.matchesLowercase(text, at: i, "pan"), i + 3 < text.count, !ByteClass.is(text[i + 3], .letter),
                    i == 0 || !ByteClass.is(text[i - 1], .letter)
                {
                    return true
                }
            case UInt8(ascii: "v"):
                if ByteClass.matchesLowercase(text, at: i, "visa") || ByteClass.matchesLowercase(text, at: i, "verve") { return true }
            case UInt8(ascii: "m"):
                if ByteClass.matchesLowercase(text, at: i, "mastercard") || ByteClass.matchesLowercase(text, at: i, "maestro") { return true }
            case UInt8(ascii: "a"):
                if ByteClass.matchesLowercase(text, at: i, "amex") { return true }
            case UInt8(ascii: "d"):
                if ByteClass.matchesLowercase(text, at: i, "discover") || ByteClass.matchesLowercase(text, at: i, "diners") { return true }
            case UInt8(ascii: "u"):
                if ByteClass.matchesLowercase(text, at: i, "unionpay") { return true }
            case UInt8(ascii: "j"):
                if ByteClass.matchesLowercase(text, at: i, "jcb") { return true }
            default:
                break
            }
            i -= 1
        }
        return false
    }

    /// A CVV right after a card: `4111… 12/27 123`, `4111…|12/27|123`, `4111… exp 12/27 cvv 123`.
    private mutating func cardVerification(after cardEnd: Int) {
        guard rules.cardVerification >= 0 else { return }
        let n = text.count
        var i = cardEnd
        let limit = min(n, cardEnd + 48)
        while i < limit {
            let byte = text[i]
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: ",") || byte == UInt8(ascii: ";") || byte == UInt8(ascii: "|")
                || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "=") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "(") || byte == UInt8(ascii: ")")
            {
                i += 1
                continue
            }
            if ByteClass.is(byte, .letter) {
                var w = i
                while w < n, ByteClass.is(text[w], .alnum) || text[w] == UInt8(ascii: ".") { w += 1 }
                let word = UnsafeBufferPointer(rebasing: text[i..<w])
                guard Self.isCardDetailWord(word) else { return }
                i = w
                continue
            }
            guard ByteClass.is(byte, .digit) else { return }
            var d = i
            while d < n, ByteClass.is(text[d], .digit) { d += 1 }
            if d < n, text[d] == UInt8(ascii: "/") {
                // An expiry date: skip it.
                i = d + 1
                while i < n, ByteClass.is(text[i], .digit) { i += 1 }
                continue
            }
            if (3...4).contains(d - i), d == n || !ByteClass.is(text[d], .word) {
                add(i, d, rules.cardVerification)
            }
            return
        }
    }

    private static func isCardDetailWord(_ word: UnsafeBufferPointer<UInt8>) -> Bool {
        for candidate: StaticString in [
            "exp", "exp.", "expiry", "expires", "expiration", "cvv", "cvc", "cvv2", "cvc2", "csc", "cid", "code", "security",
            "and", "with", "sec", "mm", "yy", "date",
        ] where word.count == candidate.utf8CodeUnitCount && ByteClass.matchesLowercase(word, at: 0, candidate) {
            return true
        }
        return false
    }

    /// A short number after `cvv`, `pin`, `otp`, `verification code` (optionally `is`).
    private mutating func shortCode(_ start: Int, _ end: Int) {
        guard var w1 = previousWord(before: start) else { return }
        var w2 = previousWord(before: w1.lowerBound)
        if Self.wordIs(text, w1, ["is", "was", "are", "code:"]) {
            guard let shifted = w2 else { return }
            w1 = shifted
            w2 = previousWord(before: w1.lowerBound)
        }
        let length = end - start
        if Self.wordIs(text, w1, ["cvv", "cvc", "cvv2", "cvc2", "csc", "cvn"]) {
            if (3...4).contains(length) { add(start, end, rules.cardVerification) }
        } else if Self.wordIs(text, w1, ["pin", "passcode", "mpin", "tpin"]) {
            if (4...6).contains(length) { add(start, end, rules.pin) }
        } else if Self.wordIs(text, w1, ["otp", "totp", "2fa", "mfa"]) {
            if (4...8).contains(length) { add(start, end, rules.oneTimeCode) }
        } else if Self.wordIs(text, w1, ["password", "passcode", "passwd"]) {
            // `one-time password is 261589` is a code; `password is 1234` a (weak) password.
            if (4...8).contains(length) {
                let oneTime = w2.map { Self.wordIs(text, $0, ["time", "one-time", "onetime", "sms", "otp"]) } ?? false
                add(start, end, oneTime ? rules.oneTimeCode : rules.password)
            }
        } else if Self.wordIs(text, w1, ["code", "token"]), let w2 {
            if Self.wordIs(text, w2, ["security"]), (3...4).contains(length) {
                add(start, end, rules.cardVerification)
            } else if Self.wordIs(
                text, w2,
                ["verification", "otp", "security", "sms", "auth", "authentication", "mfa", "2fa", "login", "access", "time",
                 "activation", "reset", "signin", "sign-in", "confirmation", "one-time", "onetime", "passcode", "transaction", "your",
                 "enter", "use"]
            ), (4...8).contains(length) {
                add(start, end, rules.oneTimeCode)
            }
        }
    }

    /// The word (letters, digits, `-`) before `position`, skipping up to four separator bytes.
    private func previousWord(before position: Int) -> Range<Int>? {
        var k = position - 1
        var skipped = 0
        while k >= 0, skipped < 4 {
            let byte = text[k]
            guard byte == UInt8(ascii: " ") || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "=") || byte == UInt8(ascii: "#")
                || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "(")
            else { break }
            k -= 1
            skipped += 1
        }
        let end = k + 1
        while k >= 0, ByteClass.is(text[k], .alnum) || text[k] == UInt8(ascii: "-"), end - k <= 16 { k -= 1 }
        return end - k > 1 ? (k + 1)..<end : nil
    }

    private static func wordIs(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ words: [StaticString]) -> Bool {
        for word in words where range.count == word.utf8CodeUnitCount && ByteClass.matchesLowercase(text, at: range.lowerBound, word) {
            return true
        }
        return false
    }
}
