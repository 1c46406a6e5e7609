#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AuditCrypto
import AuditModel

extension Record {
    /// The digest of a stored line computed straight from its bytes, without building a JSON tree: the
    /// verifier's fast path.
    ///
    /// It walks the canonical line once to find `seq`, the `pd` list and the byte ranges of the
    /// personal-data values inside `event`, then hashes the line with each value's range replaced by its
    /// commitment, which is the sealed form exactly when the line is canonical. Returns nil, so that the
    /// caller takes the general path (``init(stored:)`` and ``digest(leafKey:)``), for anything unusual:
    /// `erased` or `salts` members, a record member name or `pd` path with escapes, or a shape that is not a
    /// record. (The event's member names may have escapes: they are compared as written, which in canonical
    /// JSON is one spelling per name, and a `pd` path read here has none.)
    ///
    /// Sound for verification: the hash covers every byte of the line outside the personal-data values,
    /// and each value through its salted commitment, so any change to the line changes the digest.
    package static func fastDigest(line: UnsafeRawBufferPointer, firstSeq: UInt64, leafKey: (Int) -> SHA256Digest?) -> (seq: UInt64, digest: SHA256Digest, event: Range<Int>, members: RawEvent)? {
        guard let parsed = fastParse(line: line, firstSeq: firstSeq) else { return nil }
        guard !parsed.personalData.isEmpty else { return (parsed.seq, SHA256.hash(line), parsed.event, parsed.members) }
        guard let leaf = leafKey(Int(parsed.seq - firstSeq)) else { return nil }
        let spans = parsed.personalData.map { value, path in
            let salt = leaf.withUnsafeBytes { leaf in
                withUnsafeBytes(of: UInt8(2)) { SHA256.hash(leaf, $0, UnsafeRawBufferPointer(rebasing: line[path])) }
            }
            return (value: value, salt: salt)
        }
        guard let digest = sealedDigest(of: line, commitments: spans) else { return nil }
        return (parsed.seq, digest, parsed.event, parsed.members)
    }

    /// What ``fastDigest(line:firstSeq:leafKey:)`` reads from a line before hashing it.
    package struct FastParse {
        package var seq: UInt64
        package var event: Range<Int>
        package var members: RawEvent
        /// Each personal-data value's range in the line and its path's (the bytes between the quotes
        /// of its `pd` entry, which has no escapes), sorted by the value's offset.
        package var personalData: [(value: Range<Int>, path: Range<Int>)]
    }

    /// The members of a canonical record line that its digest needs, found in one walk; nil (the
    /// general path decides) for anything unusual, as ``fastDigest(line:firstSeq:leafKey:)`` says.
    package static func fastParse(line: UnsafeRawBufferPointer, firstSeq: UInt64) -> FastParse? {
        var scanner = RawJSON(bytes: line.bindMemory(to: UInt8.self))
        guard scanner.consume(UInt8(ascii: "{")) else { return nil }
        var eventRange: Range<Int>?
        var eventMembers: RawEvent?
        var pdPaths: [Range<Int>] = []
        pdPaths.reserveCapacity(8)
        var seq: UInt64?
        var sawVersion = false
        repeat {
            guard let key = scanner.plainString() else { return nil }
            guard scanner.consume(UInt8(ascii: ":")) else { return nil }
            let start = scanner.index
            if scanner.bytes(key, equal: "event") {
                guard let found = RawEvent(scanning: &scanner) else { return nil }
                eventMembers = found
                eventRange = start..<scanner.index
            } else if scanner.bytes(key, equal: "pd") {
                guard scanner.consume(UInt8(ascii: "[")) else { return nil }
                repeat {
                    guard let path = scanner.plainString() else { return nil }
                    pdPaths.append(path)
                } while scanner.consume(UInt8(ascii: ","))
                guard scanner.consume(UInt8(ascii: "]")) else { return nil }
            } else if scanner.bytes(key, equal: "redaction") {
                guard scanner.skipValue() else { return nil }
            } else if scanner.bytes(key, equal: "seq") {
                guard let n = scanner.unsignedInteger() else { return nil }
                seq = n
            } else if scanner.bytes(key, equal: "v") {
                guard scanner.unsignedInteger() == 1 else { return nil }
                sawVersion = true
            } else {
                return nil  // erased, salts, or unknown: the general path decides.
            }
        } while scanner.consume(UInt8(ascii: ","))
        guard scanner.consume(UInt8(ascii: "}")), scanner.index == line.count, sawVersion, let seq, let eventRange, seq >= firstSeq else {
            return nil
        }
        guard let members = eventMembers else { return nil }
        // Locate each personal-data value inside the event object.
        var spans: [(value: Range<Int>, path: Range<Int>)] = []
        spans.reserveCapacity(pdPaths.count)
        for path in pdPaths {
            guard let value = members.locate(path: path, line: line) else { return nil }
            spans.append((value, path))
        }
        spans.sort { $0.value.lowerBound < $1.value.lowerBound }
        // Overlapping values (one path inside another) have no sealed form this path can build.
        for i in spans.indices.dropFirst() where spans[i].value.lowerBound < spans[i - 1].value.upperBound { return nil }
        return FastParse(seq: seq, event: eventRange, members: members, personalData: spans)
    }

