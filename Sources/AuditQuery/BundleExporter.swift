import AuditCrypto
import AuditModel
import AuditStore

/// Builds evidence bundles: the records matching one key, with everything needed to check them
/// offline against the signed manifests and nothing about other records but hashes.
package struct BundleExporter {
    package struct Result {
        package var bundle: EvidenceBundle
        /// Matching records in the open (unsealed) segment, which cannot be proven yet.
        package var unsealedSkipped: Int
    }

    package let path: String

    package init(path: String) {
        self.path = path
    }

    package func export(_ key: FindQuery.Key, trustedKeys: [Ed25519.PublicKey]?) throws(QueryError) -> Result {
        let finder = try Finder(path: path, trustedKeys: trustedKeys)
        var matches: [Match] = []
        _ = try finder.find(FindQuery(keys: [key])) { matches.append($0) }
        let layout = StoreLayout(root: path)
        let storeID: String
        do {
            storeID = try StoreDescriptor.load(layout).storeID
        } catch {
            throw QueryError(.io, error.message, path: error.path ?? path)
        }
        var manifests: [UInt64: EvidenceBundle.SignedManifest] = [:]
        var entries: [EvidenceBundle.Entry] = []
        var skipped = 0
        let bySegment = Dictionary(grouping: matches, by: \.segment)
        for number in bySegment.keys.sorted() {
            guard FileSystem.exists(layout.manifest(number)) else {
                skipped += bySegment[number]!.count
                continue
            }
            do throws(any Error) {
                let manifestBytes = try FileSystem.readFile(layout.manifest(number))
                manifests[number] = EvidenceBundle.SignedManifest(bytes: manifestBytes, signature: try FileSystem.readFile(layout.signature(number)))
                entries += try prove(bySegment[number]!, segment: number, layout: layout)
            } catch let error as QueryError {
                throw error
            } catch {
                throw QueryError(.io, "segment \(number): \(error)", path: layout.segment(number))
            }
        }
        var query = JSONObject()
        query[key.field.rawValue] = .string(key.value)
        return Result(
            bundle: EvidenceBundle(storeID: storeID, query: query, created: .now(), manifests: manifests, entries: entries.sorted { $0.seq < $1.seq }),
            unsealedSkipped: skipped
        )
    }

    /// Digests every record of the segment to build the Merkle tree, then the proofs of the matches.
    private func prove(_ matches: [Match], segment number: UInt64, layout: StoreLayout) throws -> [EvidenceBundle.Entry] {
        let path = layout.current(number).segment
        var scanner = SegmentScanner(bytes: try FileSystem.readFile(path))
        let header = try scanner.readHeader()
        var leaves: [SHA256Digest] = []
        var lines: [UInt64: String] = [:]
        let wanted = Set(matches.map(\.seq))
        while let block = scanner.nextBlock() {
            for line in block.lines {
                let record = try Record(line: line)
                let leafKey = header.saltTree.leafKey(Int(record.seq - header.firstSeq))
                leaves.append(MerkleTree.leafHash(try record.digest(leafKey: leafKey)))
                if wanted.contains(record.seq) { lines[record.seq] = String(decoding: line, as: UTF8.self) }
            }
        }
        let tree = MerkleTree.ProofTree(leafHashes: leaves)
        return try matches.map { match in
            let index = Int(match.seq - header.firstSeq)
            guard index >= 0, index < leaves.count, let line = lines[match.seq] else {
                throw QueryError(.io, "record \(match.seq) is not in segment \(number) as expected; run 'auditq verify'", path: path)
            }
            var salts: [String: SHA256Digest] = [:]
            if let record = try? Record(line: Array(line.utf8)) {
                let leafKey = header.saltTree.leafKey(index)
                // After an erasure the leaf key is gone and the record carries its remaining salts itself.
                for path in record.presentPersonalDataPaths {
                    if let leafKey { salts[path] = SaltTree.salt(leafKey: leafKey, path: path) }
                }
            }
            return EvidenceBundle.Entry(
                segment: number, seq: match.seq, leafIndex: index, line: line, salts: salts,
                proof: tree.inclusionProof(index: index)
            )
        }
    }
}
