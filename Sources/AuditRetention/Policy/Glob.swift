/// The patterns of a category's `actions` and `sources`: `*` matches any run of characters
/// (including none, and including `.`), `?` exactly one; every other character matches itself,
/// case-sensitively; the pattern must match the whole value. Characters are Unicode scalars.
enum Glob {
    /// Characters a pattern may not contain, because other glob dialects give them a meaning
    /// (classes, alternatives, escapes) that this one does not have.
    static let reserved: Set<Unicode.Scalar> = ["[", "]", "{", "}", "\\"]

    /// Why `pattern` is not a valid pattern, or `nil` when it is.
    static func problem(with pattern: String) -> String? {
        if pattern.isEmpty { return "a pattern cannot be empty" }
        if pattern.utf8.count > 256 { return "a pattern is at most 256 bytes" }
        for scalar in pattern.unicodeScalars {
            if reserved.contains(scalar) {
                return "'\(scalar)' is not supported in a pattern: only * (any run of characters) and ? (one character) are wildcards"
            }
            if scalar.properties.isWhitespace || scalar.value < 0x20 || scalar.value == 0x7F {
                return "a pattern cannot contain white space or control characters"
            }
        }
        return nil
    }

    /// Whether `pattern` matches the whole of `text`.
    ///
    /// The classic linear backtracking match: on a mismatch, resume after the latest `*`, which
    /// then absorbs one more character. Allocation-free, so it can run once per event.
    static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = pattern.unicodeScalars
        let t = text.unicodeScalars
        var pi = p.startIndex
        var ti = t.startIndex
        var star: (pattern: String.UnicodeScalarView.Index, text: String.UnicodeScalarView.Index)?
        while ti < t.endIndex {
            if pi < p.endIndex, p[pi] == "*" {
                pi = p.index(after: pi)
                star = (pi, ti)
            } else if pi < p.endIndex, p[pi] == "?" || p[pi] == t[ti] {
                pi = p.index(after: pi)
                ti = t.index(after: ti)
            } else if let resume = star {
                pi = resume.pattern
                ti = t.index(after: resume.text)
                star = (resume.pattern, ti)
            } else {
                return false
            }
        }
        while pi < p.endIndex, p[pi] == "*" { pi = p.index(after: pi) }
        return pi == p.endIndex
    }
}
