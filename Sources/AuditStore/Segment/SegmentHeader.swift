import AuditCrypto
import AuditModel

/// The first gzip member of every segment: one JSON line that says which store and segment this is,
/// where its part of the chain starts, and holds the segment's salt tree.
///
/// It is covered by the manifest's `segment_sha256` once the segment is sealed, and its chain fields are
/// repeated in the manifest, so a verifier never has to trust it on its own.
package struct SegmentHeader: Sendable, Hashable {
    package static let marker = "auditq-segment"
    package static let version = 1

    package var storeID: String
    package var segment: UInt64
    package var firstSeq: UInt64
    package var prevHash: SHA256Digest
    package var created: Timestamp
    package var saltTree: SaltTree

    package init(storeID: String, segment: UInt64, firstSeq: UInt64, prevHash: SHA256Digest, created: Timestamp, saltTree: SaltTree) {
        self.storeID = storeID
        self.segment = segment
        self.firstSeq = firstSeq
        self.prevHash = prevHash
        self.created = created
        self.saltTree = saltTree
    }

    package var json: JSONValue {
        [
            "auditq": .string(SegmentHeader.marker),
            "v": .number(Double(SegmentHeader.version)),
            "store_id": .string(storeID),
            "segment": .number(Double(segment)),
            "first_seq": .number(Double(firstSeq)),
            "prev_hash": .string(prevHash.hex),
            "created": .string(created.description),
            "salt_tree": .array(saltTree.nodes.map { node in
                ["depth": .number(Double(node.depth)), "prefix": .number(Double(node.prefix)), "key": .string(node.key.hex)]
            }),
        ]
    }

    /// The header line as stored (canonical JSON and a newline).
    package var line: [UInt8] {
        CanonicalJSON.encode(json) + [0x0A]
    }

    package init(line: [UInt8]) throws(RecordError) {
        let value: JSONValue
        do {
            // A header grows by about 100 bytes per salt-tree node an erasure adds (up to 24 per erased
            // record): read it up to the size of a whole block member.
            value = try JSONParser(limits: .init(maxDepth: 8, maxBytes: SegmentScanner.maxBlockBytes)).parse(line)
        } catch {
            throw RecordError("segment header is not valid JSON: \(error)")
        }
        guard let o = value.objectValue, o["auditq"]?.stringValue == SegmentHeader.marker else {
            throw RecordError("segment header is missing (the first line is not an auditq segment header)")
        }
        guard o["v"]?.integerValue == Int64(SegmentHeader.version) else {
            throw RecordError("segment header version \(o["v"]?.integerValue.map(String.init) ?? "?") is not supported")
        }
        guard let storeID = o["store_id"]?.stringValue,
            let segment = o["segment"]?.integerValue, segment >= 1,
            let firstSeq = o["first_seq"]?.integerValue, firstSeq >= 1,
            let prevText = o["prev_hash"]?.stringValue, let prevHash = SHA256Digest(hex: prevText),
            let createdText = o["created"]?.stringValue, let created = Timestamp(rfc3339: createdText),
            let nodes = o["salt_tree"]?.arrayValue
        else {
            throw RecordError("segment header lacks a required member or has one of the wrong type")
        }
        var tree: [SaltTree.Node] = []
        for node in nodes {
            guard let n = node.objectValue, let depth = n["depth"]?.integerValue, (0...Int64(SaltTree.depth)).contains(depth),
                let prefix = n["prefix"]?.integerValue, prefix >= 0, prefix < (Int64(1) << depth),
                let keyText = n["key"]?.stringValue, let key = SHA256Digest(hex: keyText)
            else {
                throw RecordError("segment header has a malformed salt_tree node")
            }
            tree.append(SaltTree.Node(depth: Int(depth), prefix: UInt32(prefix), key: key))
        }
        self.init(
            storeID: storeID, segment: UInt64(segment), firstSeq: UInt64(firstSeq), prevHash: prevHash, created: created,
            saltTree: SaltTree(nodes: tree)
        )
    }
}
