import AuditCompression
import AuditCrypto
import AuditModel

/// What a rewrite does to one record.
package enum RecordChange: Sendable, Hashable {
    /// Remove the personal-data values at these paths (their commitments and the reference stay).
    case erase(paths: [String], reference: String)
    /// Replace the record by its digest (its retention under `policy` ended).
    case expire(policy: String, policySHA256: SHA256Digest, category: String)
}

extension SealedSegment {
    /// Writes the next generation of this segment with `changes` applied, and commits it:
    ///
    /// 1. the new segment file and its index are written beside the current ones
    ///    (`segment-N.gG.jsonl.gz`, `segment-N.gG.index`) and made durable;
    /// 2. the signed rewrite document naming them replaces the previous one atomically: the commit;
    /// 3. the superseded generation's files are deleted.
    ///
    /// A crash before 2 leaves the old generation current (the new files are strays the next run
    /// replaces); after 2, the new one (the old files are strays the next run deletes). Every changed
    /// record must keep its digest, checked before anything is written.
    ///
    /// - Returns: the committed rewrite document.
    package func rewrite(_ changes: [UInt64: RecordChange], layout: StoreLayout, key: SigningKey, time: Timestamp) throws(AuditStoreError) -> SegmentRewrite {
        let generation = self.generation + 1
        let segmentPath = layout.segment(number, generation: generation)
        var tree = header.saltTree
        var erasures = Dictionary(uniqueKeysWithValues: (rewrite?.erasures ?? []).map { ($0.reference, $0) })
        var expiries = Dictionary(uniqueKeysWithValues: (rewrite?.expiries ?? []).map { ($0.policy + "\u{0}" + $0.policySHA256.hex, $0) })
        var erasureOrder = (rewrite?.erasures ?? []).map(\.reference)
        var expiryOrder = (rewrite?.expiries ?? []).map { $0.policy + "\u{0}" + $0.policySHA256.hex }

        // The blocks' new content first; then each is compressed and indexed, on all cores.
        var contents: [[UInt8]] = []
        let signedBlocks = rewrite?.blocks ?? manifest.blocks
        var seq = manifest.firstSeq
        var punctures: [Int] = []
        for lines in blocks {
            var member: [UInt8] = []
            member.reserveCapacity(lines.reduce(0) { $0 + $1.count + 1 })
            for line in lines {
                defer { seq += 1 }
                guard let change = changes[seq] else {
                    member.append(contentsOf: line)
                    member.append(0x0A)
                    continue
                }
                let leafIndex = Int(seq - manifest.firstSeq)
                let changed: Record
                do {
                    let record = try Record(line: line)
                    let leafKey = header.saltTree.leafKey(leafIndex)
                    switch change {
                    case .erase(let paths, let reference):
                        changed = try record.erasing(paths, reference: reference, leafKey: leafKey)
                        let values = record.presentPersonalDataPaths.count - changed.presentPersonalDataPaths.count
                        if erasures[reference] == nil { erasureOrder.append(reference) }
                        erasures[reference, default: SegmentRewrite.Erasure(reference: reference, records: 0, values: 0)].records += 1
                        erasures[reference]!.values += values
                        // The erased values' salts must not be derivable: remove the record's leaf key.
                        punctures.append(leafIndex)
                    case .expire(let policy, let policySHA256, let category):
                        // No puncture: a stub holds no value whose salt could be tested, only the digest of
                        // the whole sealed record, and a leaf per expired record would grow the header by
                        // about 100 bytes a node for every scattered record expired.
                        changed = try record.expiring(policy: policy, category: category, leafKey: leafKey)
                        let id = policy + "\u{0}" + policySHA256.hex
                        if expiries[id] == nil { expiryOrder.append(id) }
                        expiries[id, default: SegmentRewrite.Expiry(policy: policy, policySHA256: policySHA256, records: 0)].records += 1
                    }
                    // The digest must not move: that is what keeps the chain and the Merkle root valid.
                    guard try changed.digest(leafKey: nil) == digests[leafIndex] else {
                        throw RecordError("the changed record no longer has its digest")
                    }
                } catch {
                    throw AuditStoreError(.corrupt, "segment \(number), record \(seq): \(error)", path: layout.segment(number, generation: self.generation))
                }
                member.append(contentsOf: changed.storedBytes)
                member.append(0x0A)
            }
            contents.append(member)
        }
        for index in punctures { tree.puncture(index) }
        let headerMember = try StoreWriter.headerMember(SegmentHeader(storeID: header.storeID, segment: number, firstSeq: header.firstSeq, prevHash: header.prevHash, created: header.created, saltTree: tree))

        // Each block's gzip member and index keys, exactly as `SegmentIndex.build(segmentBytes:)` derives
        // them from the file (what `auditq verify` and `index rebuild` compare against).
        let prepared = ParallelWork<Result<(member: [UInt8], keys: [SegmentIndex.RecordKeys]), AuditStoreError>>.map(count: contents.count) { b in
            do {
                let member = try Gzip.deflate(contents[b], level: 6)
                let keys = try SegmentScanner.split(contents[b]).lines.map { try SegmentIndex.recordKeys(line: $0).keys }
                return .success((member, keys))
            } catch {
                return .failure(AuditStoreError(.corrupt, "cannot compress or index block \(b) of the rewritten segment \(number): \(error)", path: segmentPath))
            }
        }
        var file = headerMember
        var blockTable: [SegmentManifest.Block] = []
        var builder = SegmentIndex.Builder()
        for (b, result) in prepared.enumerated() {
            let (member, keys) = try result.get()
            blockTable.append(SegmentManifest.Block(offset: file.count, firstSeq: signedBlocks[b].firstSeq, count: keys.count, chainHead: signedBlocks[b].chainHead))
            for key in keys { builder.add(key) }
            builder.finishBlock(offset: file.count, firstSeq: signedBlocks[b].firstSeq)
            file += member
        }
        let index = builder.encode(segment: number, firstSeq: header.firstSeq, recordCount: digests.count, segmentBytes: file.count)
        try FileSystem.writeAtomically(file, to: segmentPath)
        CrashPoint.hit("rewrite-segment-written")
        try FileSystem.writeAtomically(index.bytes, to: layout.index(number, generation: generation))
        CrashPoint.hit("rewrite-index-written")
        let document = try SegmentRewrite(
            storeID: header.storeID, segment: number, generation: generation, manifestSHA256: SHA256.hash(manifestBytes),
            previousSHA256: rewriteBytes.map { SHA256.hash($0) }, segmentSHA256: SHA256.hash(file), segmentBytes: file.count,
            blocks: blockTable, index: SegmentManifest.Index(bytes: index.bytes.count, root: index.root),
            erasures: erasureOrder.compactMap { erasures[$0] }, expiries: expiryOrder.compactMap { expiries[$0] }, time: time, keyID: key.keyID
        ).signed(with: key)
        try FileSystem.writeAtomically(document.document.documentBytes, to: layout.rewrite(number))
        CrashPoint.hit("rewrite-committed")
        try SealedSegment.removeSuperseded(number, current: generation, layout: layout)
        CrashPoint.hit("rewrite-cleaned")
        return document
    }

    /// Deletes every generation of a segment's file and index except `current`: what an interrupted
    /// rewrite leaves behind (strays of an uncommitted generation, or the superseded one).
    package static func removeSuperseded(_ number: UInt64, current: Int, layout: StoreLayout) throws(AuditStoreError) {
        var removed = false
        for name in try FileSystem.contents(of: layout.segmentsDirectory) {
            guard let parsed = StoreLayout.parseGeneration(fileName: name), parsed.number == number,
                parsed.kind == .segment || parsed.kind == .index, parsed.generation != current
            else { continue }
            try FileSystem.remove(FileSystem.join(layout.segmentsDirectory, name))
            removed = true
        }
        if removed { try FileSystem.syncDirectory(layout.segmentsDirectory) }
    }
}
