import AuditCrypto
import AuditModel

/// The signed statement of which segments retention removed, and where the store now begins:
/// `DIR/retention.json`, a ``SignedDocument``. A verifier starts from it (the chain hash and manifest
/// hash before the store's first remaining segment) instead of from the genesis, and reports the
/// removed ranges as expired under their policy rather than missing. See `docs/formats.md`
/// § Retention state.
package struct RetentionState: KeySigned, Sendable, Hashable {
    package static let format = "auditq-retention-state"
    package static let version = 1

    /// One retention run's removal of whole segments.
    package struct Removal: Sendable, Hashable {
        package var segments: ClosedRange<UInt64>
        package var seqs: ClosedRange<UInt64>
        package var records: Int
        package var policy: String
        package var policySHA256: SHA256Digest
        package var time: Timestamp

        package init(segments: ClosedRange<UInt64>, seqs: ClosedRange<UInt64>, records: Int, policy: String, policySHA256: SHA256Digest, time: Timestamp) {
            self.segments = segments
            self.seqs = seqs
            self.records = records
            self.policy = policy
            self.policySHA256 = policySHA256
            self.time = time
        }
    }

    package var storeID: String
    /// The oldest segment that remains, and its first record.
    package var firstSegment: UInt64
    package var firstSeq: UInt64
    /// `h(first_seq − 1)`: the chain hash the first remaining segment continues from.
    package var prevHash: SHA256Digest
    /// SHA-256 of the manifest of segment `first_segment − 1`, which the next manifest links to.
    package var prevManifestSHA256: SHA256Digest
    /// Every removal so far, oldest first; together they cover segments 1 to `first_segment − 1`.
    package var removals: [Removal]
    package var time: Timestamp
    package var keyID: String
    package var signature: [UInt8] = []

    package init(
        storeID: String, firstSegment: UInt64, firstSeq: UInt64, prevHash: SHA256Digest, prevManifestSHA256: SHA256Digest,
        removals: [Removal], time: Timestamp, keyID: String
    ) {
        self.storeID = storeID
        self.firstSegment = firstSegment
        self.firstSeq = firstSeq
        self.prevHash = prevHash
        self.prevManifestSHA256 = prevManifestSHA256
        self.removals = removals
        self.time = time
        self.keyID = keyID
    }

    package var body: JSONObject {
        let value: JSONValue = [
            "format": .string(RetentionState.format),
            "version": .number(Double(RetentionState.version)),
            "store_id": .string(storeID),
            "first_segment": .number(Double(firstSegment)),
            "first_seq": .number(Double(firstSeq)),
            "prev_hash": .string(prevHash.hex),
            "prev_manifest_sha256": .string(prevManifestSHA256.hex),
            "removed": .array(removals.map { r -> JSONValue in
                [
                    "first_segment": .number(Double(r.segments.lowerBound)), "last_segment": .number(Double(r.segments.upperBound)),
                    "first_seq": .number(Double(r.seqs.lowerBound)), "last_seq": .number(Double(r.seqs.upperBound)),
                    "records": .number(Double(r.records)), "policy": .string(r.policy), "policy_sha256": .string(r.policySHA256.hex),
                    "time": .string(r.time.description),
                ]
            }),
            "time": .string(time.description),
            "key_id": .string(keyID),
        ]
        return value.objectValue!
    }

    package init(bytes: [UInt8]) throws(RecordError) {
        let document = try SignedDocument(bytes: bytes, format: RetentionState.format, version: RetentionState.version, what: "retention state")
        let r = SignedDocument.Reader(document.body, what: "retention state")
        var removals: [Removal] = []
        for value in try r.array("removed") {
            let e = SignedDocument.Reader(value.objectValue ?? [:], what: "retention state 'removed' entry")
            let firstSegment = try e.integer("first_segment"), lastSegment = try e.integer("last_segment")
            let firstSeq = try e.integer("first_seq"), lastSeq = try e.integer("last_seq")
            guard firstSegment >= 1, firstSegment <= lastSegment, firstSeq <= lastSeq else {
                throw RecordError("retention state 'removed' entry has an empty or reversed range")
            }
            removals.append(Removal(
                segments: firstSegment...lastSegment, seqs: firstSeq...lastSeq, records: Int(try e.integer("records")),
                policy: try e.string("policy"), policySHA256: try e.digest("policy_sha256"), time: try e.timestamp("time")
            ))
        }
        let firstSegment = try r.integer("first_segment"), firstSeq = try r.integer("first_seq")
        guard firstSegment >= 2, firstSeq >= 1 else { throw RecordError("retention state must start after segment 1") }
        self.init(
            storeID: try r.string("store_id"), firstSegment: firstSegment, firstSeq: firstSeq, prevHash: try r.digest("prev_hash"),
            prevManifestSHA256: try r.digest("prev_manifest_sha256"), removals: removals, time: try r.timestamp("time"), keyID: try r.string("key_id")
        )
        self.signature = document.signature
    }
}
