#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import AuditCrypto
import AuditModel

/// One stored record: the envelope around an event, as it is written (one canonical JSON line) and
/// as it is hashed (its *sealed form*). See `docs/formats.md` § Records.
///
/// Stored members: `v` (format version, 1), `seq` (sequence number), `event` (the event), `pd` (sorted
/// paths of the event's personal-data values, each committed to with a salt), `redaction` (what the
/// redaction filter replaced, when anything), and after an erasure `erased` (path → commitment and
/// reference) and `salts` (path → salt for personal data that was kept when the leaf key was removed).
///
/// The sealed form is the stored record without `erased` and `salts`, with every `pd` value replaced by
/// the string `"commit:" + hex(SHA-256(salt ‖ JCS(value)))`. The record digest is SHA-256 of the sealed
/// form's RFC 8785 encoding, so erasing a value (and its salt) leaves the digest, the chain and the
/// Merkle root unchanged.
public struct Record: Sendable, Hashable {
    package static let version = 1

    package enum Key {
        package static let version = "v"
        package static let seq = "seq"
        package static let event = "event"
        package static let personalData = "pd"
        package static let redaction = "redaction"
        package static let erased = "erased"
        package static let salts = "salts"
        package static let expired = "expired"
        package static let timestamp = "ts"
    }

    package static let commitmentPrefix = "commit:"

    /// Limits a writer accepts for one event (``EventIngestor/Limits`` cannot be raised past them), so
    /// that recursive processing cannot exhaust the stack and every stored record can be read back.
    public static let maxEventDepth = 256
    public static let maxEventBytes = 16 << 20

    /// The longest record line any reader of the store accepts: an event of ``maxEventBytes`` and its
    /// envelope. A writer refuses longer records (``StoreWriter/Configuration/maxRecordBytes``).
    public static let maxRecordBytes = maxEventBytes + (1 << 20)

    /// The parser for stored record lines: the envelope adds one level and some bytes to an event.
    package static let parser = JSONParser(limits: .init(maxDepth: maxEventDepth + 2, maxBytes: maxRecordBytes))
    static let hexDigits = Array("0123456789abcdef".utf8)

    /// The stored object.
    package private(set) var object: JSONObject
    package let seq: UInt64

    /// A new record for an event that has passed validation and redaction.
    package init(seq: UInt64, event: JSONObject, personalDataPaths: [String], redaction: JSONValue?) {
        var object = JSONObject()
        object[Key.version] = .number(Double(Record.version))
        object[Key.seq] = .number(Double(seq))
        object[Key.event] = .object(event)
        let present = personalDataPaths.filter { path in
            if let value = JSONValue.object(event)[path: path], value != .null { return true }
            return false
        }.sorted()
        if !present.isEmpty { object[Key.personalData] = .array(present.map(JSONValue.string)) }
        if let redaction { object[Key.redaction] = redaction }
        self.object = object
        self.seq = seq
    }

    /// A record read back from a segment; checks the envelope's shape.
    package init(stored object: JSONObject) throws(RecordError) {
        guard let v = object[Key.version]?.integerValue else { throw RecordError("member 'v' is missing or not an integer") }
        guard v == Int64(Record.version) else { throw RecordError("record format version \(v) is not supported (this build reads version \(Record.version))") }
        guard let seq = object[Key.seq]?.integerValue, seq >= 1 else { throw RecordError("member 'seq' is missing or not a positive integer") }
        if let expired = object[Key.expired] {
            try Record.checkExpiredStub(object, expired)
            self.object = object
            self.seq = UInt64(seq)
            return
        }
        guard object[Key.event]?.objectValue != nil else { throw RecordError("member 'event' is missing or not an object") }
        if let pd = object[Key.personalData] {
            guard let paths = pd.arrayValue, paths.allSatisfy({ $0.stringValue != nil }) else {
                throw RecordError("member 'pd' must be an array of strings")
            }
        }
        self.object = object
        self.seq = UInt64(seq)
    }

