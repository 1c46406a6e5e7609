import AuditCompression
import AuditCrypto
import AuditModel
import AuditStore

/// Checks a store against a keyring of trusted public keys, trusting nothing it reads: every signed
/// document's signature is checked before its content is used, every segment is hashed, every record
/// is re-sealed and re-chained, and every Merkle root recomputed.
public struct Verifier: Sendable {
    public let path: String
    public let trustedKeys: [Ed25519.PublicKey]

    public init(path: String, trustedKeys: [Ed25519.PublicKey]) {
        self.path = path
        self.trustedKeys = trustedKeys
    }

    public func run() -> VerificationReport {
        let started = monotonicSeconds()
        var run = Run(layout: StoreLayout(root: path), keys: Dictionary(trustedKeys.map { ($0.keyID, $0) }, uniquingKeysWith: { a, _ in a }))
        run.verify()
        run.report.seconds = monotonicSeconds() - started
        return run.report
    }
}

extension Verifier {
    struct Run {
        let layout: StoreLayout
        let keys: [String: Ed25519.PublicKey]
        var report = VerificationReport()
        var chainHead = SHA256Digest.zero
        var expectedSeq: UInt64 = 1
        var prevManifestDigest: SHA256Digest?
        var lastTimestamp: Timestamp?

        init(layout: StoreLayout, keys: [String: Ed25519.PublicKey]) {
            self.layout = layout
            self.keys = keys
        }

        mutating func add(_ finding: Finding) {
            report.findings.append(finding)
        }

        mutating func verify() {
            let descriptor: StoreDescriptor
            do {
                descriptor = try StoreDescriptor.load(layout)
            } catch {
                add(Finding(.malformedDocument, file: layout.descriptor, "store descriptor: \(error)"))
                return
            }
            report.storeID = descriptor.storeID
            chainHead = Chain.genesis(storeID: descriptor.storeID)

            let inventory: [UInt64: Set<StoreLayout.FileKind>]
            do {
                inventory = try layout.inventory()
                for name in try FileSystem.contents(of: layout.segmentsDirectory) where StoreLayout.parse(fileName: name) == nil {
                    add(Finding(.unaccountedFile, file: FileSystem.join(layout.segmentsDirectory, name), "file '\(name)' is not part of the store format"))
                }
            } catch {
                add(Finding(.missingFile, file: layout.segmentsDirectory, "cannot list segments: \(error)"))
                return
            }
            for (number, kinds) in inventory where kinds == [.index] {
                add(Finding(.unaccountedFile, segment: number, file: layout.index(number), "index file for segment \(number), which does not exist"))
            }
            let numbers = inventory.filter { $0.value != [.index] }.keys.sorted()
            if let first = numbers.first, first != 1 {
                add(Finding(.missingFile, segment: 1, "segments 1 to \(first - 1) are missing"))
            }
            for (a, b) in zip(numbers, numbers.dropFirst()) where b != a + 1 {
                add(Finding(.missingFile, segment: a + 1, "segments \(a + 1) to \(b - 1) are missing from the middle of the store"))
            }
            for number in numbers {
                let kinds = inventory[number] ?? []
                let isLast = number == numbers.last
                if kinds.contains(.manifest) || kinds.contains(.signature) {
                    verifySealed(number, kinds: kinds, descriptor: descriptor)
                } else if isLast {
                    verifyOpen(number, descriptor: descriptor)
                } else {
                    add(Finding(.missingFile, segment: number, file: layout.manifest(number), "segment \(number) is not the newest but has no manifest: unsealed data inside the signed range"))
                    verifyOpen(number, descriptor: descriptor)
                }
            }
            verifyCheckpoint(descriptor: descriptor)
        }

        // MARK: Sealed segments

