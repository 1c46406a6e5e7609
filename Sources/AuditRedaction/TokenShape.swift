/// A secret recognisable by its shape alone: a literal prefix followed by a run of characters
/// from one set, such as `sk_live_` + 10 or more letters and digits.
///
/// Provider keys are designed to be found this way (GitHub, GitLab and Stripe chose their
/// prefixes so that scanners can), and a prefix test at each token start is far cheaper than a
/// regular expression per string. Rules files add their own shapes in the same form.
struct TokenShape: Sendable, Hashable {
    /// The characters allowed after the prefix.
    enum Charset: String, Sendable, CaseIterable {
        /// `A-Z a-z 0-9`
        case alnum
        /// `A-Z 0-9`
        case upperAlnum = "upper-alnum"
        /// `a-z 0-9`
        case lowerAlnum = "lower-alnum"
        /// `0-9 a-f`
        case hex
        /// `0-9`
        case digits
        /// `A-Z a-z 0-9 _ -`
        case token
        /// `A-Z a-z 0-9 _ - .`
        case dotted
        /// `A-Z a-z 0-9 + / =`
        case base64
        /// `A-Z a-z 0-9 _ - =`
        case base64url
        /// `A-Z a-z 0-9 _ - . ~ / + = %`: the rest of a URL path.
        case path

        @inline(__always)
        func contains(_ byte: UInt8) -> Bool {
            let classes = ByteClass.of(byte)
            switch self {
            case .alnum: return !classes.isDisjoint(with: .alnum)
            case .upperAlnum: return !classes.isDisjoint(with: [.upper, .digit])
            case .lowerAlnum: return !classes.isDisjoint(with: [.lower, .digit])
            case .hex: return classes.contains(.lowerHex)
            case .digits: return classes.contains(.digit)
            case .token: return !classes.isDisjoint(with: .word) || byte == UInt8(ascii: "-")
            case .dotted: return !classes.isDisjoint(with: .word) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            case .base64: return !classes.isDisjoint(with: .alnum) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "=")
            case .base64url: return !classes.isDisjoint(with: .word) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "=")
            case .path: return !classes.isDisjoint(with: .token) || byte == UInt8(ascii: "%")
            }
        }
    }

    /// The rule the shape reports as.
    var rule: String
    var prefix: [UInt8]
    var charset: Charset
    /// Fewest characters after the prefix.
    var minLength: Int
    /// Most characters after the prefix; a longer run is not this shape.
    var maxLength: Int
    /// Whether the prefix is compared ignoring ASCII case.
    var caseInsensitive: Bool

    init(rule: String, prefix: String, charset: Charset, minLength: Int, maxLength: Int = 1024, caseInsensitive: Bool = false) {
        self.rule = rule
        self.prefix = Array(prefix.utf8)
        self.charset = charset
        self.minLength = minLength
        self.maxLength = maxLength
        self.caseInsensitive = caseInsensitive
    }
}
