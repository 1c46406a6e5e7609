import AuditModel

/// One pass of a ``Redactor`` over one event: walks the tree, replaces what the rules match and
/// collects the report.
///
/// Values are read, not mutated, on the way down; a container is copied only when one of its
/// members changes, which keeps the common case (no secret) free of copies.
struct RedactionWalk {
    /// A step in a dropped value's path.
    enum PathComponent {
        case key(String)
        case index(Int)
    }

    let rules: CompiledRules
    let matcher: FieldNameMatcher
    /// Rule index → count, in the order rules first fired.
    private var counts: [(rule: Int, count: Int)] = []
    /// Dropped values' paths, innermost component first (built while returning up the tree).
    private var dropped: [[PathComponent]] = []

    init(rules: CompiledRules) {
        self.rules = rules
        self.matcher = rules.matcher
    }

    func report() -> RedactionReport {
        var report = RedactionReport()
        for (rule, count) in counts { report.note(rule: rules.ruleNames[rule], count: count) }
        report.dropped = dropped.map(Self.format)
        return report
    }

    private mutating func count(_ rule: Int, _ n: Int = 1) {
        if let i = counts.firstIndex(where: { $0.rule == rule }) {
            counts[i].count += n
        } else {
            counts.append((rule, n))
        }
    }

    private mutating func drop() -> JSONValue {
        dropped.append([])
        return .string(rules.markers[rules.unprocessable])
    }

    private mutating func prefixDropped(since start: Int, with component: PathComponent) {
        for i in start..<dropped.count { dropped[i].append(component) }
    }

    // MARK: Tree

    /// The redacted value, or nil when nothing in it changed.
    mutating func value(_ value: JSONValue, depth: Int) -> JSONValue? {
        switch value {
        case .string(let string):
            return self.string(string).map(JSONValue.string)
        case .number(let number):
            return cardNumber(number)
        case .object(let object):
            guard depth < rules.limits.maxDepth else { return drop() }
            return self.object(object, depth: depth + 1).map(JSONValue.object)
        case .array(let array):
            guard depth < rules.limits.maxDepth else { return drop() }
            return self.array(array, depth: depth + 1).map(JSONValue.array)
        case .null, .bool:
            return nil
        }
    }

    mutating func object(_ object: JSONObject, depth: Int) -> JSONObject? {
        var result: JSONObject?
        let pairRule = object.count <= 8 ? headerPairRule(object) : -1
        var renames: [(from: String, to: String)] = []
        // Borrowing the members from the buffer avoids retaining each name and value.
        object.members.withUnsafeBufferPointer { members in
            for index in members.indices {
                let key = members[index].key
                let before = dropped.count
                var replacement: JSONValue?
                var lookup = matcher.lookup(key)
                // A secret used as a member name (`{"sk_live_…": true}`) is renamed, and the new
                // name decides the value's fate, so that a second pass finds nothing more. Names on
                // the keep list are known not to be secrets.
                var renamed: String?
                if lookup == nil, key.utf8.count >= 12, let redactedKey = string(key) {
                    renamed = redactedKey
                    renames.append((key, redactedKey))
                    lookup = matcher.lookup(redactedKey)
                }
                if let match = lookup, match.rule >= 0 {
                    if match.isWeak {
                        if case .string(let string) = members[index].value, Self.looksRandom(string) {
                            replacement = .string(rules.markers[match.rule])
                            count(match.rule)
                        } else {
                            replacement = value(members[index].value, depth: depth)
                        }
                    } else if match.rule == rules.authorization, case .object = members[index].value {
                        // In payments an `authorization` object is a card authorization result
                        // (status, approval code, amount), not a credential: walk it instead.
                        replacement = value(members[index].value, depth: depth)
                    } else {
                        replacement = whole(members[index].value, rule: match.rule)
                    }
                } else if pairRule >= 0, Self.isPairValueKey(key) {
                    replacement = whole(members[index].value, rule: pairRule) ?? value(members[index].value, depth: depth)
                } else {
                    replacement = value(members[index].value, depth: depth)
                }
                if dropped.count > before { prefixDropped(since: before, with: .key(renamed ?? key)) }
                if let replacement {
                    if result == nil { result = object }
                    result![key] = replacement
                }
            }
        }
        guard !renames.isEmpty else { return result }
        var renamed = result ?? object
        for (from, to) in renames {
            let value = renamed[from]
            renamed[from] = nil
            if renamed[to] == nil {
                renamed[to] = value
            } else {
                // Two names redacted to the same marker: drop the later value rather than merge.
                dropped.append([.key(to)])
            }
        }
        return renamed
    }

    mutating func array(_ array: [JSONValue], depth: Int) -> [JSONValue]? {
        var result: [JSONValue]?
        for (i, element) in array.enumerated() {
            let before = dropped.count
            var replacement = value(element, depth: depth)
            // Flat header lists (`["Authorization", "Bearer …", "Cookie", "a=b"]`).
            if replacement == nil, i > 0, case .string(let name) = array[i - 1], case .string(let text) = element,
                name.utf8.count <= 40, Self.isHeaderName(name), let match = matcher.match(name), !match.isWeak, !Self.isBareIdentifier(text)
            {
                replacement = whole(element, rule: match.rule)
            }
            if dropped.count > before { prefixDropped(since: before, with: .index(i)) }
            if let replacement {
                if result == nil { result = array }
                result![i] = replacement
            }
        }
        return result
    }

    /// The marker for a whole value under a secret name; nil for values that hold nothing
    /// (null, booleans, empty strings and containers, existing markers).
    private mutating func whole(_ value: JSONValue, rule: Int) -> JSONValue? {
        switch value {
        case .null, .bool:
            return nil
        case .string(let string):
            if string.isEmpty || Self.isMarker(string) { return nil }
        case .array(let array):
            if array.isEmpty { return nil }
        case .object(let object):
            if object.isEmpty { return nil }
        case .number:
            if !rules.redactsNumbers[rule] { return nil }
        }
        count(rule)
        return .string(rules.markers[rule])
    }

