import AuditCrypto
import AuditModel
import Testing
@testable import AuditStore

@Suite("Records, salts and commitments")
struct RecordTests {
    let personalData = StoreDescriptor.defaultPersonalDataPaths.sorted().map { ($0, $0.split(separator: ".").map(String.init)) }

    @Test("the single-pass write path produces exactly the bytes and digest of the record model")
    func fastPathMatchesModel() throws {
        var rng = SystemRandomNumberGenerator()
        for n in 0..<300 {
            var event = Fixtures.event(n).fields
            if n % 5 == 0 { event = Fixtures.event(n, extra: ["metadata": ["name": "Ada", "phone": .null]]).fields }
            // Paths only traverse objects: a non-object where a path expects one means "no value".
            if n % 11 == 0 { event["actor"] = "not-an-object" }
            let leaf = SHA256Digest(bytes: (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) })!
            let redaction: JSONValue? = n % 2 == 0 ? ["rules": ["bearer-token": 1]] : nil
            let fast = Record.encodeNew(seq: UInt64(n + 1), event: event, personalData: personalData, redaction: redaction, leafKey: leaf)
            let model = Record(seq: UInt64(n + 1), event: event, personalDataPaths: personalData.map(\.0), redaction: redaction)
            #expect(fast.line == model.storedBytes)
            #expect(fast.digest == (try model.digest(leafKey: leaf)))
        }
    }

    @Test("an id added while encoding gives the bytes and digest of the event with the id assigned")
    func addedIDMatchesAssigned() throws {
        // `id` among the personal-data paths too, so the added member's range is marked like any other.
        let withID = (personalData.map(\.0) + ["id"]).sorted().map { ($0, $0.split(separator: ".").map(String.init)) }
        let leaf = SHA256Digest(bytes: [UInt8](repeating: 7, count: 32))!
        let events: [JSONObject] = [
            Fixtures.event(1).fields,
            ["ts": "2026-11-20T10:00:00.000000Z", "action": "a"],  // `id` sorts before both members
            ["a": 1, "b": 2],  // ... after both
            ["http": ["status": 200], "z": 1],  // ... between them
            [:],
        ]
        // Two paths into one object with a deeper path between them (sorted order): the first must list
        // the object's members for the second, which the deeper one does not.
        let apart = ["actor.id", "metadata.email", "metadata.nested.x", "metadata.phone"]
            .map { ($0, $0.split(separator: ".", omittingEmptySubsequences: false).map(String.init)) }
        for pd in [personalData, withID, apart] {
            for (n, event) in events.enumerated() {
                let id = "0123456789abcdef-00000000000\(n)"
                var assigned = event
                assigned["id"] = .string(id)  // what `AuditEvent.assignID` does
                let added = Record.encodeNew(seq: 9, event: event, assignedID: id, personalData: pd, redaction: nil, leafKey: leaf)
                let expected = Record.encodeNew(seq: 9, event: assigned, personalData: pd, redaction: nil, leafKey: leaf)
                #expect(added.line == expected.line)
                #expect(added.digest == expected.digest)
            }
        }
    }

    @Test("a pre-encoded event gives the bytes and digest of the same event encoded from its tree")
    func canonicalEventMatchesTree() throws {
        // `id` among the personal-data paths too, so the spliced member's range is marked like any other.
        // Paths with empty parts too (the writer splits without dropping them): they name `""` members.
        // And names that need escapes: their values are found as the tree's encoding marks them.
        let withID = (personalData.map(\.0) + ["id", "zz", "metadata.nested.x", "metadata.", "", "actor.i\"d", "metadata.a\\b"]).sorted()
            .map { ($0, $0.split(separator: ".", omittingEmptySubsequences: false).map(String.init)) }
        var rng = SystemRandomNumberGenerator()
        var events: [JSONObject] = [
            ["ts": "2026-11-20T10:00:00.000000Z", "action": "a"],  // `id` sorts before both members
            ["a": 1, "b": 2],  // ... after both
            ["a": 1, "zz": "last value, personal data"],  // ... after both, the last value marked
            ["http": ["status": 200], "z": 1],  // ... between them
            ["i": 1, "ia": 2, "idx": 3, "id_": 4],  // names that share its first letters
            ["customer_code": "C", "metadata": "not an object"],  // paths through a string: no value
            ["metadata": ["email": .null, "ip": [:], "name": ["x": 1]]],  // null, an empty object, an object
            ["actor": ["id": "u1"], "metadata": ["email": "a@example.com", "nested": ["x": 1], "phone": "+2348012345678"]],
            ["": "empty name", "metadata": ["": "empty name inside"]],
            // Names that need escapes beside personal data, in an object with one path and in one with several.
            ["actor": ["i\"d": 1, "id": "u1"], "metadata": ["a\\b": 2, "ip": "10.0.0.1", "name": "Ada"]],
            [:],
        ]
        for n in 0..<200 {
            var event = Fixtures.event(n).fields
            if n % 5 == 0 { event = Fixtures.event(n, extra: ["metadata": ["name": "Ada \"the\" \\ one", "phone": .null, "nested": ["x": [1, "}"]]]]).fields }
            if n % 11 == 0 { event["actor"] = "not-an-object" }
            event["id"] = nil
            events.append(event)
        }
        // Two paths into one object with a deeper path between them (sorted order): the first must list
        // the object's members for the second, which the deeper one does not.
        let apart = ["actor.id", "metadata.email", "metadata.nested.x", "metadata.phone"]
            .map { ($0, $0.split(separator: ".", omittingEmptySubsequences: false).map(String.init)) }
        for pd in [personalData, withID, apart] {
            for (n, event) in events.enumerated() {
                let leaf = SHA256Digest(bytes: (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) })!
                let redaction: JSONValue? = n % 2 == 0 ? ["rules": ["bearer-token": 1]] : nil
                let id = Record.AssignedID(prefix: Array("0123456789abcdef-".utf8), seq: UInt64(n + 1))
                let expected = Record.encodeNew(seq: UInt64(n + 1), event: event, assignedID: id.description, personalData: pd, redaction: redaction, leafKey: leaf)
                var bytes: [UInt8] = []
                CanonicalJSON.encode(event, into: &bytes)
                let encoded = try bytes.withUnsafeBytes { raw in
                    let members = try #require(RawEvent(line: raw, event: 0..<raw.count))
                    return Record.encodeNew(seq: UInt64(n + 1), canonicalEvent: raw, members: members, assignedID: id, personalData: Record.PersonalDataPlan(pd), redaction: redaction, leafKey: leaf)
                }
                #expect(String(decoding: encoded.line, as: UTF8.self) == String(decoding: expected.line, as: UTF8.self), "event \(n)")
                #expect(encoded.digest == expected.digest, "event \(n)")
            }
        }
    }

    @Test("records hashed in groups get the digests and leaf hashes each gets alone, by every SHA-256 implementation", arguments: SHA256Batch.availableImplementations)
    func groupsHashLikeSingleRecords(implementation: SHA256Batch.Implementation) throws {
        var rng = SystemRandomNumberGenerator()
        let plan = Record.PersonalDataPlan(personalData)
        var records: [(event: JSONObject, unhashed: Record.Unhashed, leafKey: SHA256Digest, expected: SHA256Digest)] = []
        for n in 0..<120 {
            var event = Fixtures.event(n).fields
            if n % 5 == 0 { event = Fixtures.event(n, extra: ["metadata": ["name": "Ada", "email": "ada@example.com", "phone": .null]]).fields }
            if n % 7 == 0 { event = ["action": "no personal data", "ts": "2026-11-21T10:00:00.000000Z"] }  // no salts, the line itself
            if n % 11 == 0 { event["actor"] = "not-an-object" }
            let leaf = SHA256Digest(bytes: (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) })!
            var alone = Record.Group()
            Record.encode(seq: UInt64(n + 1), event: event, personalData: personalData, redaction: nil, into: &alone)
            let unhashed = alone.unhashed(0)
            let model = Record(seq: UInt64(n + 1), event: event, personalDataPaths: personalData.map(\.0), redaction: nil)
            #expect(unhashed.line == model.storedBytes)
            records.append((event, unhashed, leaf, try model.digest(leafKey: leaf)))
        }
        #expect(records.contains { $0.unhashed.personalData.isEmpty } && records.contains { $0.unhashed.personalData.count >= 3 })
        var hasher = Record.Hasher(implementation: implementation)
        // Groups smaller than the lanes, equal to them, and larger; the hasher reused across groups.
        // Groups are built as the writer builds them (encoded into the group) and as the verifier does
        // (lines read back), in turn.
        var start = 0
        for (g, size) in [1, 7, 8, 16, 17, 32, 39].enumerated() {
            let slice = records[start..<start + size]
            var group = Record.Group()
            for (k, record) in zip(slice.indices, slice) {
                if g % 2 == 0 {
                    Record.encode(seq: UInt64(k + 1), event: record.event, personalData: personalData, redaction: nil, into: &group)
                } else {
                    group.append(line: record.unhashed.line, values: record.unhashed.personalData)
                }
                let back = group.unhashed(group.count - 1)
                #expect(back.line == record.unhashed.line && back.personalData.elementsEqual(record.unhashed.personalData) { $0 == $1 })
            }
            #expect(group.bytes == slice.flatMap { $0.unhashed.line + [0x0A] }, "each line followed by its newline")
            hasher.hash(group, leafKeys: slice.map(\.leafKey), paths: plan.pathBytes)
            #expect(hasher.digests == slice.map(\.expected), "group of \(size) from \(start)")
            #expect(hasher.leafHashes == slice.map { MerkleTree.leafHash($0.expected) }, "group of \(size) from \(start)")
            start += size
        }
    }

    @Test("the verifier's fast digest over raw bytes equals the record model's, and falls back when it must")
    func fastDigestMatchesModel() throws {
        var rng = SystemRandomNumberGenerator()
        for n in 0..<300 {
            var event = Fixtures.event(n).fields
            if n % 5 == 0 { event = Fixtures.event(n, extra: ["metadata": ["name": "Ada \"the\" \\ one", "phone": .null, "nested": [1, [2, ["x": "}"]]]]]).fields }
            if n % 11 == 0 { event["actor"] = "not-an-object" }
            let leaf = SHA256Digest(bytes: (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) })!
            let redaction: JSONValue? = n % 2 == 0 ? ["rules": ["bearer-token": 1]] : nil
            let model = Record(seq: UInt64(n + 1), event: event, personalDataPaths: personalData.map(\.0), redaction: redaction)
            let line = model.storedBytes
            let fast = line.withUnsafeBytes { Record.fastDigest(line: $0, firstSeq: 1, leafKey: { _ in leaf }) }
            let expected = try model.digest(leafKey: leaf)
            if let fast {
                #expect(fast.seq == UInt64(n + 1))
                let ts = line.withUnsafeBytes { raw -> String? in
                    if case .plain(let text) = fast.members.field("ts", line: raw) { return String(text) }
                    return nil
                }
                #expect(ts == event["ts"]?.stringValue)
                let viaMembers = line.withUnsafeBytes { raw -> String? in
                    if case .plain(let text) = fast.members.field("request_id", line: raw) { return String(text) }
                    return nil
                }
                #expect(viaMembers == event["request_id"]?.stringValue)
                #expect(fast.digest == expected, "record \(n)")
            } else {
                // Only a null personal-data value may send it to the general path.
                #expect(n % 5 == 0, "record \(n) fell back unexpectedly")
            }
            // Any single-byte change gives a different digest or a fallback, never the same digest.
            var edited = line
            let position = Int.random(in: 0..<edited.count, using: &rng)
            edited[position] ^= 0x04
            let tampered = edited.withUnsafeBytes { Record.fastDigest(line: $0, firstSeq: 1, leafKey: { _ in leaf }) }
            #expect(tampered?.digest != expected || tampered == nil)
        }
    }

    @Test("index keys and the event time read from raw bytes equal the record model's, for any UTF-8 and for invalid bytes")
    func rawKeysMatchModel() throws {
        let leaf = SHA256.hash("leaf")
        for value in ["req_1", "réq_ü", "😀 x", "a", "CUS_\u{7f}"] {
            let event = Fixtures.event(3, extra: ["request_id": .string(value), "transaction_id": .string(value + "t")]).fields
            let line = Record(seq: 1, event: event, personalDataPaths: personalData.map(\.0), redaction: nil).storedBytes
            let fast = try #require(line.withUnsafeBytes { Record.fastDigest(line: $0, firstSeq: 1, leafKey: { _ in leaf }) })
            let raw = line.withUnsafeBytes { SegmentIndex.RecordKeys(rawLine: $0, members: fast.members, timestamp: 7) }
            #expect(raw == SegmentIndex.RecordKeys(event: event, timestamp: 7), "\(value)")
            let ts = line.withUnsafeBytes { raw -> Timestamp? in
                guard case .plain(let range) = fast.members.fieldBytes("ts", line: raw) else { return nil }
                return Timestamp(rfc3339UTF8: UnsafeRawBufferPointer(rebasing: raw[range]))
            }
            #expect(ts != nil && ts == event["ts"]?.stringValue.flatMap { Timestamp(rfc3339: $0) })
        }
        // Bytes that are not UTF-8 fingerprint as their repaired decoding, which is what the model would read.
        let bad: [UInt8] = Array(#"{"request_id":"a"#.utf8) + [0xC3, 0x28] + Array(#"b","ts":"2025-11-20T10:00:00.000000Z"}"#.utf8)
        let keys = try bad.withUnsafeBytes { raw -> SegmentIndex.RecordKeys? in
            let members = try #require(RawEvent(line: raw, event: 0..<raw.count))
            #expect(members.fieldBytes("ts", line: raw).isPlain)
            return SegmentIndex.RecordKeys(rawLine: raw, members: members, timestamp: 0)
        }
        let expected = SegmentIndex.fingerprint(String(decoding: [UInt8(ascii: "a"), 0xC3, 0x28, UInt8(ascii: "b")], as: UTF8.self))
        #expect(keys?.fingerprint(.requestID) == expected)
        #expect(expected != [UInt8(ascii: "a"), 0xC3, 0x28, UInt8(ascii: "b")].withUnsafeBytes { SegmentIndex.fingerprint($0) })
        // A key that is not a plain string (a number, an escape) is left to the record model; other
        // members and absent keys are not.
        for text in [#"{"request_id":7}"#, #"{"a":1,"customer_code":"x\"y"}"#, #"{"correlation_id":null}"#] {
            let keys = try Array(text.utf8).withUnsafeBytes { raw in
                SegmentIndex.RecordKeys(rawLine: raw, members: try #require(RawEvent(line: raw, event: 0..<raw.count)), timestamp: 0)
            }
            #expect(keys == nil, "\(text)")
        }
        let four = #"{"correlation_id":"c","customer_code":"k","n":[1],"request_id":"r","transaction_id":"t"}"#
        let keysOfFour = try Array(four.utf8).withUnsafeBytes { raw in
            SegmentIndex.RecordKeys(rawLine: raw, members: try #require(RawEvent(line: raw, event: 0..<raw.count)), timestamp: 0)
        }
        #expect(keysOfFour == SegmentIndex.RecordKeys(event: ["correlation_id": "c", "customer_code": "k", "request_id": "r", "transaction_id": "t"], timestamp: 0))
        #expect(Timestamp(rfc3339UTF8: UnsafeRawBufferPointer(start: nil, count: 0)) == nil)
        for text in ["2025-11-20T10:00:00Z", "2025-11-20T10:00:00.5+01:00", "2025-11-20T10:00:0\u{e9}Z", "2025-02-30T10:00:00Z"] {
            let viaBytes = Array(text.utf8).withUnsafeBytes { Timestamp(rfc3339UTF8: $0) }
            #expect(viaBytes == Timestamp(rfc3339: text), "\(text)")
        }
    }

    @Test("an erased value keeps the digest; a wrong commitment changes it")
    func erasureKeepsDigest() throws {
        let leaf = SHA256.hash("leaf")
        let record = Record(seq: 9, event: Fixtures.event(9).fields, personalDataPaths: ["customer_code", "metadata.email"], redaction: nil)
        let digest = try record.digest(leafKey: leaf)
        let value = JSONValue.object(record.event)[path: "metadata.email"]!
        let commitment = Record.commitment(salt: SaltTree.salt(leafKey: leaf, path: "metadata.email"), value: value)
        var stored = record.object
        var event = record.event
        event.setValue(nil, atPath: "metadata.email")
        stored["event"] = .object(event)
        stored["erased"] = ["metadata.email": ["commitment": .string(commitment.hex), "ref": "DSR-1"]]
        // With the salt of the kept value given explicitly, the leaf key is no longer needed.
        let keptSalt = SaltTree.salt(leafKey: leaf, path: "customer_code")
        stored["salts"] = ["customer_code": .string(keptSalt.hex)]
        let erased = try Record(stored: stored)
        #expect(try erased.digest(leafKey: nil) == digest)
        #expect(!erased.storedBytes.containsSubsequence(Array("user9@example.com".utf8)))

        stored["erased"] = ["metadata.email": ["commitment": .string(SHA256.hash("guess").hex), "ref": "DSR-1"]]
        #expect(try Record(stored: stored).digest(leafKey: nil) != digest)
    }

    @Test("a changed personal-data value changes the digest")
    func valueChangeDetected() throws {
        let leaf = SHA256.hash("leaf")
        let a = Record(seq: 1, event: Fixtures.event(1, customer: "CUS_A").fields, personalDataPaths: ["customer_code"], redaction: nil)
        let b = Record(seq: 1, event: Fixtures.event(1, customer: "CUS_B").fields, personalDataPaths: ["customer_code"], redaction: nil)
        #expect(try a.digest(leafKey: leaf) != b.digest(leafKey: leaf))
    }

    @Test("golden record: the format's bytes and digest do not drift")
    func golden() throws {
        var object: JSONObject = [
            "ts": "2026-11-20T14:03:07.120000Z", "action": "payment.capture", "id": "evt_golden_1",
            "customer_code": "CUS_9NEIM0OZP2", "request_id": "req_1", "metadata": ["amount": 1082.67, "email": "ada@example.com"],
        ]
        object["actor"] = ["type": "customer", "id": "usr_1"]
        let event = try AuditEvent(validating: object)
        let leaf = SHA256.hash("auditq golden leaf")
        let pd = ["actor.id", "customer_code", "metadata.email"].map { ($0, $0.split(separator: ".").map(String.init)) }
        let (line, digest) = Record.encodeNew(seq: 42, event: event.fields, personalData: pd, redaction: ["rules": ["password": 1]], leafKey: leaf)
        let expectedLine = #"{"event":{"action":"payment.capture","actor":{"id":"usr_1","type":"customer"},"customer_code":"CUS_9NEIM0OZP2","id":"evt_golden_1","metadata":{"amount":1082.67,"email":"ada@example.com"},"request_id":"req_1","ts":"2026-11-20T14:03:07.120000Z"},"pd":["actor.id","customer_code","metadata.email"],"redaction":{"rules":{"password":1}},"seq":42,"v":1}"#
        #expect(String(decoding: line, as: UTF8.self) == expectedLine)
        // Recomputed independently by docs/verify_store.py's algorithm; see docs/formats.md.
        #expect(digest.hex == GoldenValues.recordDigest)
        #expect(Chain.genesis(storeID: "00000000000000000000000000000000").hex == GoldenValues.genesis)
    }
}

enum GoldenValues {
    static let recordDigest = "67f476460653c8bac30d0f36899f9e506f18abfdec5b9c185559e6fde62d25f9"
    static let genesis = "01343c9116249ae85073b8d3b47241f2d1957fc21b79d124d1843ce47bea9e09"
}

extension Array where Element == UInt8 {
    func containsSubsequence(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return needle.isEmpty }
        for i in 0...(count - needle.count) where self[i] == needle[0] && Array(self[i..<(i + needle.count)]) == needle {
            return true
        }
        return false
    }
}

extension Record.RawBytes {
    var isPlain: Bool {
        if case .plain = self { return true }
        return false
    }
}
