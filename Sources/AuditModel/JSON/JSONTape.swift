#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A flat view of one JSON text that is already in the form most events arrive in: the values stay
/// where they are in the input, as byte ranges, and the canonical encoding is written by copying
/// those ranges in RFC 8785 member order.
///
/// It is a fast path, not a second parser: it accepts only a subset of JSON, one for which the
/// canonical encoding of every scalar is its input text or a prefix of it, and returns nil for everything else, so
/// that the caller parses that text with ``JSONParser`` (which gives the authoritative result or
/// error). What it accepts:
/// - strings without escapes or control characters; member names in ASCII, values in valid UTF-8;
/// - numbers whose ECMAScript form is a prefix of their text: integers of at most 15 digits other
///   than `-0`, and decimals without an exponent of at most 15 significant digits, at most five
///   zeros after `0.`, and trailing zeros (written without them: `9.0` is `9`, `2.50` is `2.5`);
/// - `true`, `false`, `null`, and nesting up to `maxDepth` levels.
/// Duplicate member names make ``encodeCanonical(into:)`` fail, like the parser.
///
/// For text it accepts, ``encodeCanonical(into:)`` writes exactly the bytes of
/// `CanonicalJSON.encode(JSONParser().parse(text))` (the tests compare the two on every sample
/// and on mutated input).
package struct JSONTape {
    package enum Kind: UInt8 {
        case object, array, string, number, literal
    }

    /// One value, or one member name, in document order. An object's entry is followed by each
    /// member's name (a string entry) and then its value's entries; an array's by its elements'.
    package struct Entry {
        package var kind: Kind
        /// For strings, set when the text has bytes outside ASCII.
        package var isASCII: Bool
        /// Scalars: the text's range in the input (a string's without its quotes, a number's
        /// canonical prefix).
        /// Containers: the offset of the opening bracket, and one past the closing one.
        package var start: Int32
        package var end: Int32
        /// Containers: how many members or elements.
        package var count: Int32
        /// The index of the entry after this value and everything inside it.
        package var next: Int32
    }

    package private(set) var entries: [Entry]
    package let bytes: UnsafeBufferPointer<UInt8>

    /// Reads `bytes` (which must outlive the tape), or returns nil when the text is not in the
    /// subset above, is not valid JSON, is longer than `maxBytes` or nests deeper than `maxDepth`.
    package init?(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int, maxBytes: Int) {
        guard bytes.count <= maxBytes, bytes.count < Int(Int32.max) else { return nil }
        self.bytes = bytes
        self.entries = []
        entries.reserveCapacity(64)
        guard read(maxDepth: maxDepth) else { return nil }
    }

    /// The range of an entry's text in the input.
    @inline(__always)
    package func text(_ entry: Entry) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[Int(entry.start)..<Int(entry.end)])
    }

    /// Whether the text is an object with a member of this name.
    package func hasTopLevelMember(_ name: StaticString) -> Bool {
        guard let root = entries.first, root.kind == .object else { return false }
        var member = 1
        for _ in 0..<Int(root.count) {
            if text(entries[member]).equals(name) { return true }
            member = Int(entries[member + 1].next)
        }
        return false
    }

    // MARK: Reading

    /// Whether the whole input is one value in the subset.
    private mutating func read(maxDepth: Int) -> Bool {
        // The open containers' entries, on the stack for the usual depth (an array here was one of the
        // few allocations per ingested line).
        let capacity = max(1, min(maxDepth, bytes.count))
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: capacity) { read(maxDepth: min(maxDepth, capacity), open: OpenContainers(storage: $0)) }
    }

    /// A stack of entry indices in caller-provided storage.
    private struct OpenContainers {
        let storage: UnsafeMutableBufferPointer<Int>
        var count = 0

        var last: Int? { count > 0 ? storage[count - 1] : nil }

        mutating func append(_ index: Int) {
            storage[count] = index
            count += 1
        }

        mutating func removeLast() -> Int {
            count -= 1
            return storage[count]
        }
    }

    private mutating func read(maxDepth: Int, open: OpenContainers) -> Bool {
        var open = open
        let n = bytes.count
        var i = Self.skipSpace(bytes, 0)
        value: while true {
            guard i < n else { return false }
            let byte = bytes[i]
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard open.count < maxDepth else { return false }
                let isObject = byte == UInt8(ascii: "{")
                entries.append(Entry(kind: isObject ? .object : .array, isASCII: true, start: Int32(i), end: 0, count: 0, next: 0))
                open.append(entries.count - 1)
                i = Self.skipSpace(bytes, i + 1)
                guard i < n else { return false }
                if bytes[i] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    i += 1
                    close(open.removeLast(), at: i)
                } else {
                    entries[open.last!].count = 1
                    if isObject {
                        guard let next = readName(at: i) else { return false }
                        i = next
                    }
                    continue value
                }
            case UInt8(ascii: "\""):
                guard let next = readString(at: i) else { return false }
                i = next
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard let next = readNumber(at: i) else { return false }
                i = next
            case UInt8(ascii: "t"):
                guard let next = readLiteral("true", at: i) else { return false }
                i = next
            case UInt8(ascii: "f"):
                guard let next = readLiteral("false", at: i) else { return false }
                i = next
            case UInt8(ascii: "n"):
                guard let next = readLiteral("null", at: i) else { return false }
                i = next
            default:
                return false
            }
            // After a value: the next member or element, or the end of containers.
            while true {
                i = Self.skipSpace(bytes, i)
                guard let top = open.last else { return i == n }
                guard i < n else { return false }
                let isObject = entries[top].kind == .object
                switch bytes[i] {
                case UInt8(ascii: ","):
                    entries[top].count += 1
                    i = Self.skipSpace(bytes, i + 1)
                    if isObject {
                        guard let next = readName(at: i) else { return false }
                        i = next
                    }
                    continue value
                case UInt8(ascii: "}") where isObject, UInt8(ascii: "]") where !isObject:
                    i += 1
                    close(open.removeLast(), at: i)
                default:
                    return false
                }
            }
        }
    }

    private mutating func close(_ index: Int, at end: Int) {
        entries[index].end = Int32(end)
        entries[index].next = Int32(entries.count)
    }

    /// A member name, the colon and the space up to its value.
    private mutating func readName(at start: Int) -> Int? {
        guard start < bytes.count, bytes[start] == UInt8(ascii: "\""), let end = readString(at: start), entries[entries.count - 1].isASCII else {
            return nil
        }
        let colon = Self.skipSpace(bytes, end)
        guard colon < bytes.count, bytes[colon] == UInt8(ascii: ":") else { return nil }
        return Self.skipSpace(bytes, colon + 1)
    }

    private mutating func readString(at quote: Int) -> Int? {
        let n = bytes.count
        var i = quote + 1
        var high: UInt8 = 0
        // Eight bytes at a time while none is a quote, a backslash, a control character or past ASCII.
        let base = UnsafeRawPointer(bytes.baseAddress!)
        while i + 8 <= n {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let special = Self.specialBytes(word)
            if special != 0 {
                // The lowest flagged byte is the first special one (flags above it may be false).
                i += special.trailingZeroBitCount / 8
                break
            }
            i += 8
        }
        while i < n {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") { break }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            high |= byte
            i += 1
        }
        guard i < n else { return nil }
        let isASCII = high < 0x80
        if !isASCII, !Self.isValidUTF8(UnsafeBufferPointer(rebasing: bytes[(quote + 1)..<i])) { return nil }
        entries.append(Entry(kind: .string, isASCII: isASCII, start: Int32(quote + 1), end: Int32(i), count: 0, next: Int32(entries.count + 1)))
        return i + 1
    }

    /// Numbers whose canonical form is their text; anything else is left to the parser.
    private mutating func readNumber(at start: Int) -> Int? {
        let n = bytes.count
        var i = start
        let negative = bytes[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        guard i < n, Self.isDigit(bytes[i]) else { return nil }
        let integerStart = i
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            while i < n, Self.isDigit(bytes[i]) { i += 1 }
        }
        let integerDigits = i - integerStart
        let isZero = integerDigits == 1 && bytes[integerStart] == UInt8(ascii: "0")
        // The canonical text is a prefix of the input: trailing zeros of a fraction, and a point
        // left with no digits after it, are dropped (`9.0` is `9`, `2.50` is `2.5`).
        var canonicalEnd = i
        if i < n, bytes[i] == UInt8(ascii: ".") {
            i += 1
            let fractionStart = i
            while i < n, Self.isDigit(bytes[i]) { i += 1 }
            guard i > fractionStart else { return nil }
            var fractionEnd = i
            while fractionEnd > fractionStart, bytes[fractionEnd - 1] == UInt8(ascii: "0") { fractionEnd -= 1 }
            if fractionEnd > fractionStart {
                canonicalEnd = fractionEnd
                var significant = fractionEnd - fractionStart
                if isZero {
                    var zeros = 0
                    while bytes[fractionStart + zeros] == UInt8(ascii: "0") { zeros += 1 }
                    guard zeros <= 5 else { return nil }
                    significant -= zeros
                } else {
                    significant += integerDigits
                }
                guard significant <= 15 else { return nil }
            }
        }
        // `-0` (also `-0.0`) is written `0`, which is not a prefix.
        guard integerDigits <= 15, !(negative && isZero && canonicalEnd == integerStart + 1) else { return nil }
        if i < n, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") || Self.isDigit(bytes[i]) { return nil }
        entries.append(Entry(kind: .number, isASCII: true, start: Int32(start), end: Int32(canonicalEnd), count: 0, next: Int32(entries.count + 1)))
        return i
    }

    private mutating func readLiteral(_ literal: StaticString, at start: Int) -> Int? {
        let count = literal.utf8CodeUnitCount
        guard start + count <= bytes.count else { return nil }
        for k in 0..<count where bytes[start + k] != literal.utf8Start[k] { return nil }
        entries.append(Entry(kind: .literal, isASCII: true, start: Int32(start), end: Int32(start + count), count: 0, next: Int32(entries.count + 1)))
        return start + count
    }

    @inline(__always)
    private static func skipSpace(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int {
        var i = start
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x0A, 0x0D, 0x09: i += 1
            default: return i
            }
        }
        return i
    }

    /// The high bit of each byte of `word` (little-endian) that may be `"`, `\\`, below 0x20 or 0x80 and
    /// above; zero when none is. SWAR: a byte's high bit survives `x - 0x01…` only where the byte was
    /// zero (each test makes the byte it looks for zero), and `x - 0x20…` sets it where the byte was
    /// below 0x20. A borrow can flag bytes above a flagged one, never below it, so the lowest flag is
    /// exact.
    @inline(__always)
    private static func specialBytes(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let zeroQuote = (quote &- ones) & ~quote
        let zeroBackslash = (backslash &- ones) & ~backslash
        let control = word &- (ones &* 0x20)
        return (zeroQuote | zeroBackslash | control | word) & highs
    }

    @inline(__always)
    private static func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    /// Well-formed UTF-8 (Unicode 15, table 3-7): no overlong forms, surrogates or values past U+10FFFF.
    static func isValidUTF8(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = text.count
        var i = 0
        @inline(__always) func continuation(_ k: Int) -> Bool { k < n && text[k] & 0xC0 == 0x80 }
        while i < n {
            let lead = text[i]
            if lead < 0x80 {
                i += 1
            } else if lead < 0xC2 {
                return false
            } else if lead < 0xE0 {
                guard continuation(i + 1) else { return false }
                i += 2
            } else if lead < 0xF0 {
                guard i + 1 < n else { return false }
                let second = text[i + 1]
                let low: UInt8 = lead == 0xE0 ? 0xA0 : 0x80
                let high: UInt8 = lead == 0xED ? 0x9F : 0xBF
                guard second >= low, second <= high, continuation(i + 2) else { return false }
                i += 3
            } else if lead < 0xF5 {
                guard i + 1 < n else { return false }
                let second = text[i + 1]
                let low: UInt8 = lead == 0xF0 ? 0x90 : 0x80
                let high: UInt8 = lead == 0xF4 ? 0x8F : 0xBF
                guard second >= low, second <= high, continuation(i + 2), continuation(i + 3) else { return false }
                i += 4
            } else {
                return false
            }
        }
        return true
    }

    // MARK: Canonical encoding

    /// Appends the RFC 8785 encoding of the text; false (with `out` unchanged) when an object
    /// repeats a member name.
    package func encodeCanonical(into out: inout [UInt8]) -> Bool {
        guard let canonical = canonicalBytes() else { return false }
        out.append(contentsOf: canonical)
        return true
    }

    /// The RFC 8785 encoding of the text, or nil when an object repeats a member name.
    package func canonicalBytes() -> [UInt8]? {
        canonicalBytes(recordingMembers: false)?.bytes
    }

    /// ``canonicalBytes()``, with where each top-level member's name (without its quotes) and value are
    /// in them, in their order: what a reader of the bytes would otherwise scan for.
    package func canonicalBytesAndMembers() -> (bytes: [UInt8], members: [(key: Range<Int>, value: Range<Int>)])? {
        canonicalBytes(recordingMembers: true)
    }

    private func canonicalBytes(recordingMembers: Bool) -> (bytes: [UInt8], members: [(key: Range<Int>, value: Range<Int>)])? {
        // The canonical form is never longer than the text: it copies every byte it writes from the
        // text (brackets, separators, strings, a prefix of each number) and drops the whitespace.
        var complete = true
        var members: [(key: Range<Int>, value: Range<Int>)] = []
        let out = [UInt8](unsafeUninitializedCapacity: bytes.count) { buffer, count in
            var writer = Writer(start: buffer.baseAddress!, recordsMembers: recordingMembers)
            complete = entries.withUnsafeBufferPointer { entries in encode(0, entries, &writer) }
            count = complete ? writer.next - buffer.baseAddress! : 0
            members = writer.members
        }
        return complete ? (out, members) : nil
    }

    /// Writes into space known to be large enough.
    private struct Writer {
        let start: UnsafeMutablePointer<UInt8>
        var next: UnsafeMutablePointer<UInt8>
        /// Set: the top-level object's members go into `members`.
        let recordsMembers: Bool
        var members: [(key: Range<Int>, value: Range<Int>)] = []

        init(start: UnsafeMutablePointer<UInt8>, recordsMembers: Bool) {
            self.start = start
            self.next = start
            self.recordsMembers = recordsMembers
        }

        var offset: Int { next - start }

        @inline(__always)
        mutating func byte(_ byte: UInt8) {
            next.pointee = byte
            next += 1
        }

        @inline(__always)
        mutating func copy(_ text: UnsafeBufferPointer<UInt8>) {
            guard let base = text.baseAddress else { return }
            let count = text.count
            // Most texts are a few to a few dozen bytes: eight at a time, the last eight overlapping,
            // instead of a call to memmove each.
            if count >= 8, count <= 64 {
                let source = UnsafeRawPointer(base), target = UnsafeMutableRawPointer(next)
                var i = 0
                while i + 8 < count {
                    target.storeBytes(of: source.loadUnaligned(fromByteOffset: i, as: UInt64.self), toByteOffset: i, as: UInt64.self)
                    i += 8
                }
                target.storeBytes(of: source.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self), toByteOffset: count - 8, as: UInt64.self)
            } else if count < 8 {
                for i in 0..<count { next[i] = base[i] }
            } else {
                next.update(from: base, count: count)
            }
            next += count
        }
    }

    private func encode(_ index: Int, _ entries: UnsafeBufferPointer<Entry>, _ out: inout Writer) -> Bool {
        let entry = entries[index]
        switch entry.kind {
        case .string:
            out.byte(UInt8(ascii: "\""))
            out.copy(text(entry))
            out.byte(UInt8(ascii: "\""))
            return true
        case .number, .literal:
            out.copy(text(entry))
            return true
        case .array:
            out.byte(UInt8(ascii: "["))
            var element = index + 1
            for k in 0..<Int(entry.count) {
                if k > 0 { out.byte(UInt8(ascii: ",")) }
                guard encode(element, entries, &out) else { return false }
                element = Int(entries[element].next)
            }
            out.byte(UInt8(ascii: "]"))
            return true
        case .object:
            let count = Int(entry.count)
            return withUnsafeTemporaryAllocation(of: SortKey.self, capacity: max(count, 1)) { keys in
                // Member names' entries with their first eight bytes as one number, sorted by the names'
                // bytes (for ASCII names, UTF-16 order): by the numbers first, the bytes only on a tie.
                var name = index + 1
                for k in 0..<count {
                    keys[k] = SortKey(prefix: prefix(entries[name]), entry: Int32(name))
                    name = Int(entries[name + 1].next)
                }
                var sorted = UnsafeMutableBufferPointer(rebasing: keys[0..<count])
                func before(_ a: SortKey, _ b: SortKey) -> Bool {
                    a.prefix < b.prefix || (a.prefix == b.prefix && precedes(entries[Int(a.entry)], entries[Int(b.entry)]))
                }
                if count <= 24 {
                    for k in 1..<max(count, 1) {
                        let current = sorted[k]
                        var j = k
                        while j > 0, before(current, sorted[j - 1]) {
                            sorted[j] = sorted[j - 1]
                            j -= 1
                        }
                        sorted[j] = current
                    }
                } else {
                    sorted.sort(by: before)
                }
                out.byte(UInt8(ascii: "{"))
                let recording = index == 0 && out.recordsMembers
                if recording { out.members.reserveCapacity(count) }
                for k in 0..<count {
                    let key = entries[Int(sorted[k].entry)]
                    if k > 0 {
                        // Sorted, so names with different prefixes are in order; equal prefixes are
                        // compared in full (two members of one name are refused).
                        guard sorted[k - 1].prefix != sorted[k].prefix || precedes(entries[Int(sorted[k - 1].entry)], key) else { return false }
                        out.byte(UInt8(ascii: ","))
                    }
                    out.byte(UInt8(ascii: "\""))
                    let keyStart = out.offset
                    out.copy(text(key))
                    let keyEnd = out.offset
                    out.byte(UInt8(ascii: "\""))
                    out.byte(UInt8(ascii: ":"))
                    let valueStart = out.offset
                    guard encode(Int(sorted[k].entry) + 1, entries, &out) else { return false }
                    if recording { out.members.append((keyStart..<keyEnd, valueStart..<out.offset)) }
                }
                out.byte(UInt8(ascii: "}"))
                return true
            }
        }
    }

    /// A member name's entry and its first eight bytes as a number (``prefix(_:)``), for sorting.
    private struct SortKey {
        var prefix: UInt64
        var entry: Int32
    }

    /// A name's first eight bytes as a big-endian number, zero-padded: names whose prefixes differ are
    /// in the order of their prefixes (a name has no zero byte, so a shorter one that is a prefix of a
    /// longer one gets the smaller number).
    @inline(__always)
    private func prefix(_ entry: Entry) -> UInt64 {
        let length = Int(entry.end - entry.start)
        let start = Int(entry.start)
        var value: UInt64 = 0
        if length >= 8 || start + 8 <= bytes.count {
            value = UInt64(bigEndian: UnsafeRawPointer(bytes.baseAddress! + start).loadUnaligned(as: UInt64.self))
            if length < 8 { value &= ~(UInt64.max >> (8 * length)) }
        } else {
            for i in 0..<length { value |= UInt64(bytes[start + i]) << (56 - 8 * i) }
        }
        return value
    }

    /// Byte order of two ASCII member names.
    @inline(__always)
    private func precedes(_ a: Entry, _ b: Entry) -> Bool {
        let lengthA = Int(a.end - a.start)
        let lengthB = Int(b.end - b.start)
        let common = min(lengthA, lengthB)
        let pa = bytes.baseAddress! + Int(a.start)
        let pb = bytes.baseAddress! + Int(b.start)
        var i = 0
        while i < common {
            if pa[i] != pb[i] { return pa[i] < pb[i] }
            i += 1
        }
        return lengthA < lengthB
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// Whether these bytes are the UTF-8 of `literal`.
    @inline(__always)
    package func equals(_ literal: StaticString) -> Bool {
        count == literal.utf8CodeUnitCount && (count == 0 || memcmp(baseAddress!, literal.utf8Start, count) == 0)
    }
}