        mutating func verifySealed(_ number: UInt64, kinds: Set<StoreLayout.FileKind>, descriptor: StoreDescriptor) {
            report.segmentsChecked += 1
            for (kind, file) in [(StoreLayout.FileKind.segment, layout.segment(number)), (.manifest, layout.manifest(number)), (.signature, layout.signature(number))]
            where !kinds.contains(kind) {
                add(Finding(.missingFile, segment: number, file: file, "\(file) is missing"))
            }
            guard kinds.contains(.manifest), let manifestBytes = try? FileSystem.readFile(layout.manifest(number)) else { return }
            let manifest: SegmentManifest
            do {
                manifest = try SegmentManifest(bytes: manifestBytes)
            } catch {
                add(Finding(.malformedDocument, segment: number, file: layout.manifest(number), "manifest: \(error)"))
                return
            }
            let signature = (try? FileSystem.readFile(layout.signature(number))) ?? []
            let signatureOK = checkSignature(manifestBytes, signature: signature, keyID: manifest.keyID, segment: number, what: "manifest", file: layout.manifest(number))
            if signatureOK { report.sealedSegments += 1 }
            if manifest.storeID != descriptor.storeID {
                add(Finding(.manifestMismatch, segment: number, file: layout.manifest(number), "manifest belongs to store \(manifest.storeID), not \(descriptor.storeID)"))
            }
            if manifest.segment != number || manifest.file != StoreLayout.segmentFileName(number) {
                add(Finding(.manifestMismatch, segment: number, file: layout.manifest(number), "manifest is for segment \(manifest.segment) (\(manifest.file)): files were renamed or swapped"))
            }
            if manifest.prevManifestSHA256 != prevManifestDigest, number > 1 || manifest.prevManifestSHA256 != nil {
                add(Finding(.chainBroken, segment: number, file: layout.manifest(number), "manifest does not link to the previous segment's manifest"))
            }
            prevManifestDigest = SHA256.hash(manifestBytes)
            if manifest.firstSeq != expectedSeq || manifest.prevHash != chainHead {
                if expectedSeq != 1 || number == 1 {
                    add(Finding(.chainBroken, segment: number, seqRange: manifest.firstSeq...max(manifest.firstSeq, manifest.lastSeq), "segment starts at record \(manifest.firstSeq) but the chain so far ends at \(expectedSeq - 1)\(manifest.prevHash != chainHead ? " with a different hash" : "")"))
                }
                chainHead = manifest.prevHash
                expectedSeq = manifest.firstSeq
            }
            guard kinds.contains(.segment), let bytes = try? FileSystem.readFile(layout.segment(number)) else {
                chainHead = manifest.chainHead
                expectedSeq = manifest.lastSeq + 1
                return
            }
            let segmentMatches = SHA256.hash(bytes) == manifest.segmentSHA256 && bytes.count == manifest.segmentBytes
            if !segmentMatches {
                add(Finding(.segmentDigestMismatch, segment: number, file: layout.segment(number), "segment file (\(bytes.count) bytes) does not match the SHA-256 its signed manifest records (\(manifest.segmentBytes) bytes)"))
            }
            let outcome = scanRecords(number, bytes: bytes, descriptor: descriptor, blocks: manifest.blocks, indexing: manifest.index != nil)
            if outcome.lastSeq != manifest.lastSeq || outcome.count != manifest.recordCount {
                add(Finding(.manifestMismatch, segment: number, seqRange: manifest.firstSeq...max(manifest.firstSeq, manifest.lastSeq), "segment holds \(outcome.count) records ending at \(outcome.lastSeq.map(String.init) ?? "none"); the manifest signs \(manifest.recordCount) ending at \(manifest.lastSeq)"))
            }
            if outcome.merkleRoot != manifest.merkleRoot {
                add(Finding(.merkleRootMismatch, segment: number, "Merkle root over the segment's records differs from the signed manifest"))
            }
            if outcome.chainHead != manifest.chainHead {
                add(Finding(.recordAltered, segment: number, seqRange: manifest.firstSeq...max(manifest.firstSeq, manifest.lastSeq), "records do not produce the chain head the manifest signs"))
            }
            if let signed = manifest.index {
                verifyIndex(number, signed: signed, rebuilt: segmentMatches ? outcome.index : nil)
            }
            if signatureOK { report.authenticatedThroughSeq = manifest.lastSeq }
            // Continue from the signed values so one bad segment does not hide the state of the next.
            chainHead = manifest.chainHead
            expectedSeq = manifest.lastSeq + 1
        }

