import AuditCrypto
import AuditModel
import AuditStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The members of a segment manifest a lookup needs, read without building its `blocks` array.
///
/// A sealed segment's manifest lists every block (about 180 KB for a 64 MiB segment); building that
/// as JSON values for every segment would cost a lookup more than the rest of its work. This reader
/// walks the whole document, checking its JSON syntax, and keeps only top-level scalars and the small
/// `index` object. Lookups take block positions from the index, which the manifest's `index.root`
/// covers. Anything it cannot read is an error, never a guess.
package struct ManifestSummary: Sendable, Hashable {
    package var version: Int
    package var segment: UInt64
    package var firstSeq: UInt64
    package var lastSeq: UInt64
    package var recordCount: Int
    package var segmentBytes: Int
    package var minTimestamp: Timestamp?
    package var maxTimestamp: Timestamp?
    package var keyID: String
    /// Nil for version 1 manifests, written before segments had indexes.
    package var index: SegmentManifest.Index?

    package init(bytes: UnsafeRawBufferPointer) throws(QueryError) {
        var skimmer = Skimmer(bytes: bytes)
        let members = try skimmer.topLevel()
        func string(_ name: String) throws(QueryError) -> String {
            guard case .string(let s)? = members[name] else { throw QueryError(.corrupt, "manifest member '\(name)' is missing or not a string") }
            return s
        }
        func integer(_ name: String, in object: [String: Skimmer.Scalar]? = nil) throws(QueryError) -> Int {
            guard case .integer(let n)? = (object ?? members)[name] else { throw QueryError(.corrupt, "manifest member '\(name)' is missing or not an integer") }
            return n
        }
        func time(_ name: String) throws(QueryError) -> Timestamp? {
            if case .null? = members[name] { return nil }
            guard let t = Timestamp(rfc3339: try string(name)) else { throw QueryError(.corrupt, "manifest member '\(name)' is not an RFC 3339 time") }
            return t
        }
        guard try string("format") == SegmentManifest.format else {
            throw QueryError(.notAStore, "not a segment manifest (member 'format' is not \"\(SegmentManifest.format)\")")
        }
        version = try integer("version")
        guard SegmentManifest.readableVersions.contains(Int64(version)) else {
            throw QueryError(.notAStore, "manifest version \(version) is not supported by this build")
        }
        segment = UInt64(try integer("segment"))
        firstSeq = UInt64(try integer("first_seq"))
        lastSeq = UInt64(try integer("last_seq"))
        recordCount = try integer("record_count")
        segmentBytes = try integer("segment_bytes")
        minTimestamp = try time("min_ts")
        maxTimestamp = try time("max_ts")
        keyID = try string("key_id")
        if version >= 2 {
            guard let object = skimmer.index, case .string(let rootText)? = object["root"], let root = SHA256Digest(hex: rootText) else {
                throw QueryError(.corrupt, "manifest member 'index' is missing or malformed")
            }
            index = SegmentManifest.Index(version: try integer("version", in: object), bytes: try integer("bytes", in: object), root: root)
        } else {
            index = nil
        }
    }
}

/// The members of a segment rewrite document a lookup needs (which generation holds the segment, its
/// size and index root), read like ``ManifestSummary`` without building its `blocks` array.
package struct RewriteSummary: Sendable, Hashable {
    package var segment: UInt64
    package var generation: Int
    package var segmentBytes: Int
    package var index: SegmentManifest.Index

    package init(bytes: UnsafeRawBufferPointer) throws(QueryError) {
        var skimmer = Skimmer(bytes: bytes)
        let members = try skimmer.topLevel()
        func integer(_ name: String, in object: [String: Skimmer.Scalar]? = nil) throws(QueryError) -> Int {
            guard case .integer(let n)? = (object ?? members)[name] else { throw QueryError(.corrupt, "segment rewrite member '\(name)' is missing or not an integer") }
            return n
        }
        guard case .string(SegmentRewrite.format)? = members["format"], try integer("version") == SegmentRewrite.version else {
            throw QueryError(.notAStore, "not a segment rewrite document of version \(SegmentRewrite.version)")
        }
        segment = UInt64(try integer("segment"))
        generation = try integer("generation")
        guard generation >= 1 else { throw QueryError(.corrupt, "segment rewrite member 'generation' is not positive") }
        segmentBytes = try integer("segment_bytes")
        guard let object = skimmer.index, case .string(let rootText)? = object["root"], let root = SHA256Digest(hex: rootText) else {
            throw QueryError(.corrupt, "segment rewrite member 'index' is missing or malformed")
        }
        index = SegmentManifest.Index(version: try integer("version", in: object), bytes: try integer("bytes", in: object), root: root)
    }
}

/// A strict JSON walker that keeps top-level scalars (and the scalars of the `index` object) and skips
/// everything else without allocating.
private struct Skimmer {
    enum Scalar: Hashable {
        case string(String)
        case integer(Int)
        case null
        case other
    }