    /// A record read from its stored line (without the newline).
    package init(line: some Collection<UInt8>) throws(RecordError) {
        let value: JSONValue
        do {
            value = try Record.parser.parse(Array(line))
        } catch {
            throw RecordError("\(error)")
        }
        guard case .object(let object) = value else { throw RecordError("not a JSON object") }
        try self.init(stored: object)
    }

    package var event: JSONObject { object[Key.event]?.objectValue ?? JSONObject() }

    package var personalDataPaths: [String] {
        object[Key.personalData]?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    /// The canonical line as stored (without the trailing newline).
    package var storedBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(768)
        CanonicalJSON.encode(object, into: &out)
        return out
    }

    /// The commitment to one personal-data value: `SHA-256(salt ‖ JCS(value))`.
    package static func commitment(salt: SHA256Digest, value: JSONValue) -> SHA256Digest {
        var hasher = SHA256()
        hasher.update(salt)
        hasher.update(CanonicalJSON.encode(value))
        return hasher.finalize()
    }

    /// The record digest: SHA-256 of the canonical sealed form.
    ///
    /// - Parameter leafKey: this record's salt-tree leaf key; nil when it was punctured, in which case
    ///   every personal-data value must be erased or have an explicit salt.
    package func digest(leafKey: SHA256Digest?) throws(RecordError) -> SHA256Digest {
        if let expiredDigest { return expiredDigest }
        return SHA256.hash(try sealedBytes(leafKey: leafKey))
    }

    package func sealedBytes(leafKey: SHA256Digest?) throws(RecordError) -> [UInt8] {
        if expiredDigest != nil { throw RecordError("record \(seq) expired: only its digest remains") }
        var sealed = object
        sealed[Key.erased] = nil
        sealed[Key.salts] = nil
        let paths = personalDataPaths
        if !paths.isEmpty {
            var event = self.event
            let erased = object[Key.erased]?.objectValue
            let salts = object[Key.salts]?.objectValue
            for path in paths {
                let commitment: SHA256Digest
                if let entry = erased?[path] {
                    guard let hex = entry.objectValue?["commitment"]?.stringValue, let c = SHA256Digest(hex: hex) else {
                        throw RecordError("erased value at '\(path)' has no valid commitment")
                    }
                    commitment = c
                } else {
                    guard let value = JSONValue.object(event)[path: path] else {
                        throw RecordError("personal-data value at '\(path)' is missing and not marked erased")
                    }
                    let salt: SHA256Digest
                    if let hex = salts?[path]?.stringValue {
                        guard let s = SHA256Digest(hex: hex) else { throw RecordError("salt for '\(path)' is not 64 hex digits") }
                        salt = s
                    } else if let leafKey {
                        salt = SaltTree.salt(leafKey: leafKey, path: path)
                    } else {
                        throw RecordError("no salt for personal-data value at '\(path)' (its leaf key was removed)")
                    }
                    commitment = Record.commitment(salt: salt, value: value)
                }
                event.setValue(.string(Record.commitmentPrefix + commitment.hex), atPath: path)
            }
            sealed[Key.event] = .object(event)
        }
        var out: [UInt8] = []
        out.reserveCapacity(768)
        CanonicalJSON.encode(sealed, into: &out)
        return out
    }
}

extension Record {
    /// The write path: a new record's stored line and digest in one encoding pass.
    ///
    /// Produces exactly what ``init(seq:event:personalDataPaths:redaction:)`` followed by ``storedBytes``
    /// and ``digest(leafKey:)`` produce (a test holds the two paths equal), but encodes the record once
    /// and builds the sealed form by splicing commitments over the personal-data value ranges.
    ///
    /// - Parameters:
    ///   - assignedID: the id the store assigns, for an event without one: encoded as the event's `id`
    ///     member (without copying the event to insert it).
    ///   - personalData: the store's personal-data paths, sorted, with their components.
    ///   - marks: the same paths prepared for encoding (pass it on hot paths to prepare them once).
    package static func encodeNew(
        seq: UInt64,
        event: JSONObject,
        assignedID: String? = nil,
        personalData: [(path: String, components: [String])],
        marks: CanonicalJSON.PathMarks? = nil,
        redaction: JSONValue?,
        leafKey: SHA256Digest
    ) -> (line: [UInt8], digest: SHA256Digest) {
        Group.single { encode(seq: seq, event: event, assignedID: assignedID, personalData: personalData, marks: marks, redaction: redaction, into: &$0) }
            .withDigest(leafKey: leafKey, paths: personalData)
    }