        mutating func checkSignature(_ bytes: [UInt8], signature: [UInt8], keyID: String, segment: UInt64?, what: String, file: String) -> Bool {
            guard let key = keys[keyID] else {
                add(Finding(.untrustedKey, segment: segment, file: file, "\(what) is signed by key \(keyID), which is not in the trusted keyring"))
                return false
            }
            guard key.isValidSignature(signature, for: bytes) else {
                add(Finding(.signatureInvalid, segment: segment, file: file, "\(what) signature does not verify with key \(keyID)"))
                return false
            }
            return true
        }

        struct ScanOutcome {
            var count = 0
            var lastSeq: UInt64?
            var chainHead: SHA256Digest
            var merkleRoot: SHA256Digest
            var end: SegmentScanner.End?
            var endOffset = 0
            /// The index rebuilt from the records, when asked for.
            var index: SegmentIndex.Encoded?
        }

        /// Checks a sealed segment's index file against the digest its manifest signs (directory and every
        /// page) and, when the segment itself is intact, that the signed index is the one its records produce.
        mutating func verifyIndex(_ number: UInt64, signed: SegmentManifest.Index, rebuilt: SegmentIndex.Encoded?) {
            let path = layout.index(number)
            if let rebuilt, rebuilt.root != signed.root || rebuilt.bytes.count != signed.bytes {
                add(Finding(.indexMismatch, segment: number, file: layout.manifest(number), "the index the manifest signs does not describe the segment's records (a writer fault or a forged manifest)"))
            }
            guard signed.version == SegmentIndex.version else {
                add(Finding(.indexMismatch, .warning, segment: number, file: path, "index format version \(signed.version) is not known to this build; its index was not checked"))
                return
            }
            guard FileSystem.exists(path) else {
                add(Finding(.indexMissing, .warning, segment: number, file: path, "the segment's index is missing: lookups scan the segment instead; run 'auditq index rebuild' to rebuild it"))
                return
            }
            do {
                let bytes = try FileSystem.readFile(path)
                try SegmentIndex.check(bytes, root: signed.root, bytes: signed.bytes)
            } catch {
                add(Finding(.indexMismatch, segment: number, file: path, "the index file does not match the digest its signed manifest records (\(error)); run 'auditq index rebuild' to restore it"))
            }
        }