    /// The digest of a record's sealed form: `line` with each personal-data value (`spans`, sorted by
    /// offset, not overlapping) replaced by its commitment `"commit:<hex SHA-256(salt ‖ value bytes)>"`.
    /// Nil when the spans overlap.
    static func sealedDigest(of line: UnsafeRawBufferPointer, commitments spans: [(value: Range<Int>, salt: SHA256Digest)]) -> SHA256Digest? {
        var hasher = SHA256()
        var cursor = 0
        // `"commit:` + 64 hex digits + `"`, rewritten in place for each value (on the stack).
        let template = Record.commitmentTemplate
        let complete = template.withUnsafeBufferPointer { template in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: template.count) { replacement -> Bool in
                _ = replacement.initialize(fromContentsOf: template)
                for span in spans {
                    guard span.value.lowerBound >= cursor else { return false }
                    hasher.update(UnsafeRawBufferPointer(rebasing: line[cursor..<span.value.lowerBound]))
                    let commitment = span.salt.withUnsafeBytes { SHA256.hash($0, UnsafeRawBufferPointer(rebasing: line[span.value])) }
                    Record.fillCommitment(commitment, into: replacement)
                    hasher.update(UnsafeRawBufferPointer(replacement))
                    cursor = span.value.upperBound
                }
                return true
            }
        }
        guard complete else { return nil }
        hasher.update(UnsafeRawBufferPointer(rebasing: line[cursor...]))
        return hasher.digest()
    }
}

extension Record {
    /// A personal-data value's sealed form as it appears in a line, the 64 hex digits still to be filled in.
    static let commitmentTemplate = Array(("\"" + Record.commitmentPrefix).utf8) + [UInt8](repeating: UInt8(ascii: "\""), count: 65)

    /// Writes `commitment`'s 64 hex digits into `text`, a copy of ``commitmentTemplate``.
    static func fillCommitment(_ commitment: SHA256Digest, into text: UnsafeMutableBufferPointer<UInt8>) {
        precondition(text.count >= 65)
        let hex = UnsafeMutableRawPointer(text.baseAddress! + (text.count - 65))
        // Two digits per byte, one table load and one store (three commitments per record).
        hexPairs.withUnsafeBufferPointer { pairs in
            commitment.withUnsafeBytes { digest in
                for i in 0..<digest.count {
                    hex.storeBytes(of: pairs[Int(digest[i])], toByteOffset: 2 * i, as: UInt16.self)
                }
            }
        }
    }

    /// Each byte's two hex digits as they lie in memory (the high digit first).
    private static let hexPairs: [UInt16] = (0..<256).map { byte in
        let high = UInt16(hexDigits[byte >> 4]), low = UInt16(hexDigits[byte & 0xF])
        return UInt16(littleEndian: high | low << 8)
    }

    /// What a top-level event member looks like in the raw line.
    package enum RawField {
        case absent
        /// A string without escapes: its text is exactly these bytes.
        case plain(Substring)
        /// Present but not a plain string (escapes, another type): read it through the record model.
        case other
    }

    /// ``RawField`` with a plain string as the byte range of its content in the line.
    package enum RawBytes {
        case absent
        case plain(Range<Int>)
        case other
    }
}

