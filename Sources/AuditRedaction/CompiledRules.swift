/// ``RedactionRules`` turned into lookup tables once, so that redacting an event only reads.
///
/// Immutable after `init`: every stored property is a `let` of a `Sendable` type, so one instance
/// is shared by all threads calling ``Redactor/redact(_:)`` without locks.
final class CompiledRules: Sendable {
    /// Rule names by index; spans and matches carry the index.
    let ruleNames: [String]
    /// `[REDACTED:<rule>]` by rule index.
    let markers: [String]
    let markerBytes: [[UInt8]]
    /// Whether an inline label of this rule redacts any value, by rule index.
    let redactsAnyInlineValue: [Bool]
    let matcher: FieldNameMatcher
    let shapes: [TokenShape]
    /// Indices into `shapes` by the first byte of their prefix.
    let shapesByFirstByte: [[Int]]
    let shapeRules: [Int]
    let limits: RedactionRules.Limits

    // Built-in scanners and the field rules the scanners name; -1 when disabled.
    let bearer: Int
    let basic: Int
    let jwt: Int
    let pem: Int
    let urlCredentials: Int
    let card: Int
    let cardVerification: Int
    let pin: Int
    let oneTimeCode: Int
    let generic: Int
    let awsSecret: Int
    let telegram: Int
    let authorization: Int
    let cookie: Int
    let unprocessable: Int

    init(_ rules: RedactionRules) {
        var names: [String] = []
        var index: [String: Int] = [:]
        func intern(_ name: String) -> Int {
            if let i = index[name] { return i }
            index[name] = names.count
            names.append(name)
            return names.count - 1
        }
        var exact: [(String, Int)] = []
        var fragments: [(String, Int)] = []
        for rule in rules.fieldRules {
            let i = intern(rule.name)
            exact += rule.exact.map { ($0, i) }
            fragments += rule.contains.map { ($0, i) }
        }
        let generic = rules.scanners.contains("generic-secret") ? intern("generic-secret") : -1
        matcher = FieldNameMatcher(
            exact: exact, weak: generic >= 0 ? rules.weakFieldNames : [], weakRule: generic, fragments: fragments,
            keep: rules.keepFieldNames, suffixExceptions: rules.descriptiveSuffixes, prefixExceptions: rules.descriptivePrefixes
        )
        shapes = rules.shapes
        shapeRules = rules.shapes.map { intern($0.rule) }
        var buckets = [[Int]](repeating: [], count: 256)
        for (i, shape) in rules.shapes.enumerated() {
            let first = shape.prefix[0]
            buckets[Int(first)].append(i)
            if shape.caseInsensitive, first >= UInt8(ascii: "a"), first <= UInt8(ascii: "z") {
                buckets[Int(first & ~0x20)].append(i)
            }
        }
        shapesByFirstByte = buckets
        func scanner(_ name: String) -> Int { rules.scanners.contains(name) ? intern(name) : -1 }
        func field(_ name: String) -> Int { rules.fieldRules.contains { $0.name == name } ? intern(name) : -1 }
        bearer = scanner("bearer-token")
        basic = scanner("basic-credentials")
        jwt = scanner("jwt")
        pem = scanner("pem-private-key")
        urlCredentials = scanner("url-credentials")
        card = scanner("card-number")
        cardVerification = scanner("card-verification")
        pin = scanner("pin")
        oneTimeCode = scanner("one-time-code")
        self.generic = generic
        awsSecret = scanner("aws-secret-access-key")
        telegram = scanner("telegram-bot-token")
        authorization = field("authorization")
        cookie = field("cookie")
        unprocessable = intern("unprocessable")
        limits = rules.limits

        ruleNames = names
        markers = names.map { Redactor.marker(rule: $0) }
        markerBytes = markers.map { Array($0.utf8) }
        var anyValue = [Bool](repeating: false, count: names.count)
        for rule in rules.fieldRules where rule.redactsAnyInlineValue { anyValue[index[rule.name]!] = true }
        redactsAnyInlineValue = anyValue
    }
}