        /// Re-seals and re-chains every record of a segment, localising problems to blocks.
        mutating func scanRecords(_ number: UInt64, bytes: [UInt8], descriptor: StoreDescriptor, blocks: [SegmentManifest.Block]?, indexing: Bool = false) -> ScanOutcome {
            var indexBuilder = indexing ? SegmentIndex.Builder() : nil
            var scanner = SegmentScanner(bytes: bytes)
            var merkle = MerkleTree.Builder()
            let header: SegmentHeader
            do {
                header = try scanner.readHeader()
            } catch {
                add(Finding(.unreadable, segment: number, offset: 0, file: layout.segment(number), "\(error)"))
                return ScanOutcome(chainHead: .zero, merkleRoot: merkle.root)
            }
            if header.storeID != descriptor.storeID || header.segment != number || header.firstSeq != expectedSeq || header.prevHash != chainHead {
                add(Finding(.manifestMismatch, segment: number, offset: 0, file: layout.segment(number), "segment header (store \(header.storeID.prefix(8))…, segment \(header.segment), first record \(header.firstSeq)) does not continue the chain at record \(expectedSeq)"))
            }
            var outcome = ScanOutcome(chainHead: chainHead, merkleRoot: merkle.root)
            var blockIndex = 0
            let singleRoot = header.saltTree.nodes.count == 1 && header.saltTree.nodes[0].depth == 0
            var deriver = singleRoot ? SaltTree.SequentialDeriver(rootKey: header.saltTree.nodes[0].key) : nil
            while let block = scanner.nextBlock() {
                let blockFirst = expectedSeq
                var blockFirstRecord: UInt64?
                var blockProblem: String?
                if let blocks {
                    if blockIndex >= blocks.count || blocks[blockIndex].offset != block.offset {
                        blockProblem = blockProblem ?? "block at byte \(block.offset) is not in the manifest's block table"
                    }
                }
                for line in block.lines {
                    let record: Record
                    do {
                        guard case .object(let object) = try Record.parser.parse(Array(line)) else { throw RecordError("not a JSON object") }
                        record = try Record(stored: object)
                    } catch {
                        add(Finding(.unreadable, segment: number, seqRange: expectedSeq...expectedSeq, offset: block.offset, file: layout.segment(number), "record after \(expectedSeq - 1) is unreadable: \(error)"))
                        expectedSeq += 1
                        continue
                    }
                    if record.seq != expectedSeq {
                        add(Finding(.sequenceBroken, segment: number, seqRange: record.seq...record.seq, offset: block.offset, file: layout.segment(number), "record \(record.seq) found where \(expectedSeq) belongs (removed, duplicated or reordered)"))
                    }
                    let index = Int(record.seq) - Int(header.firstSeq)
                    let leafKey: SHA256Digest? = index < 0 || index >= SaltTree.capacity ? nil : (deriver != nil ? deriver!.leafKey(index) : header.saltTree.leafKey(index))
                    let digest: SHA256Digest
                    do {
                        digest = try record.digest(leafKey: leafKey)
                    } catch {
                        add(Finding(.recordAltered, segment: number, seqRange: record.seq...record.seq, offset: block.offset, "record \(record.seq) cannot be re-sealed: \(error)"))
                        digest = .zero
                    }
                    outcome.chainHead = Chain.next(previous: outcome.chainHead, recordDigest: digest)
                    merkle.append(recordDigest: digest)
                    outcome.count += 1
                    outcome.lastSeq = record.seq
                    report.recordsChecked += 1
                    report.firstSeq = report.firstSeq ?? record.seq
                    report.lastSeq = record.seq
                    let ts = record.event["ts"]?.stringValue.flatMap({ Timestamp(rfc3339: $0) })
                    blockFirstRecord = blockFirstRecord ?? record.seq
                    indexBuilder?.add(SegmentIndex.RecordKeys(event: record.event, timestamp: ts?.microsecondsSinceEpoch ?? 0))
                    if let ts {
                        if let last = lastTimestamp, ts < last {
                            add(Finding(.clockWentBackwards, .warning, segment: number, seqRange: record.seq...record.seq, "event time \(ts) is earlier than the previous record's \(last)"))
                        }
                        lastTimestamp = ts
                    }
                    expectedSeq = record.seq + 1
                }
                if let blocks, blockIndex < blocks.count, blocks[blockIndex].offset == block.offset {
                    let signed = blocks[blockIndex]
                    if signed.chainHead != outcome.chainHead || signed.count != block.lines.count {
                        let last = signed.firstSeq + UInt64(max(signed.count, 1)) - 1
                        add(Finding(.recordAltered, segment: number, seqRange: signed.firstSeq...last, offset: block.offset, file: layout.segment(number), "records in the block at byte \(block.offset) were edited, removed, duplicated or reordered"))
                        outcome.chainHead = signed.chainHead
                        expectedSeq = signed.firstSeq + UInt64(signed.count)
                    }
                } else if let problem = blockProblem {
                    add(Finding(.manifestMismatch, segment: number, seqRange: blockFirst...max(blockFirst, expectedSeq - 1), offset: block.offset, file: layout.segment(number), problem))
                }
                if block.isComplete { indexBuilder?.finishBlock(offset: block.offset, firstSeq: blockFirstRecord ?? blockFirst) }
                blockIndex += 1
                outcome.endOffset = block.end
            }
            if let blocks, blockIndex < blocks.count {
                add(Finding(.manifestMismatch, segment: number, offset: blocks[blockIndex].offset, file: layout.segment(number), "\(blocks.count - blockIndex) block(s) in the manifest are missing from the segment"))
            }
            outcome.end = scanner.end
            if blocks != nil, scanner.end != .clean {
                let offset: Int
                switch scanner.end {
                case .unfinishedMember(let o), .unreadable(let o, _): offset = o
                default: offset = bytes.count
                }
                add(Finding(.unreadable, segment: number, offset: offset, file: layout.segment(number), "sealed segment is unreadable from byte \(offset)"))
            }
            outcome.merkleRoot = merkle.root
            outcome.index = indexBuilder?.encode(segment: number, firstSeq: header.firstSeq, recordCount: outcome.count, segmentBytes: bytes.count)
            return outcome
        }

        // MARK: The open segment and the checkpoint

