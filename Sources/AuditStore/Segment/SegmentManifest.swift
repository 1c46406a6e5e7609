import AuditCrypto
import AuditModel

/// The signed statement that seals a segment. Stored as its RFC 8785 bytes (exactly what is signed)
/// beside a detached 64-byte Ed25519 signature, so `openssl pkeyutl -verify -rawin` checks it directly.
///
/// Version 2 added `index` (the segment's lookup index, see ``SegmentIndex``); version 1 manifests,
/// written before indexes existed, are still read: their segments have no index and lookups scan them.
package struct SegmentManifest: Sendable, Hashable {
    package static let format = "auditq-manifest"
    package static let version = 2
    /// Versions this build reads.
    package static let readableVersions: ClosedRange<Int64> = 1...2

    /// The signed reference to the segment's index file.
    package struct Index: Sendable, Hashable {
        /// The index format version (``SegmentIndex/version``).
        package var version: Int
        /// Size of the index file.
        package var bytes: Int
        /// SHA-256 of the index file's directory, which holds the SHA-256 of every page.
        package var root: SHA256Digest

        package init(version: Int = SegmentIndex.version, bytes: Int, root: SHA256Digest) {
            self.version = version
            self.bytes = bytes
            self.root = root
        }

        package var json: JSONValue {
            ["version": .number(Double(version)), "bytes": .number(Double(bytes)), "root": .string(root.hex)]
        }

        package init?(json: JSONValue) {
            guard let io = json.objectValue, let v = io["version"]?.integerValue, v >= 1, let bytes = io["bytes"]?.integerValue, bytes >= 0,
                let rootText = io["root"]?.stringValue, let root = SHA256Digest(hex: rootText)
            else { return nil }
            self.init(version: Int(v), bytes: Int(bytes), root: root)
        }
    }

    /// Where one block (gzip member) of records starts.
    package struct Block: Sendable, Hashable {
        package var offset: Int
        package var firstSeq: UInt64
        package var count: Int
        /// The chain hash after the block's last record, so a verifier can say which block was altered.
        package var chainHead: SHA256Digest

        package init(offset: Int, firstSeq: UInt64, count: Int, chainHead: SHA256Digest) {
            self.offset = offset
            self.firstSeq = firstSeq
            self.count = count
            self.chainHead = chainHead
        }

        package var json: JSONValue {
            ["offset": .number(Double(offset)), "first_seq": .number(Double(firstSeq)), "count": .number(Double(count)), "chain_head": .string(chainHead.hex)]
        }

        package init?(json: JSONValue) {
            guard let bo = json.objectValue, let offset = bo["offset"]?.integerValue, offset >= 0,
                let first = bo["first_seq"]?.integerValue, first >= 1, let count = bo["count"]?.integerValue, count >= 0,
                let headText = bo["chain_head"]?.stringValue, let head = SHA256Digest(hex: headText)
            else { return nil }
            self.init(offset: Int(offset), firstSeq: UInt64(first), count: Int(count), chainHead: head)
        }
    }

    package var storeID: String
    package var segment: UInt64
    package var file: String
    package var firstSeq: UInt64
    package var lastSeq: UInt64
    package var recordCount: Int
    package var firstTimestamp: Timestamp?
    package var lastTimestamp: Timestamp?
    /// Earliest and latest event time in the segment (event clocks can go backwards; order is by `seq`).
    package var minTimestamp: Timestamp?
    package var maxTimestamp: Timestamp?
    package var prevHash: SHA256Digest
    package var chainHead: SHA256Digest
    package var merkleRoot: SHA256Digest
    package var segmentSHA256: SHA256Digest
    package var segmentBytes: Int
    package var blocks: [Block]
    package var prevManifestSHA256: SHA256Digest?
    package var keyID: String
    package var sealedAt: Timestamp
    /// Nil only in version 1 manifests.
    package var index: Index?

    package init(
        storeID: String, segment: UInt64, file: String, firstSeq: UInt64, lastSeq: UInt64, recordCount: Int,
        firstTimestamp: Timestamp?, lastTimestamp: Timestamp?, minTimestamp: Timestamp?, maxTimestamp: Timestamp?, prevHash: SHA256Digest, chainHead: SHA256Digest,
        merkleRoot: SHA256Digest, segmentSHA256: SHA256Digest, segmentBytes: Int, blocks: [Block],
        prevManifestSHA256: SHA256Digest?, keyID: String, sealedAt: Timestamp, index: Index?
    ) {
        self.storeID = storeID
        self.segment = segment
        self.file = file
        self.firstSeq = firstSeq
        self.lastSeq = lastSeq
        self.recordCount = recordCount
        self.firstTimestamp = firstTimestamp
        self.lastTimestamp = lastTimestamp
        self.minTimestamp = minTimestamp
        self.maxTimestamp = maxTimestamp
        self.prevHash = prevHash
        self.chainHead = chainHead
        self.merkleRoot = merkleRoot
        self.segmentSHA256 = segmentSHA256
        self.segmentBytes = segmentBytes
        self.blocks = blocks
        self.prevManifestSHA256 = prevManifestSHA256
        self.keyID = keyID
        self.sealedAt = sealedAt
        self.index = index
    }

    package var json: JSONValue {
        var object: JSONObject = [
            "format": .string(SegmentManifest.format),
            "version": .number(Double(index == nil ? 1 : SegmentManifest.version)),
            "store_id": .string(storeID),
            "segment": .number(Double(segment)),
            "file": .string(file),
            "first_seq": .number(Double(firstSeq)),
            "last_seq": .number(Double(lastSeq)),
            "record_count": .number(Double(recordCount)),
            "first_ts": firstTimestamp.map { .string($0.description) } ?? .null,
            "last_ts": lastTimestamp.map { .string($0.description) } ?? .null,
            "min_ts": minTimestamp.map { .string($0.description) } ?? .null,
            "max_ts": maxTimestamp.map { .string($0.description) } ?? .null,
            "prev_hash": .string(prevHash.hex),
            "chain_head": .string(chainHead.hex),
            "merkle_root": .string(merkleRoot.hex),
            "segment_sha256": .string(segmentSHA256.hex),
            "segment_bytes": .number(Double(segmentBytes)),
            "blocks": .array(blocks.map(\.json)),
            "prev_manifest_sha256": prevManifestSHA256.map { .string($0.hex) } ?? .null,
            "key_id": .string(keyID),
            "sealed_at": .string(sealedAt.description),
        ]
        if let index { object["index"] = index.json }
        return .object(object)
    }

    /// The bytes that are stored and signed.
    package var canonicalBytes: [UInt8] { CanonicalJSON.encode(json) }

    package init(bytes: [UInt8]) throws(RecordError) {
        let value: JSONValue
        do {
            value = try JSONParser().parse(bytes)
        } catch {
            throw RecordError("manifest is not valid JSON: \(error)")
        }
        guard let o = value.objectValue, o["format"]?.stringValue == SegmentManifest.format else {
            throw RecordError("not a manifest (member 'format' is not \"\(SegmentManifest.format)\")")
        }
        guard let version = o["version"]?.integerValue, SegmentManifest.readableVersions.contains(version) else {
            throw RecordError("manifest version \(o["version"]?.integerValue.map(String.init) ?? "?") is not supported")
        }
        func string(_ key: String) throws(RecordError) -> String {
            guard let s = o[key]?.stringValue else { throw RecordError("manifest member '\(key)' is missing or not a string") }
            return s
        }
        func int(_ key: String) throws(RecordError) -> Int64 {
            guard let n = o[key]?.integerValue, n >= 0 else { throw RecordError("manifest member '\(key)' is missing or not a non-negative integer") }
            return n
        }
        func digest(_ key: String) throws(RecordError) -> SHA256Digest {
            guard let d = SHA256Digest(hex: try string(key)) else { throw RecordError("manifest member '\(key)' is not 64 hex digits") }
            return d
        }
        func timestamp(_ key: String) throws(RecordError) -> Timestamp? {
            if o[key] == .null { return nil }
            guard let t = Timestamp(rfc3339: try string(key)) else { throw RecordError("manifest member '\(key)' is not an RFC 3339 time") }
            return t
        }
        guard let blockValues = o["blocks"]?.arrayValue else { throw RecordError("manifest member 'blocks' is missing") }
        var blocks: [Block] = []
        for b in blockValues {
            guard let block = Block(json: b) else { throw RecordError("manifest has a malformed block entry") }
            blocks.append(block)
        }
        let prevManifest: SHA256Digest? = o["prev_manifest_sha256"] == .null ? nil : try digest("prev_manifest_sha256")
        guard let sealedAt = try timestamp("sealed_at") else { throw RecordError("manifest member 'sealed_at' is null") }
        var index: Index?
        if version >= 2 {
            guard let value = o["index"], let signed = Index(json: value) else { throw RecordError("manifest member 'index' is missing or malformed") }
            index = signed
        } else if o["index"] != nil {
            throw RecordError("manifest version 1 has no member 'index'")
        }
        self.init(
            storeID: try string("store_id"), segment: UInt64(try int("segment")), file: try string("file"),
            firstSeq: UInt64(try int("first_seq")), lastSeq: UInt64(try int("last_seq")), recordCount: Int(try int("record_count")),
            firstTimestamp: try timestamp("first_ts"), lastTimestamp: try timestamp("last_ts"),
            minTimestamp: try timestamp("min_ts"), maxTimestamp: try timestamp("max_ts"),
            prevHash: try digest("prev_hash"), chainHead: try digest("chain_head"), merkleRoot: try digest("merkle_root"),
            segmentSHA256: try digest("segment_sha256"), segmentBytes: Int(try int("segment_bytes")), blocks: blocks,
            prevManifestSHA256: prevManifest, keyID: try string("key_id"), sealedAt: sealedAt, index: index
        )
    }
}