    /// For `{name, value}` header and form-field lists: the rule named by the `name` member.
    private func headerPairRule(_ object: JSONObject) -> Int {
        for member in object.members {
            guard case .string(let name) = member.value, name.utf8.count <= 64 else { continue }
            guard member.key.utf8.withContiguousStorageIfAvailable(Self.isPairNameKey) ?? Self.isPairNameKey(Array(member.key.utf8)) else {
                continue
            }
            if let match = matcher.match(name), !match.isWeak { return match.rule }
        }
        return -1
    }

    /// The member names a `{name, value}` pair's name is read from.
    static func isPairNameKey(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
        switch key.count {
        case 3: ByteClass.equal(key, "key") || ByteClass.equal(key, "Key")
        case 4: ByteClass.equal(key, "name") || ByteClass.equal(key, "Name")
        case 5: ByteClass.equal(key, "field") || ByteClass.equal(key, "param")
        case 6: ByteClass.equal(key, "header") || ByteClass.equal(key, "Header")
        case 9: ByteClass.equal(key, "parameter")
        default: false
        }
    }

    private static func isPairNameKey(_ key: [UInt8]) -> Bool {
        key.withUnsafeBufferPointer(isPairNameKey)
    }

    private static func isPairValueKey(_ key: String) -> Bool {
        switch key {
        case "value", "values", "val", "content", "data", "Value", "Values": true
        default: false
        }
    }

    // MARK: Scalars

    /// A card number sent as a JSON number (13 to 16 digits, Luhn-valid, issuer digit 2–6).
    private mutating func cardNumber(_ number: Double) -> JSONValue? {
        guard rules.card >= 0, number >= 1e12, number < 1e16, number.rounded(.towardZero) == number else { return nil }
        var value = Int64(number)
        var digits: [Int] = []
        while value > 0 {
            digits.append(Int(value % 10))
            value /= 10
        }
        guard digits.count >= 13, let first = digits.last else { return nil }
        let issuer = digits.count == 13 ? first == 4 : digits.count == 14 ? [3, 5, 6].contains(first) : (2...6).contains(first)
        guard issuer else { return nil }
        var sum = 0
        for (i, digit) in digits.enumerated() {
            var d = digit
            if i % 2 == 1 {
                d *= 2
                if d > 9 { d -= 9 }
            }
            sum += d
        }
        guard sum % 10 == 0 else { return nil }
        count(rules.card)
        return .string(rules.markers[rules.card])
    }

    /// The string with its secrets replaced, or nil when it has none.
    mutating func string(_ string: String) -> String? {
        let length = string.utf8.count
        guard length >= 4 else { return nil }
        guard length <= rules.limits.maxStringBytes else { return drop().stringValue }
        if let result = string.utf8.withContiguousStorageIfAvailable({ scan($0) }) { return result }
        return Array(string.utf8).withUnsafeBufferPointer { scan($0) }
    }

    private mutating func scan(_ text: UnsafeBufferPointer<UInt8>) -> String? {
        let spans = TextScanner.spans(in: text, rules: rules)
        guard !spans.isEmpty else { return nil }
        return apply(spans, to: text)
    }

    /// Replaces the spans (merged where they overlap) with their rules' markers.
    private mutating func apply(_ spans: [TextScanner.Span], to text: UnsafeBufferPointer<UInt8>) -> String {
        let sorted = spans.count > 1 ? spans.sorted { $0.start != $1.start ? $0.start < $1.start : $0.end > $1.end } : spans
        var out: [UInt8] = []
        out.reserveCapacity(text.count + 32)
        var position = 0
        var i = 0
        while i < sorted.count {
            var current = sorted[i]
            i += 1
            while i < sorted.count, sorted[i].start < current.end {
                current.end = max(current.end, sorted[i].end)
                i += 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: text[position..<current.start]))
            out.append(contentsOf: rules.markerBytes[current.rule])
            count(current.rule)
            position = current.end
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: text[position..<text.count]))
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: Helpers

    static func isMarker(_ string: String) -> Bool {
        string.hasPrefix("[REDACTED:") && string.hasSuffix("]") && string.utf8.count <= 80
    }

    static func looksRandom(_ string: String) -> Bool {
        if let result = string.utf8.withContiguousStorageIfAvailable({ TextScanner.looksRandom($0) }) { return result }
        return Array(string.utf8).withUnsafeBufferPointer { TextScanner.looksRandom($0) }
    }

    /// Letters, digits, `-`, `_` and `.` only: a header or field name, not a `NAME=value` line.
    private static func isHeaderName(_ string: String) -> Bool {
        string.utf8.allSatisfy { TextScanner.isLabelByte($0) }
    }

    /// A lowercase identifier such as `email`: in a flat list it is another name, not a value.
    private static func isBareIdentifier(_ string: String) -> Bool {
        !string.isEmpty && string.utf8.allSatisfy { ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || $0 == UInt8(ascii: "_") }
    }

    private static func format(_ reversed: [PathComponent]) -> String {
        var path = ""
        for component in reversed.reversed() {
            switch component {
            case .index(let i):
                path += "[\(i)]"
            case .key(let key):
                if key.isEmpty || key.contains(where: { $0 == "." || $0 == "[" || $0 == "]" || $0 == "\"" }) {
                    path += "[" + CanonicalJSON.string(.string(key)) + "]"
                } else {
                    path += path.isEmpty ? key : "." + key
                }
            }
        }
        return path
    }
}
