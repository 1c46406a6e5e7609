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
    /// Whether a JSON number under a name of this rule is a secret, by rule index: PINs, codes,
    /// card numbers and passwords can be numbers, tokens and keys are not (`input_tokens: 812` is
    /// a count).
    let redactsNumbers: [Bool]
    let matcher: FieldNameMatcher
    /// A ``TokenShape`` as plain values, its prefix in `shapePrefixes`: reading one copies nothing
    /// that needs reference counting.
    struct Shape: Sendable {
        var prefixStart: Int32
        var prefixCount: Int32
        var minLength: Int32
        var maxLength: Int32
        var charset: TokenShape.Charset
        var caseInsensitive: Bool
        var rule: Int32
    }

    let shapes: [Shape]
    let shapePrefixes: [UInt8]
    /// Indices into `shapes` by the first byte of their prefix: byte b's shapes are
    /// `shapeOrder[shapeStart[b]..<shapeStart[b + 1]]` (flat, so the hot path touches no nested array).
    let shapeStart: [Int32]
    let shapeOrder: [Int32]
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
    let password: Int
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
        var shapes: [Shape] = []
        var prefixes: [UInt8] = []
        for shape in rules.shapes {
            shapes.append(
                Shape(
                    prefixStart: Int32(prefixes.count), prefixCount: Int32(shape.prefix.count), minLength: Int32(shape.minLength),
                    maxLength: Int32(shape.maxLength), charset: shape.charset, caseInsensitive: shape.caseInsensitive,
                    rule: Int32(intern(shape.rule))
                )
            )
            prefixes += shape.prefix
        }
        self.shapes = shapes
        shapePrefixes = prefixes
        var buckets = [[Int]](repeating: [], count: 256)
        for (i, shape) in rules.shapes.enumerated() {
            let first = shape.prefix[0]
            buckets[Int(first)].append(i)
            if shape.caseInsensitive, first >= UInt8(ascii: "a"), first <= UInt8(ascii: "z") {
                buckets[Int(first & ~0x20)].append(i)
            }
        }
        var start: [Int32] = []
        var order: [Int32] = []
        for bucket in buckets {
            start.append(Int32(order.count))
            order += bucket.map(Int32.init)
        }
        start.append(Int32(order.count))
        shapeStart = start
        shapeOrder = order
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
        password = field("password")
        unprocessable = intern("unprocessable")
        limits = rules.limits

        ruleNames = names
        markers = names.map { Redactor.marker(rule: $0) }
        markerBytes = markers.map { Array($0.utf8) }
        var anyValue = [Bool](repeating: false, count: names.count)
        for rule in rules.fieldRules where rule.redactsAnyInlineValue { anyValue[index[rule.name]!] = true }
        redactsAnyInlineValue = anyValue
        var numbers = anyValue
        if let card = index["card-number"] { numbers[card] = true }
        redactsNumbers = numbers
    }

    /// The end of shape `k`'s match starting at `start`, if it matches there.
    @inline(__always)
    func matchShape(_ k: Int, in text: UnsafeBufferPointer<UInt8>, at start: Int) -> Int? {
        let shape = shapes[k]
        let prefixCount = Int(shape.prefixCount)
        let tailStart = start + prefixCount
        guard tailStart < text.count else { return nil }
        let matched = shapePrefixes.withUnsafeBufferPointer { prefixes in
            let base = Int(shape.prefixStart)
            for i in 0..<prefixCount {
                var byte = text[start + i]
                if shape.caseInsensitive, byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z") { byte |= 0x20 }
                if byte != prefixes[base + i] { return false }
            }
            return true
        }
        guard matched else { return nil }
        let maxLength = Int(shape.maxLength)
        var end = tailStart
        let limit = min(text.count, tailStart + maxLength + 1)
        while end < limit, shape.charset.contains(text[end]) { end += 1 }
        // Trailing dots and hyphens end sentences and lists more often than they end keys.
        while end > tailStart, text[end - 1] == UInt8(ascii: ".") || text[end - 1] == UInt8(ascii: "-") { end -= 1 }
        let length = end - tailStart
        guard length >= Int(shape.minLength), length <= maxLength else { return nil }
        return end
    }
}