    /// ``encodeNew(seq:event:assignedID:personalData:marks:redaction:leafKey:)`` without the hashing:
    /// appends the line to `group`, and where its personal-data values are, for ``Hasher`` to seal and
    /// hash with the group's other records (the writer's path).
    package static func encode(
        seq: UInt64,
        event: JSONObject,
        assignedID: String? = nil,
        personalData: [(path: String, components: [String])],
        marks: CanonicalJSON.PathMarks? = nil,
        redaction: JSONValue?,
        into group: inout Group
    ) {
        group.append { line, values in
            append(#"{"event":"#, to: &line)
            let ranges = CanonicalJSON.encode(
                event, adding: assignedID.map { JSONObject.Member(key: AuditEvent.Field.id, value: .string($0)) }, into: &line,
                marking: marks ?? CanonicalJSON.PathMarks(personalData.map(\.components))
            )
            let present = personalData.indices.filter { ranges[$0] != nil }
            appendEnvelope(to: &line, present: present, redaction: redaction, seq: seq) { CanonicalJSON.appendString(personalData[$0].path, to: &$1) }
            // The group sorts them by offset (path order is not offset order).
            for index in present { values.append((ranges[index]!, index)) }
        }
    }

    /// The write path for an event its producer already encoded canonically (the log handler's fast
    /// path): the same line and digest as the tree form above gives for the parsed event.
    ///
    /// - Parameters:
    ///   - event: a valid event object exactly as ``CanonicalJSON`` encodes it.
    ///   - members: its top-level members (``RawEvent`` over `event`).
    ///   - assignedID: the id the store assigns, for an event without one: spliced in at its place in
    ///     key order.
    package static func encodeNew(
        seq: UInt64,
        canonicalEvent event: UnsafeRawBufferPointer,
        members: RawEvent,
        assignedID: AssignedID?,
        personalData plan: PersonalDataPlan,
        redaction: JSONValue?,
        leafKey: SHA256Digest
    ) -> (line: [UInt8], digest: SHA256Digest) {
        Group.single { encode(seq: seq, canonicalEvent: event, members: members, assignedID: assignedID, personalData: plan, redaction: redaction, into: &$0) }
            .withDigest(leafKey: leafKey, paths: plan.paths)
    }

    /// ``encodeNew(seq:canonicalEvent:members:assignedID:personalData:redaction:leafKey:)`` without the
    /// hashing: appends the record to `group`, for ``Hasher`` (the writer's path).
    package static func encode(
        seq: UInt64,
        canonicalEvent event: UnsafeRawBufferPointer,
        members: RawEvent,
        assignedID: AssignedID?,
        personalData plan: PersonalDataPlan,
        redaction: JSONValue?,
        into group: inout Group
    ) {
        let prefix: StaticString = #"{"event":"#
        // Where the id goes: before the first member whose name sorts after `id` (names compare as
        // bytes against an ASCII name exactly as RFC 8785 orders them), else before the closing brace.
        var splice = event.count - 1
        var after: (key: Range<Int>, value: Range<Int>)?
        if assignedID != nil {
            after = members.members.first { key in
                // After `id`: a greater first two bytes, or `id` and more.
                let order = memcmp(event.baseAddress! + key.key.lowerBound, "id", min(key.key.count, 2))
                return order > 0 || (order == 0 && key.key.count > 2)
            }
            if let after { splice = after.key.lowerBound - 1 }
        }
        group.append { line, spans in
            let base = line.count
            append(prefix, to: &line)
            line.append(contentsOf: event[..<splice])
            // The id member, written in place; `idValue` is its value's range in the line.
            let idStart = line.count
            var idValue = 0..<0
            if let assignedID {
                if after == nil, !members.members.isEmpty { line.append(UInt8(ascii: ",")) }
                append(#""id":""#, to: &line)
                let valueStart = line.count - 1
                assignedID.append(to: &line)  // nothing to escape
                line.append(UInt8(ascii: "\""))
                idValue = valueStart..<line.count
                if after != nil { line.append(UInt8(ascii: ",")) }
            }
            let idLength = line.count - idStart
            line.append(contentsOf: event[splice...])
            // An offset in `event` as an offset in the line.
            func shifted(_ offset: Int) -> Int { base + prefix.utf8CodeUnitCount + offset + (offset >= splice ? idLength : 0) }

            // In path order (the order of `pd`); the group sorts them by offset.
            let firstSpan = spans.count
            // The plan's entries hold ranges into one byte buffer, so that walking them retains nothing
            // (arrays inside each entry cost about a dozen retains and releases per record).
            plan.text.withUnsafeBytes { text in
                plan.entries.withUnsafeBufferPointer { entries in
                    // The object of the last two-part path: the sorted paths under one object (`metadata.*`)
                    // share one scan of it.
                    var inner: RawEvent?
                    for index in entries.indices {
                        let entry = entries[index]
                        let span: Range<Int>
                        if idLength > 0, entry.isID {
                            span = idValue
                        } else {
                            let name = UnsafeRawBufferPointer(rebasing: text[entry.name])
                            let found: Range<Int>?
                            switch entry.kind {
                            case .path:
                                found = members.locate(path: name, line: event)
                            case .inner(let sameObjectAsBefore, let shared):
                                let object = UnsafeRawBufferPointer(rebasing: text[entry.object])
                                if !shared {
                                    // The only path into its object: found by one scan, without listing the members.
                                    found = members.value(object, line: event).flatMap { value in
                                        RawJSON(bytes: event.bindMemory(to: UInt8.self)).locate(path: name.bindMemory(to: UInt8.self), inObjectAt: value)
                                    }
                                } else {
                                    if !sameObjectAsBefore {
                                        inner = members.value(object, line: event).flatMap { RawEvent(line: event, event: $0) }
                                    }
                                    found = inner.flatMap { $0.locate(path: name, line: event) }
                                }
                            }
                            guard let range = found else { continue }
                            let start = shifted(range.lowerBound)
                            span = start..<start + range.count
                        }
                        spans.append((span, index))
                    }
                    appendEnvelope(to: &line, present: spans[firstSpan...].lazy.map(\.path), redaction: redaction, seq: seq) { index, line in
                        line.append(contentsOf: UnsafeRawBufferPointer(rebasing: text[entries[index].json]).bindMemory(to: UInt8.self))
                    }
                }
            }
        }
    }

    /// A new record's line before hashing, and where its personal-data values are in it.
    package struct Unhashed {
        package var line: [UInt8]
        /// Each personal-data value's range in `line` and the index of its path among the store's
        /// sorted personal-data paths; sorted by offset.
        package var personalData: [(value: Range<Int>, path: Int)]

        /// The line and its digest, hashed on its own (the salts from `leafKey`).
        func withDigest(leafKey: SHA256Digest, paths: [(path: String, components: [String])]) -> (line: [UInt8], digest: SHA256Digest) {
            guard !personalData.isEmpty else { return (line, SHA256.hash(line)) }
            let spans = personalData.map { (value: $0.value, salt: SaltTree.salt(leafKey: leafKey, path: paths[$0.path].path)) }
            return (line, line.withUnsafeBytes { Record.sealedDigest(of: $0, commitments: spans)! })
        }
    }

    /// A store's personal-data paths prepared for finding their values in raw event bytes: each path's
    /// parts as canonical JSON writes them (``RawEvent`` compares names so), and for two-part paths
    /// whether another path goes into the same object.
    package struct PersonalDataPlan: Sendable {
        enum Kind: Sendable {
            /// One part, or three and more: found through the general `locate`.
            case path
            /// `object.name`; `sameObjectAsBefore` when the previous two-part path has the same object,
            /// `shared` when another two-part path does (the object's members are then listed once, by
            /// the first of them, for all of them).
            case inner(sameObjectAsBefore: Bool, shared: Bool)
        }

        /// One path, its texts as ranges in ``text``.
        struct Entry: Sendable {
            var isID: Bool
            var kind: Kind
            /// The path (`.path`) or its last part (`.inner`), as canonical JSON writes names.
            var name: Range<Int>
            /// `.inner`: the object's name.
            var object: Range<Int>
            /// The path as a JSON string, quotes included (an entry of `pd`).
            var json: Range<Int>
        }

        let paths: [(path: String, components: [String])]
        /// Each path's UTF-8 bytes (what its salt hashes).
        package let pathBytes: [[UInt8]]
        /// The texts the entries point into.
        let text: [UInt8]
        let entries: [Entry]

        /// - Parameter paths: sorted, with their parts (as the writer holds them).
        package init(_ paths: [(path: String, components: [String])]) {
            self.paths = paths
            self.pathBytes = paths.map { Array($0.path.utf8) }
            var text: [UInt8] = []
            /// Appends `name` as a JSON string (`quoted`) or as canonical JSON writes a name inside its
            /// quotes (escapes included, to compare with the bytes); returns its range.
            func add(_ name: String, quoted: Bool) -> Range<Int> {
                var json: [UInt8] = []
                CanonicalJSON.appendString(name, to: &json)
                let start = text.count
                text.append(contentsOf: quoted ? json[...] : json.dropFirst().dropLast())
                return start..<text.count
            }
            // Each two-part path's object. Sorted, the two-part paths into one object are neighbours among
            // the two-part paths (a longer path into the object may sort between them).
            let objects = paths.map { $0.components.count == 2 ? $0.components[0] : nil }
            var previousObject: String?
            entries = paths.enumerated().map { i, entry in
                let json = add(entry.path, quoted: true)
                guard entry.components.count == 2 else {
                    return Entry(isID: entry.path == AuditEvent.Field.id, kind: .path, name: add(entry.path, quoted: false), object: 0..<0, json: json)
                }
                let object = entry.components[0]
                let sameObjectAsBefore = previousObject == object
                let nextObject = objects[(i + 1)...].first { $0 != nil } ?? nil
                previousObject = object
                return Entry(
                    isID: false, kind: .inner(sameObjectAsBefore: sameObjectAsBefore, shared: sameObjectAsBefore || nextObject == object),
                    name: add(entry.components[1], quoted: false), object: add(object, quoted: false), json: json
                )
            }
            self.text = text
        }
    }

    /// The members after `event`: the personal-data paths present (indices into the store's sorted
    /// paths, each written as a JSON string by `writePath`), the redaction report, `seq`, `v`.
    private static func appendEnvelope(
        to line: inout [UInt8], present: some Collection<Int>, redaction: JSONValue?, seq: UInt64,
        writePath: (Int, inout [UInt8]) -> Void
    ) {
        if !present.isEmpty {
            append(#","pd":["#, to: &line)
            var first = true
            for index in present {
                if !first { line.append(UInt8(ascii: ",")) }
                first = false
                writePath(index, &line)
            }
            line.append(UInt8(ascii: "]"))
        }
        if let redaction {
            append(#","redaction":"#, to: &line)
            CanonicalJSON.encode(redaction, into: &line)
        }
        append(#","seq":"#, to: &line)
        CanonicalJSON.appendDecimal(seq, to: &line)
        append(#","v":1}"#, to: &line)
    }

    /// Appends JSON text given as a literal (one copy; a `String`'s UTF-8 view is appended piece by piece).
    @inline(__always)
    private static func append(_ literal: StaticString, to line: inout [UInt8]) {
        line.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }
}

/// A stored record that does not have the envelope the format requires.
package struct RecordError: Error, Hashable, Sendable, CustomStringConvertible {
    package var reason: String
    package init(_ reason: String) { self.reason = reason }
    package var description: String { reason }
}

extension JSONObject {
    /// Sets the value at a dotted path, creating intermediate objects (replacing non-objects).
    package mutating func setValue(_ value: JSONValue?, atPath path: String) {
        guard let dot = path.firstIndex(of: ".") else {
            self[path] = value
            return
        }
        let head = String(path[..<dot])
        let rest = String(path[path.index(after: dot)...])
        var child = self[head]?.objectValue ?? JSONObject()
        child.setValue(value, atPath: rest)
        self[head] = .object(child)
    }
}