        mutating func verifyOpen(_ number: UInt64, descriptor: StoreDescriptor) {
            report.segmentsChecked += 1
            guard let bytes = try? FileSystem.readFile(layout.segment(number)) else {
                add(Finding(.missingFile, segment: number, file: layout.segment(number), "cannot read the open segment"))
                return
            }
            openSegment = (number, scanRecords(number, bytes: bytes, descriptor: descriptor, blocks: nil), bytes.count)
            chainHeadsOpen = [:]
        }

        var openSegment: (number: UInt64, outcome: ScanOutcome, size: Int)?
        var chainHeadsOpen: [UInt64: SHA256Digest] = [:]

        mutating func verifyCheckpoint(descriptor: StoreDescriptor) {
            guard FileSystem.exists(layout.head) else {
                if let open = openSegment, open.outcome.count > 0 {
                    add(Finding(.unauthenticatedTail, .warning, segment: open.number, "no signed checkpoint: the open segment's \(open.outcome.count) records are not authenticated"))
                }
                return
            }
            guard let bytes = try? FileSystem.readFile(layout.head), let checkpoint = try? Checkpoint(bytes: bytes) else {
                add(Finding(.malformedDocument, file: layout.head, "the checkpoint is unreadable"))
                return
            }
            report.checkpointSeq = checkpoint.seq
            report.checkpointTime = checkpoint.time.description
            guard checkSignature(checkpoint.signedBytes, signature: checkpoint.signature, keyID: checkpoint.keyID, segment: checkpoint.segment, what: "checkpoint", file: layout.head) else { return }
            if checkpoint.storeID != descriptor.storeID {
                add(Finding(.checkpointMismatch, file: layout.head, "checkpoint belongs to store \(checkpoint.storeID)"))
            }
            let last = report.lastSeq ?? 0
            if checkpoint.seq > last {
                add(Finding(.checkpointMismatch, segment: checkpoint.segment, seqRange: (last + 1)...checkpoint.seq, file: layout.head, "the signed checkpoint covers records through \(checkpoint.seq) but the store ends at \(last): records were removed"))
                return
            }
            if let open = openSegment, open.number == checkpoint.segment {
                // Re-derive the chain hash at the checkpoint from the open segment.
                let head = chainHead(atSeq: checkpoint.seq, segment: open.number, descriptor: descriptor)
                if head != checkpoint.chainHead {
                    add(Finding(.checkpointMismatch, segment: open.number, seqRange: checkpoint.seq...checkpoint.seq, file: layout.head, head == nil ? "records up to \(checkpoint.seq), which the checkpoint signs, are missing or unreadable" : "records up to \(checkpoint.seq) do not produce the chain hash the checkpoint signs"))
                } else {
                    report.authenticatedThroughSeq = checkpoint.seq
                }
                if case .unreadable(let offset, let reason) = open.outcome.end ?? .clean {
                    add(Finding(.tornTail, .warning, segment: open.number, offset: offset, "unreadable tail after the last checkpoint (a crash while writing?): \(reason)"))
                }
                if let lastOpen = open.outcome.lastSeq, lastOpen > checkpoint.seq {
                    add(Finding(.unauthenticatedTail, .info, segment: open.number, seqRange: (checkpoint.seq + 1)...lastOpen, "\(lastOpen - checkpoint.seq) record(s) after the last checkpoint are not yet signed"))
                }
            }
        }

        /// The chain hash after record `seq` within the open segment, recomputed from disk.
        func chainHead(atSeq seq: UInt64, segment: UInt64, descriptor: StoreDescriptor) -> SHA256Digest? {
            guard let bytes = try? FileSystem.readFile(layout.segment(segment)) else { return nil }
            var scanner = SegmentScanner(bytes: bytes)
            guard let header = try? scanner.readHeader(), header.saltTree.nodes.count == 1 else { return nil }
            var deriver = SaltTree.SequentialDeriver(rootKey: header.saltTree.nodes[0].key)
            var head = header.prevHash
            while let block = scanner.nextBlock() {
                for line in block.lines {
                    guard case .object(let object)? = try? Record.parser.parse(Array(line)), let record = try? Record(stored: object),
                        record.seq >= header.firstSeq, let digest = try? record.digest(leafKey: deriver.leafKey(Int(record.seq - header.firstSeq)))
                    else { return nil }
                    head = Chain.next(previous: head, recordDigest: digest)
                    if record.seq == seq { return head }
                }
            }
            return nil
        }
    }
}
