import AuditCrypto
import AuditModel

/// The signed statement that a sealed segment was rewritten by an erasure or a retention run, and
/// what its files are now. The segment's manifest is never changed (the next manifest links to its
/// hash); this document takes over the manifest's file-level members (`segment_sha256`,
/// `segment_bytes`, `blocks`, `index`), while the record-level ones (sequence range, chain head,
/// Merkle root, block chain heads) must still hold, because erasure and expiry keep every record digest.
///
/// `DIR/segments/segment-NNNNNNNN.rewrite.json`, a ``SignedDocument``. See `docs/formats.md`
/// § Segment rewrites.
package struct SegmentRewrite: KeySigned, Sendable, Hashable {
    package static let format = "auditq-segment-rewrite"
    package static let version = 1

    /// Values erased under one request reference, over all generations.
    package struct Erasure: Sendable, Hashable {
        package var reference: String
        package var records: Int
        package var values: Int

        package init(reference: String, records: Int, values: Int) {
            self.reference = reference
            self.records = records
            self.values = values
        }
    }

    /// Records expired under one policy, over all generations.
    package struct Expiry: Sendable, Hashable {
        package var policy: String
        package var policySHA256: SHA256Digest
        package var records: Int

        package init(policy: String, policySHA256: SHA256Digest, records: Int) {
            self.policy = policy
            self.policySHA256 = policySHA256
            self.records = records
        }
    }

    package var storeID: String
    package var segment: UInt64
    /// 1 for the first rewrite, then consecutive.
    package var generation: Int
    /// SHA-256 of the segment's manifest file (which stays as the writer signed it).
    package var manifestSHA256: SHA256Digest
    /// SHA-256 of the rewrite document this one replaces (nil for generation 1).
    package var previousSHA256: SHA256Digest?
    package var segmentSHA256: SHA256Digest
    package var segmentBytes: Int
    package var blocks: [SegmentManifest.Block]
    package var index: SegmentManifest.Index
    package var erasures: [Erasure]
    package var expiries: [Expiry]
    package var time: Timestamp
    package var keyID: String
    package var signature: [UInt8] = []

    package init(
        storeID: String, segment: UInt64, generation: Int, manifestSHA256: SHA256Digest, previousSHA256: SHA256Digest?,
        segmentSHA256: SHA256Digest, segmentBytes: Int, blocks: [SegmentManifest.Block], index: SegmentManifest.Index,
        erasures: [Erasure], expiries: [Expiry], time: Timestamp, keyID: String
    ) {
        self.storeID = storeID
        self.segment = segment
        self.generation = generation
        self.manifestSHA256 = manifestSHA256
        self.previousSHA256 = previousSHA256
        self.segmentSHA256 = segmentSHA256
        self.segmentBytes = segmentBytes
        self.blocks = blocks
        self.index = index
        self.erasures = erasures
        self.expiries = expiries
        self.time = time
        self.keyID = keyID
    }

    /// The segment file this generation names.
    package var file: String { StoreLayout.segmentFileName(segment, generation: generation) }

    package var body: JSONObject {
        let value: JSONValue = [
            "format": .string(SegmentRewrite.format),
            "version": .number(Double(SegmentRewrite.version)),
            "store_id": .string(storeID),
            "segment": .number(Double(segment)),
            "generation": .number(Double(generation)),
            "file": .string(file),
            "manifest_sha256": .string(manifestSHA256.hex),
            "previous_sha256": previousSHA256.map { .string($0.hex) } ?? .null,
            "segment_sha256": .string(segmentSHA256.hex),
            "segment_bytes": .number(Double(segmentBytes)),
            "blocks": .array(blocks.map(\.json)),
            "index": index.json,
            "erased": .array(erasures.map { ["ref": .string($0.reference), "records": .number(Double($0.records)), "values": .number(Double($0.values))] }),
            "expired": .array(expiries.map { ["policy": .string($0.policy), "policy_sha256": .string($0.policySHA256.hex), "records": .number(Double($0.records))] }),
            "time": .string(time.description),
            "key_id": .string(keyID),
        ]
        return value.objectValue!
    }

    package init(bytes: [UInt8]) throws(RecordError) {
        let document = try SignedDocument(bytes: bytes, format: SegmentRewrite.format, version: SegmentRewrite.version, what: "segment rewrite")
        let r = SignedDocument.Reader(document.body, what: "segment rewrite")
        var blocks: [SegmentManifest.Block] = []
        for value in try r.array("blocks") {
            guard let block = SegmentManifest.Block(json: value) else { throw RecordError("segment rewrite has a malformed block entry") }
            blocks.append(block)
        }
        guard let indexValue = document.body["index"], let index = SegmentManifest.Index(json: indexValue) else {
            throw RecordError("segment rewrite member 'index' is missing or malformed")
        }
        var erasures: [Erasure] = []
        for value in try r.array("erased") {
            let e = SignedDocument.Reader(value.objectValue ?? [:], what: "segment rewrite 'erased' entry")
            erasures.append(Erasure(reference: try e.string("ref"), records: Int(try e.integer("records")), values: Int(try e.integer("values"))))
        }
        var expiries: [Expiry] = []
        for value in try r.array("expired") {
            let e = SignedDocument.Reader(value.objectValue ?? [:], what: "segment rewrite 'expired' entry")
            expiries.append(Expiry(policy: try e.string("policy"), policySHA256: try e.digest("policy_sha256"), records: Int(try e.integer("records"))))
        }
        let generation = try r.integer("generation")
        guard generation >= 1, generation < 1_000_000_000 else { throw RecordError("segment rewrite generation \(generation) is out of range") }
        self.init(
            storeID: try r.string("store_id"), segment: try r.integer("segment"), generation: Int(generation),
            manifestSHA256: try r.digest("manifest_sha256"), previousSHA256: try r.optionalDigest("previous_sha256"),
            segmentSHA256: try r.digest("segment_sha256"), segmentBytes: Int(try r.integer("segment_bytes")), blocks: blocks, index: index,
            erasures: erasures, expiries: expiries, time: try r.timestamp("time"), keyID: try r.string("key_id")
        )
        guard try r.string("file") == file else { throw RecordError("segment rewrite member 'file' is not \(file)") }
        self.signature = document.signature
    }
}
