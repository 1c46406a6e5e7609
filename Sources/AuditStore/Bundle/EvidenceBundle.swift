import AuditCrypto
import AuditModel

/// A self-contained, offline-checkable extract of a store: the records matching one key, each with a
/// Merkle inclusion proof against its segment's signed manifest, the manifests and signatures, and the
/// salts of the records' own personal-data values (never a leaf key, so nothing about other records'
/// values can be derived). See `docs/formats.md` § Evidence bundles.
package struct EvidenceBundle: Sendable {
    package static let format = "auditq-bundle"
    package static let version = 1
    /// The largest bundle a reader parses (`auditq verify-bundle`): a writer refuses to make a larger one.
    package static let maxBytes = 1 << 30

    package struct Entry: Sendable {
        package var segment: UInt64
        package var seq: UInt64
        /// Position of the record among its segment's records (the Merkle leaf index).
        package var leafIndex: Int
        /// The record line as stored.
        package var line: String
        /// Salts of the record's personal-data values, by path.
        package var salts: [String: SHA256Digest]
        /// RFC 9162 audit path, bottom-up.
        package var proof: [SHA256Digest]

        package init(segment: UInt64, seq: UInt64, leafIndex: Int, line: String, salts: [String: SHA256Digest], proof: [SHA256Digest]) {
            self.segment = segment
            self.seq = seq
            self.leafIndex = leafIndex
            self.line = line
            self.salts = salts
            self.proof = proof
        }
    }

    package struct SignedManifest: Sendable {
        package var bytes: [UInt8]
        package var signature: [UInt8]

        package init(bytes: [UInt8], signature: [UInt8]) {
            self.bytes = bytes
            self.signature = signature
        }
    }

    package var storeID: String
    package var query: JSONObject
    package var created: Timestamp
    package var manifests: [UInt64: SignedManifest]
    package var entries: [Entry]

    package init(storeID: String, query: JSONObject, created: Timestamp, manifests: [UInt64: SignedManifest], entries: [Entry]) {
        self.storeID = storeID
        self.query = query
        self.created = created
        self.manifests = manifests
        self.entries = entries
    }

    /// The bundle's bytes (canonical JSON and a newline), or an error when a reader would refuse them
    /// for their size.
    package func encoded(maxBytes: Int = EvidenceBundle.maxBytes) throws(RecordError) -> [UInt8] {
        let bytes = CanonicalJSON.encode(json) + [0x0A]
        guard bytes.count <= maxBytes else {
            throw RecordError("the bundle of \(entries.count) records would be \(bytes.count) bytes, over the \(maxBytes) that 'auditq verify-bundle' reads; export fewer records at a time (one --transaction or --request each)")
        }
        return bytes
    }

    package var json: JSONValue {
        var manifestsObject = JSONObject()
        for (number, manifest) in manifests {
            manifestsObject[String(number)] = [
                "manifest": .string(Base64.encode(manifest.bytes)), "signature": .string(Base64.encode(manifest.signature)),
            ]
        }
        let records: [JSONValue] = entries.map { entry in
            var salts = JSONObject()
            for (path, salt) in entry.salts { salts[path] = .string(salt.hex) }
            return [
                "segment": .number(Double(entry.segment)), "seq": .number(Double(entry.seq)),
                "leaf_index": .number(Double(entry.leafIndex)), "record": .string(entry.line),
                "salts": .object(salts), "proof": .array(entry.proof.map { .string($0.hex) }),
            ]
        }
        return [
            "format": .string(EvidenceBundle.format), "version": .number(Double(EvidenceBundle.version)),
            "store_id": .string(storeID), "query": .object(query), "created": .string(created.description),
            "manifests": .object(manifestsObject), "records": .array(records),
        ]
    }

    package init(bytes: [UInt8]) throws(RecordError) {
        let value: JSONValue
        do {
            value = try JSONParser(limits: .init(maxDepth: 16, maxBytes: EvidenceBundle.maxBytes)).parse(bytes)
        } catch {
            throw RecordError("bundle is not valid JSON: \(error)")
        }
        guard let o = value.objectValue, o["format"]?.stringValue == EvidenceBundle.format else {
            throw RecordError("not an auditq evidence bundle (member 'format' is not \"\(EvidenceBundle.format)\")")
        }
        guard o["version"]?.integerValue == Int64(EvidenceBundle.version) else { throw RecordError("bundle version is not supported") }
        guard let storeID = o["store_id"]?.stringValue, let query = o["query"]?.objectValue,
            let createdText = o["created"]?.stringValue, let created = Timestamp(rfc3339: createdText),
            let manifestObject = o["manifests"]?.objectValue, let records = o["records"]?.arrayValue
        else { throw RecordError("bundle lacks a required member") }
        var manifests: [UInt64: SignedManifest] = [:]
        for member in manifestObject {
            guard let number = UInt64(member.key), let m = member.value.objectValue,
                let bytes = m["manifest"]?.stringValue.flatMap(Base64.decode), let signature = m["signature"]?.stringValue.flatMap(Base64.decode)
            else { throw RecordError("bundle manifest '\(member.key.prefix(20))' is malformed") }
            manifests[number] = SignedManifest(bytes: bytes, signature: signature)
        }
        var entries: [Entry] = []
        for (i, record) in records.enumerated() {
            guard let r = record.objectValue, let segment = r["segment"]?.integerValue, segment >= 1, let seq = r["seq"]?.integerValue, seq >= 1,
                let leaf = r["leaf_index"]?.integerValue, leaf >= 0, let line = r["record"]?.stringValue,
                let saltObject = r["salts"]?.objectValue, let proofValues = r["proof"]?.arrayValue
            else { throw RecordError("bundle record \(i) is malformed") }
            var salts: [String: SHA256Digest] = [:]
            for member in saltObject {
                guard let salt = member.value.stringValue.flatMap({ SHA256Digest(hex: $0) }) else { throw RecordError("bundle record \(i) has a malformed salt") }
                salts[member.key] = salt
            }
            var proof: [SHA256Digest] = []
            for p in proofValues {
                guard let h = p.stringValue.flatMap({ SHA256Digest(hex: $0) }) else { throw RecordError("bundle record \(i) has a malformed proof") }
                proof.append(h)
            }
            entries.append(Entry(segment: UInt64(segment), seq: UInt64(seq), leafIndex: Int(leaf), line: line, salts: salts, proof: proof))
        }
        self.init(storeID: storeID, query: query, created: created, manifests: manifests, entries: entries)
    }

    /// The record digest an entry claims, recomputed from its line and its salts alone.
    package static func digest(of entry: Entry) throws(RecordError) -> SHA256Digest {
        let value: JSONValue
        do {
            value = try Record.parser.parse(entry.line)
        } catch {
            throw RecordError("record \(entry.seq) is not valid JSON: \(error)")
        }
        guard case .object(var object) = value else { throw RecordError("record \(entry.seq) is not an object") }
        if !entry.salts.isEmpty {
            // A record whose leaf key an erasure removed carries its remaining salts in its line; the
            // bundle gives salts only for records that have none there.
            guard object[Record.Key.salts] == nil else { throw RecordError("record \(entry.seq) carries salts in its line and in the bundle") }
            var salts = JSONObject()
            for (path, salt) in entry.salts { salts[path] = .string(salt.hex) }
            object[Record.Key.salts] = .object(salts)
        }
        let record = try Record(stored: object)
        guard record.seq == entry.seq else { throw RecordError("record line says seq \(record.seq), the bundle says \(entry.seq)") }
        return try record.digest(leafKey: nil)
    }
}
