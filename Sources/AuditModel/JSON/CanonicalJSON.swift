/// The RFC 8785 JSON Canonicalization Scheme (JCS): the one byte sequence a record is hashed as.
///
/// - Object members are written in UTF-16 code-unit order of their names (``JSONObject`` keeps them so).
/// - Strings are written as UTF-8 with only `"`, `\` and control characters escaped; control characters
///   use the short escapes `\b \t \n \f \r` where they exist and `\u00xx` (lowercase hex) otherwise.
/// - Numbers are written as ECMAScript's `Number.prototype.toString` writes them.
/// - No whitespace.
///
/// Anyone can recompute a record's canonical bytes with a JCS library in another language; for the
/// data the store holds (no floats beyond ±2^53, no lone surrogates) Python's
/// `json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)` gives the same bytes,
/// except for non-integral numbers and names outside the Basic Multilingual Plane (see docs/formats.md).
public enum CanonicalJSON {
    /// The canonical encoding of a value.
    public static func encode(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        encode(value, into: &out)
        return out
    }

    /// Appends the canonical encoding of a value.
    public static func encode(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .array, .object:
            var buffer = Buffer(capacity: 512)
            write(value, to: &buffer)
            buffer.append(to: &out)
        default:
            write(value, to: &out)
        }
    }

    static func write<Out: Output & ~Copyable>(_ value: JSONValue, to out: inout Out) {
        switch value {
        case .null: append("null", to: &out)
        case .bool(let b): append(b ? "true" : "false", to: &out)
        case .number(let n): writeNumber(n, to: &out)
        case .string(let s): writeString(s, to: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(element, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            write(object, to: &out)
        }
    }

    /// Appends the canonical encoding of an object.
    public static func encode(_ object: JSONObject, into out: inout [UInt8]) {
        var buffer = Buffer(capacity: 512)
        write(object, to: &buffer)
        buffer.append(to: &out)
    }

    static func write<Out: Output & ~Copyable>(_ object: JSONObject, to out: inout Out) {
        out.append(UInt8(ascii: "{"))
        for (i, member) in object.members.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            writeString(member.key, to: &out)
            out.append(UInt8(ascii: ":"))
            write(member.value, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// The canonical encoding as a `String`.
    public static func string(_ value: JSONValue) -> String {
        String(decoding: encode(value), as: UTF8.self)
    }

    @inline(__always)
    private static func append<Out: Output & ~Copyable>(_ literal: StaticString, to out: inout Out) {
        out.appendBytes(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends a string literal with JCS escaping.
    public static func appendString(_ string: String, to out: inout [UInt8]) {
        writeString(string, to: &out)
    }

    static func writeString<Out: Output & ~Copyable>(_ string: String, to out: inout Out) {
        out.append(UInt8(ascii: "\""))
        if string.utf8.withContiguousStorageIfAvailable({ appendEscaped($0, to: &out) }) == nil {
            var copy = string
            copy.withUTF8 { appendEscaped($0, to: &out) }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Copies UTF-8 with JCS escaping of `"`, `\` and control characters.
    private static func appendEscaped<Out: Output & ~Copyable>(_ utf8: UnsafeBufferPointer<UInt8>, to out: inout Out) {
        var runStart = 0
        for i in 0..<utf8.count {
            let byte = utf8[i]
            guard byte < 0x20 || byte == 0x22 || byte == 0x5C else { continue }
            out.appendBytes(UnsafeBufferPointer(rebasing: utf8[runStart..<i]))
            runStart = i + 1
            out.append(UInt8(ascii: "\\"))
            switch byte {
            case 0x22: out.append(0x22)
            case 0x5C: out.append(0x5C)
            case 0x08: out.append(UInt8(ascii: "b"))
            case 0x09: out.append(UInt8(ascii: "t"))
            case 0x0A: out.append(UInt8(ascii: "n"))
            case 0x0C: out.append(UInt8(ascii: "f"))
            case 0x0D: out.append(UInt8(ascii: "r"))
            default:
                append("u00", to: &out)
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0xF)])
            }
        }
        out.appendBytes(UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count]))
    }

    /// Appends a number as ECMAScript's `Number.prototype.toString` (ECMA-262 7.1.12.1) writes it.
    public static func appendNumber(_ value: Double, to out: inout [UInt8]) {
        writeNumber(value, to: &out)
    }

    static func writeNumber<Out: Output & ~Copyable>(_ value: Double, to out: inout Out) {
        precondition(value.isFinite, "JSON numbers are finite")
        if value == 0 {
            out.append(UInt8(ascii: "0"))
            return
        }
        if value.rounded(.towardZero) == value, abs(value) < 9.2e18 {
            writeInteger(Int64(value), to: &out)
            return
        }
        // Swift's description yields the shortest digits that round-trip, as ECMAScript requires;
        // only the layout differs, so take the digits and exponent from it and lay them out again.
        let (negative, digits, exponent) = shortestDigits(value)
        var text: [UInt8] = []
        text.reserveCapacity(digits.count + 8)
        if negative { text.append(UInt8(ascii: "-")) }
        let k = digits.count
        let n = exponent
        if k <= n && n <= 21 {
            text.append(contentsOf: digits)
            text.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: n - k))
        } else if 0 < n && n <= 21 {
            text.append(contentsOf: digits[0..<n])
            text.append(UInt8(ascii: "."))
            text.append(contentsOf: digits[n...])
        } else if -6 < n && n <= 0 {
            text.append(contentsOf: [UInt8(ascii: "0"), UInt8(ascii: ".")])
            text.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: -n))
            text.append(contentsOf: digits)
        } else {
            text.append(digits[0])
            if k > 1 {
                text.append(UInt8(ascii: "."))
                text.append(contentsOf: digits[1...])
            }
            text.append(UInt8(ascii: "e"))
            text.append(n - 1 >= 0 ? UInt8(ascii: "+") : UInt8(ascii: "-"))
            text.append(contentsOf: String(abs(n - 1)).utf8)
        }
        text.withUnsafeBufferPointer { out.appendBytes($0) }
    }

    /// Writes an integer's decimal digits straight into `out`.
    static func writeInteger<Out: Output & ~Copyable>(_ value: Int64, to out: inout Out) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        writeDigits(value.magnitude, minimumWidth: 1, to: &out)
    }

    /// Appends the decimal digits of `value`, zero-padded to `minimumWidth` (at most 24) digits: a JSON
    /// integer when `minimumWidth` is 1.
    public static func appendDecimal(_ value: UInt64, minimumWidth: Int = 1, to out: inout [UInt8]) {
        writeDigits(value, minimumWidth: minimumWidth, to: &out)
    }

    @inline(__always)
    private static func writeDigits<Out: Output & ~Copyable>(_ value: UInt64, minimumWidth: Int, to out: inout Out) {
        var magnitude = value
        // 24 bytes: UInt64.max has 20 digits.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[23 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            while count < min(minimumWidth, 24) {
                buffer[23 - count] = UInt8(ascii: "0")
                count += 1
            }
            out.appendBytes(UnsafeRawBufferPointer(rebasing: buffer[(24 - count)...]).assumingMemoryBound(to: UInt8.self))
        }
    }

    /// The shortest round-trip decimal digits `d1...dk` and exponent `n` with value = 0.d1...dk × 10^n.
    static func shortestDigits(_ value: Double) -> (negative: Bool, digits: [UInt8], exponent: Int) {
        var text = Array(abs(value).description.utf8)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            exponent = Int(String(decoding: text[(e + 1)...], as: UTF8.self))!
            text.removeSubrange(e...)
        }
        var pointPosition = text.count
        if let dot = text.firstIndex(of: UInt8(ascii: ".")) {
            pointPosition = dot
            text.remove(at: dot)
        }
        // Value = 0.text × 10^(pointPosition + exponent), before trimming zeros.
        var n = pointPosition + exponent
        while let first = text.first, first == UInt8(ascii: "0") {
            text.removeFirst()
            n -= 1
        }
        while let last = text.last, last == UInt8(ascii: "0") {
            text.removeLast()
        }
        return (value < 0, text, n)
    }
}

extension CanonicalJSON {
    /// A set of paths to mark while encoding, prepared once (a small trie of member names).
    public struct PathMarks: Sendable {
        struct Node: Sendable {
            var names: [String] = []
            var children: [Node] = []
            /// For each name: the index of the path that ends there, if any.
            var terminals: [Int?] = []
        }

        let root: Node
        public let count: Int

        /// - Parameter paths: paths as component lists (`["actor", "id"]`), nested through objects only.
        public init(_ paths: [[String]]) {
            func build(_ entries: [(components: ArraySlice<String>, index: Int)]) -> Node {
                var node = Node()
                for name in entries.compactMap(\.components.first) where !node.names.contains(name) {
                    let here = entries.filter { $0.components.first == name }
                    node.names.append(name)
                    node.terminals.append(here.first { $0.components.count == 1 }?.index)
                    node.children.append(build(here.filter { $0.components.count > 1 }.map { ($0.components.dropFirst(), $0.index) }))
                }
                return node
            }
            root = build(paths.enumerated().filter { !$0.element.isEmpty }.map { ($0.element[...], $0.offset) })
            count = paths.count
        }
    }

    /// Encodes an object canonically and reports where the values at some paths landed.
    ///
    /// - Returns: for each path, the byte range of its value in `out`, or nil when the object has no
    ///   value (or `null`) there. The writer uses this to hash personal-data values and build a record's
    ///   sealed form by splicing, without encoding the record twice.
    ///
    /// - Parameter added: a member encoded as if it were in `object` (whose keys must not include its
    ///   key), in its place in key order: the writer adds an assigned id this way instead of copying
    ///   the event to insert it.
    public static func encode(
        _ object: JSONObject, adding added: JSONObject.Member? = nil, into out: inout [UInt8], marking marks: PathMarks
    ) -> [Range<Int>?] {
        var ranges = [Range<Int>?](repeating: nil, count: marks.count)
        var buffer = Buffer(capacity: 1024)
        if let added {
            assert(object[added.key] == nil, "the added member's key is already in the object")
            buffer.append(UInt8(ascii: "{"))
            var pending: JSONObject.Member? = added
            var written = 0
            for member in object.members {
                if let extra = pending, JSONObject.precedes(extra.key, member.key) {
                    encodeMember(extra, first: written == 0, into: &buffer, node: marks.root, ranges: &ranges)
                    written += 1
                    pending = nil
                }
                encodeMember(member, first: written == 0, into: &buffer, node: marks.root, ranges: &ranges)
                written += 1
            }
            if let extra = pending { encodeMember(extra, first: written == 0, into: &buffer, node: marks.root, ranges: &ranges) }
            buffer.append(UInt8(ascii: "}"))
        } else {
            encode(object, into: &buffer, node: marks.root, ranges: &ranges)
        }
        // The ranges were taken in the buffer; shift them to where it lands in `out`.
        let offset = out.count
        buffer.append(to: &out)
        return offset == 0 ? ranges : ranges.map { $0.map { ($0.lowerBound + offset)..<($0.upperBound + offset) } }
    }

    private static func encode(_ object: JSONObject, into out: inout Buffer, node: PathMarks.Node, ranges: inout [Range<Int>?]) {
        if node.names.isEmpty {
            write(object, to: &out)
            return
        }
        out.append(UInt8(ascii: "{"))
        for (i, member) in object.members.enumerated() {
            encodeMember(member, first: i == 0, into: &out, node: node, ranges: &ranges)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// One member of an object whose marks are `node`, preceded by a comma unless it is the first.
    @inline(__always)
    private static func encodeMember(
        _ member: JSONObject.Member, first: Bool, into out: inout Buffer, node: PathMarks.Node, ranges: inout [Range<Int>?]
    ) {
        if !first { out.append(UInt8(ascii: ",")) }
        writeString(member.key, to: &out)
        out.append(UInt8(ascii: ":"))
        guard let k = node.names.firstIndex(of: member.key) else {
            write(member.value, to: &out)
            return
        }
        let start = out.count
        if case .object(let child) = member.value {
            encode(child, into: &out, node: node.children[k], ranges: &ranges)
        } else {
            write(member.value, to: &out)
        }
        if let index = node.terminals[k], member.value != .null {
            ranges[index] = start..<out.count
        }
    }
}