    let bytes: UnsafeRawBufferPointer
    var i = 0
    var index: [String: Scalar]?

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    func fail(_ what: String) -> QueryError {
        QueryError(.corrupt, "manifest is not valid JSON at byte \(i): \(what)")
    }

    mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    mutating func expect(_ byte: UInt8) throws(QueryError) {
        skipSpace()
        guard i < bytes.count, bytes[i] == byte else { throw fail("expected '\(Character(UnicodeScalar(byte)))'") }
        i += 1
    }

    /// A string; returns its text when asked to keep it and it has no escapes (all auditq manifest
    /// strings have none), else nil.
    mutating func string(keep: Bool = true) throws(QueryError) -> String? {
        try expect(UInt8(ascii: "\""))
        let start = i
        // Fast path: the closing quote, with no backslash or control character before it.
        guard let base = bytes.baseAddress, let quote = memchr(base + i, Int32(UInt8(ascii: "\"")), bytes.count - i) else {
            throw fail("unterminated string")
        }
        let end = base.distance(to: UnsafeRawPointer(quote))
        var plain = true
        for k in start..<end where bytes[k] < 0x20 || bytes[k] == UInt8(ascii: "\\") {
            plain = false
            break
        }
        if plain {
            i = end + 1
            return keep ? String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self) : nil
        }
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                return nil
            }
            if b < 0x20 { throw fail("control character in a string") }
            if b == UInt8(ascii: "\\") { i += 1 }
            i += 1
        }
        throw fail("unterminated string")
    }

    mutating func scalarOrSkip(depth: Int, capture: Bool) throws(QueryError) -> Scalar {
        skipSpace()
        guard i < bytes.count, depth < 64 else { throw fail("unexpected end or nesting too deep") }
        switch bytes[i] {
        case UInt8(ascii: "\""):
            return try string(keep: depth <= 2).map(Scalar.string) ?? .other
        case UInt8(ascii: "{"):
            i += 1
            var captured: [String: Scalar] = [:]
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
                i += 1
            } else {
                while true {
                    let name = try string(keep: capture)
                    try expect(UInt8(ascii: ":"))
                    let value = try scalarOrSkip(depth: depth + 1, capture: false)
                    if capture, let name { captured[name] = value }
                    skipSpace()
                    guard i < bytes.count else { throw fail("unterminated object") }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    guard bytes[i] == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
                    i += 1
                    break
                }
            }
            if capture { index = captured }
            return .other
        case UInt8(ascii: "["):
            i += 1
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
                i += 1
                return .other
            }
            while true {
                _ = try scalarOrSkip(depth: depth + 1, capture: false)
                skipSpace()
                guard i < bytes.count else { throw fail("unterminated array") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                guard bytes[i] == UInt8(ascii: "]") else { throw fail("expected ',' or ']'") }
                i += 1
                return .other
            }
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case UInt8(ascii: "t"):
            try literal("true")
            return .other
        case UInt8(ascii: "f"):
            try literal("false")
            return .other
        default:
            let start = i
            var integer = 0
            var isInteger = true
            if bytes[i] == UInt8(ascii: "-") { isInteger = false; i += 1 }
            while i < bytes.count {
                let b = bytes[i]
                if b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") {
                    if isInteger {
                        let (m, o1) = integer.multipliedReportingOverflow(by: 10)
                        let (a, o2) = m.addingReportingOverflow(Int(b - UInt8(ascii: "0")))
                        if o1 || o2 { isInteger = false } else { integer = a }
                    }
                } else if b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E") || b == UInt8(ascii: "+") || b == UInt8(ascii: "-") {
                    isInteger = false
                } else {
                    break
                }
                i += 1
            }
            guard i > start else { throw fail("unexpected character") }
            return isInteger ? .integer(integer) : .other
        }
    }

    mutating func literal(_ word: StaticString) throws(QueryError) {
        let n = word.utf8CodeUnitCount
        guard i + n <= bytes.count else { throw fail("unexpected end") }
        for k in 0..<n where bytes[i + k] != word.utf8Start[k] { throw fail("invalid literal") }
        i += n
    }

    /// The top-level object's scalar members; `index` captured in ``index``.
    mutating func topLevel() throws(QueryError) -> [String: Scalar] {
        try expect(UInt8(ascii: "{"))
        var members: [String: Scalar] = [:]
        while true {
            guard let name = try string() else { throw fail("escaped member name") }
            try expect(UInt8(ascii: ":"))
            guard members[name] == nil else { throw fail("duplicate member '\(name)'") }
            members[name] = try scalarOrSkip(depth: 1, capture: name == "index")
            skipSpace()
            guard i < bytes.count else { throw fail("unterminated object") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            guard bytes[i] == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
            i += 1
            break
        }
        skipSpace()
        guard i == bytes.count else { throw fail("data after the document") }
        return members
    }
}
