import AuditCompression
import AuditCrypto
import AuditModel

/// A sealed segment read for maintenance (erasure or expiry): its signed manifest, its current rewrite
/// document, header and records, checked so that a rewrite never launders damage: the file must
/// have the SHA-256 the manifest (or the rewrite document) records, and its records must re-chain to
/// the manifest's chain head and block chain heads.
package struct SealedSegment: Sendable {
    package let number: UInt64
    package let manifest: SegmentManifest
    package let manifestBytes: [UInt8]
    package let rewrite: SegmentRewrite?
    package let rewriteBytes: [UInt8]?
    package let header: SegmentHeader
    /// Record lines (without newline) of each block, in order.
    package let blocks: [[ArraySlice<UInt8>]]
    /// Record digests in sequence order.
    package let digests: [SHA256Digest]

    package var generation: Int { rewrite?.generation ?? 0 }
    package var firstSeq: UInt64 { manifest.firstSeq }

    package static func load(_ number: UInt64, layout: StoreLayout, storeID: String) throws(AuditStoreError) -> SealedSegment {
        let manifestPath = layout.manifest(number)
        let manifestBytes = try FileSystem.readFile(manifestPath)
        let manifest: SegmentManifest
        do {
            manifest = try SegmentManifest(bytes: manifestBytes)
        } catch {
            throw AuditStoreError(.corrupt, "manifest: \(error)", path: manifestPath)
        }
        guard manifest.storeID == storeID, manifest.segment == number else {
            throw AuditStoreError(.tampered, "the manifest is not segment \(number)'s of this store; run 'auditq verify'", path: manifestPath)
        }
        var rewrite: SegmentRewrite?
        var rewriteBytes: [UInt8]?
        if FileSystem.exists(layout.rewrite(number)) {
            let bytes = try FileSystem.readFile(layout.rewrite(number))
            do {
                rewrite = try SegmentRewrite(bytes: bytes)
            } catch {
                throw AuditStoreError(.corrupt, "segment rewrite: \(error)", path: layout.rewrite(number))
            }
            guard rewrite?.segment == number, rewrite?.storeID == storeID, rewrite?.manifestSHA256 == SHA256.hash(manifestBytes) else {
                throw AuditStoreError(.tampered, "the rewrite document does not belong to segment \(number)'s manifest; run 'auditq verify'", path: layout.rewrite(number))
            }
            rewriteBytes = bytes
        }
        let path = layout.segment(number, generation: rewrite?.generation ?? 0)
        let bytes = try FileSystem.readFile(path)
        guard SHA256.hash(bytes) == (rewrite?.segmentSHA256 ?? manifest.segmentSHA256), bytes.count == (rewrite?.segmentBytes ?? manifest.segmentBytes) else {
            throw AuditStoreError(.tampered, "segment \(number) does not have the SHA-256 its signed documents record; run 'auditq verify' (nothing was changed)", path: path)
        }
        var scanner = SegmentScanner(bytes: bytes)
        let header: SegmentHeader
        do {
            header = try scanner.readHeader()
        } catch {
            throw AuditStoreError(.corrupt, "\(error)", path: path)
        }
        var blocks: [[ArraySlice<UInt8>]] = []
        var digests: [SHA256Digest] = []
        var deriver = SaltTree.SequentialDeriver(tree: header.saltTree)
        var chain = manifest.prevHash
        let signedBlocks = rewrite?.blocks ?? manifest.blocks
        while let block = scanner.nextBlock() {
            guard block.isComplete else { break }
            for line in block.lines {
                let seq = manifest.firstSeq + UInt64(digests.count)
                let digest: SHA256Digest
                do {
                    if let fast = line.withUnsafeBytes({ Record.fastDigest(line: $0, firstSeq: manifest.firstSeq, leafKey: { deriver.leafKeyIfPresent($0) }) }) {
                        guard fast.seq == seq else { throw RecordError("record \(fast.seq) found where \(seq) belongs") }
                        digest = fast.digest
                    } else {
                        let record = try Record(line: line)
                        guard record.seq == seq else { throw RecordError("record \(record.seq) found where \(seq) belongs") }
                        digest = try record.digest(leafKey: deriver.leafKeyIfPresent(Int(seq - manifest.firstSeq)))
                    }
                } catch {
                    throw AuditStoreError(.tampered, "segment \(number), record \(seq): \(error); run 'auditq verify' (nothing was changed)", path: path)
                }
                digests.append(digest)
                chain = Chain.next(previous: chain, recordDigest: digest)
            }
            let index = blocks.count
            guard index < signedBlocks.count, signedBlocks[index].chainHead == chain, signedBlocks[index].count == block.lines.count else {
                throw AuditStoreError(.tampered, "segment \(number): the block at byte \(block.offset) does not match its signed chain head; run 'auditq verify' (nothing was changed)", path: path)
            }
            blocks.append(block.lines)
        }
        guard scanner.end == .clean, blocks.count == signedBlocks.count, chain == manifest.chainHead, digests.count == manifest.recordCount else {
            throw AuditStoreError(.tampered, "segment \(number) does not re-chain to its signed manifest; run 'auditq verify' (nothing was changed)", path: path)
        }
        return SealedSegment(
            number: number, manifest: manifest, manifestBytes: manifestBytes, rewrite: rewrite, rewriteBytes: rewriteBytes,
            header: header, blocks: blocks, digests: digests
        )
    }

    /// Every record line with its sequence number.
    package func forEachLine(_ body: (UInt64, ArraySlice<UInt8>) throws -> Void) rethrows {
        var seq = manifest.firstSeq
        for block in blocks {
            for line in block {
                try body(seq, line)
                seq += 1
            }
        }
    }
}