/// The top-level members of a record's event, found in one pass over the raw line, so that every later
/// lookup (the timestamp, the indexed keys, personal-data values) is a short scan of byte ranges.
///
/// Names are compared as written in the line, escapes included: the bytes are canonical JSON, where a
/// name has exactly one spelling, so a name to look up must be given in that spelling
/// (``Record/PersonalDataPlan`` keeps its paths so).
package struct RawEvent: Sendable {
    package var members: [(key: Range<Int>, value: Range<Int>)] = []

    /// Members found by whoever wrote the event's bytes (``JSONTape/canonicalBytesAndMembers()``): each
    /// name's range without its quotes, and its value's range.
    package init(members: [(key: Range<Int>, value: Range<Int>)]) {
        self.members = members
    }

    package init?(line: UnsafeRawBufferPointer, event: Range<Int>) {
        var scanner = RawJSON(bytes: line.bindMemory(to: UInt8.self))
        scanner.index = event.lowerBound
        self.init(scanning: &scanner)
    }

    /// Reads the object at the scanner's position, leaving the scanner just after it.
    init?(scanning scanner: inout RawJSON) {
        guard scanner.consume(UInt8(ascii: "{")) else { return nil }
        if scanner.consume(UInt8(ascii: "}")) { return }
        members.reserveCapacity(16)
        repeat {
            guard let key = scanner.memberName(), scanner.consume(UInt8(ascii: ":")) else { return nil }
            let start = scanner.index
            guard scanner.skipValue() else { return nil }
            members.append((key, start..<scanner.index))
        } while scanner.consume(UInt8(ascii: ","))
        guard scanner.consume(UInt8(ascii: "}")) else { return nil }
    }

    /// The value range of a top-level member.
    package func value(_ name: UnsafeRawBufferPointer, line: UnsafeRawBufferPointer) -> Range<Int>? {
        for member in members where member.key.count == name.count && (name.isEmpty || memcmp(line.baseAddress! + member.key.lowerBound, name.baseAddress!, name.count) == 0) {
            return member.value
        }
        return nil
    }

    /// A top-level member as a plain string, absent, or something else.
    package func field(_ name: String, line: UnsafeRawBufferPointer) -> Record.RawField {
        switch fieldBytes(name, line: line) {
        case .absent: .absent
        case .other: .other
        case .plain(let range): .plain(RawJSON(bytes: line.bindMemory(to: UInt8.self)).name(range))
        }
    }

    /// Like ``field(_:line:)``, with a plain string's content as its byte range in the line (no string
    /// is built).
    package func fieldBytes(_ name: String, line: UnsafeRawBufferPointer) -> Record.RawBytes {
        var name = name
        let range = name.withUTF8 { value(UnsafeRawBufferPointer($0), line: line) }
        guard let range else { return .absent }
        var scanner = RawJSON(bytes: line.bindMemory(to: UInt8.self))
        scanner.index = range.lowerBound
        guard let text = scanner.plainString(), scanner.index == range.upperBound else { return .other }
        return .plain(text)
    }

    /// The value at a dotted path (the bytes of `path` in the line), or nil when absent, null, or not
    /// reachable through objects.
    func locate(path: Range<Int>, line: UnsafeRawBufferPointer) -> Range<Int>? {
        locate(path: UnsafeRawBufferPointer(rebasing: line[path]), line: line)
    }

    /// The value at a dotted path given as its UTF-8 bytes, or nil when absent, null, or not reachable
    /// through objects.
    package func locate(path: UnsafeRawBufferPointer, line: UnsafeRawBufferPointer) -> Range<Int>? {
        let path = path.bindMemory(to: UInt8.self)
        var end = 0
        while end < path.count, path[end] != UInt8(ascii: ".") { end += 1 }
        guard let first = value(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: path[..<end])), line: line) else { return nil }
        if end == path.count {
            let isNull = first.count == 4 && memcmp(line.baseAddress! + first.lowerBound, "null", 4) == 0
            return isNull ? nil : first
        }
        return RawJSON(bytes: line.bindMemory(to: UInt8.self)).locate(path: UnsafeBufferPointer(rebasing: path[(end + 1)...]), inObjectAt: first)
    }
}

/// A minimal scanner over canonical JSON bytes: finds members and skips values without allocating.
struct RawJSON {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// A string without escapes; returns the range of its content.
    mutating func plainString() -> Range<Int>? {
        string(allowingEscapes: false)
    }

    /// A member name, escapes allowed; returns the range of its content as written (escapes included).
    /// In canonical JSON a name has one spelling, so comparing these bytes with a name's canonical
    /// encoding (``CanonicalJSON/appendString(_:to:)`` without the quotes) compares the names.
    mutating func memberName() -> Range<Int>? {
        string(allowingEscapes: true)
    }

    @inline(__always)
    private mutating func string(allowingEscapes: Bool) -> Range<Int>? {
        guard consume(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                index += 1
                return start..<(index - 1)
            case UInt8(ascii: "\\"):
                guard allowingEscapes else { return nil }
                // The escaped character (a quote or backslash included); `\uXXXX`'s digits follow as plain bytes.
                index += 2
            case 0..<0x20:
                return nil
            default:
                index += 1
            }
        }
        return nil
    }

    /// Whether the bytes at `range` are exactly `literal` (a member name, compared without building a string).
    func bytes(_ range: Range<Int>, equal literal: StaticString) -> Bool {
        UnsafeBufferPointer(rebasing: bytes[range]).equals(literal)
    }

    func name(_ range: Range<Int>) -> Substring {
        Substring(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    mutating func unsignedInteger() -> UInt64? {
        let start = index
        var value: UInt64 = 0
        while index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10, index - start < 16 {
            value = value * 10 + UInt64(bytes[index] - UInt8(ascii: "0"))
            index += 1
        }
        return index > start ? value : nil
    }

    /// Skips one value of any type (strings with escapes, nesting), returning false on malformed input.
    mutating func skipValue() -> Bool {
        var depth = 0
        repeat {
            guard index < bytes.count else { return false }
            switch bytes[index] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                index += 1
                continue
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                index += 1
            case UInt8(ascii: "\""):
                // Jump from quote to quote (memchr); a quote preceded by an odd run of backslashes is escaped.
                index += 1
                while true {
                    guard index < bytes.count, let hit = memchr(bytes.baseAddress! + index, 0x22, bytes.count - index) else { return false }
                    let quote = bytes.baseAddress!.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                    var backslashes = 0
                    while quote - 1 - backslashes >= index, bytes[quote - 1 - backslashes] == UInt8(ascii: "\\") { backslashes += 1 }
                    index = quote + 1
                    if backslashes % 2 == 0 { break }
                }
            case UInt8(ascii: ","), UInt8(ascii: ":"):
                index += 1
                continue
            default:
                // Numbers and literals: up to the next delimiter.
                while index < bytes.count {
                    let b = bytes[index]
                    if b == UInt8(ascii: ",") || b == UInt8(ascii: "}") || b == UInt8(ascii: "]") { break }
                    index += 1
                }
            }
            guard depth >= 0 else { return false }
        } while depth > 0
        return true
    }

    /// The range of the value at a dotted path (given as its bytes) inside the object whose bytes are
    /// `object`; nil when absent, null, or not reachable through objects.
    func locate(path: UnsafeBufferPointer<UInt8>, inObjectAt object: Range<Int>) -> Range<Int>? {
        var scanner = RawJSON(bytes: bytes)
        scanner.index = object.lowerBound
        var component = 0
        while true {
            var end = component
            while end < path.count, path[end] != UInt8(ascii: ".") { end += 1 }
            let name = UnsafeBufferPointer(rebasing: path[component..<end])
            guard scanner.consume(UInt8(ascii: "{")) else { return nil }
            if scanner.consume(UInt8(ascii: "}")) { return nil }
            var found: Range<Int>?
            repeat {
                guard let key = scanner.memberName(), scanner.consume(UInt8(ascii: ":")) else { return nil }
                let start = scanner.index
                guard scanner.skipValue() else { return nil }
                if key.count == name.count, name.isEmpty || memcmp(bytes.baseAddress! + key.lowerBound, name.baseAddress!, name.count) == 0 {
                    found = start..<scanner.index
                    break
                }
            } while scanner.consume(UInt8(ascii: ","))
            guard let value = found else { return nil }
            if end == path.count {
                let isNull = value.count == 4 && memcmp(bytes.baseAddress! + value.lowerBound, "null", 4) == 0
                return isNull ? nil : value
            }
            scanner.index = value.lowerBound
            component = end + 1
        }
    }
}
