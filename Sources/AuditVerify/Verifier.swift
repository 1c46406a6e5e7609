import AuditCompression
import AuditCrypto
import AuditModel
import AuditStore

/// Checks a store against a keyring of trusted public keys, trusting nothing it reads: every signed
/// document's signature is checked before its content is used, every segment is hashed, every record
/// is re-sealed and re-chained, and every Merkle root recomputed.
public struct Verifier: Sendable {
    /// How far (microseconds) an event time may lie before the latest earlier one without a
    /// `clock-went-backwards` warning: concurrent producers, and producers on several hosts, hand
    /// their events over a little out of order all the time; a clock stepped back, or an event held
    /// back, by more than a second is worth a look.
    public static let clockTolerance: Int64 = 1_000_000

    public let path: String
    public let trustedKeys: [Ed25519.PublicKey]

    /// When a trusted key may sign: a manifest or checkpoint signed outside the window is a finding
    /// (a retired or not-yet-active key, or a compromised one used to re-sign history).
    public struct Validity: Sendable, Hashable, CustomStringConvertible {
        public var notBefore: Timestamp?
        public var notAfter: Timestamp?

        public init(notBefore: Timestamp?, notAfter: Timestamp?) {
            self.notBefore = notBefore
            self.notAfter = notAfter
        }

        public func contains(_ time: Timestamp) -> Bool {
            (notBefore.map { time >= $0 } ?? true) && (notAfter.map { time <= $0 } ?? true)
        }

        public var description: String { "\(notBefore?.description ?? "-∞") to \(notAfter?.description ?? "∞")" }
    }

    /// Validity windows for some of the trusted keys.
    public var keyValidity: [(key: Ed25519.PublicKey, validity: Validity)] = []

    /// A checkpoint saved earlier (`auditq head`): the store must still contain it and extend it.
    package var expectedHead: Checkpoint?
    /// Flag a store whose newest checkpoint is older than this many seconds while no clean shutdown
    /// was recorded (the writer stopped signing, or the newest data and checkpoints were removed).
    public var maxCheckpointAge: Double?
    /// Called as sealed segments finish verifying: (done, total), from worker threads.
    public var progress: (@Sendable (Int, Int) -> Void)?
    /// The time freshness is judged against.
    public var now: Timestamp = .now()
    /// Decode and digest a sealed segment's blocks on all cores ahead of the sequential fold (off: one
    /// by one, the definition the prepared path must match; for tests).
    package var preparesBlocksAhead = true

    public init(path: String, trustedKeys: [Ed25519.PublicKey]) {
        self.path = path
        self.trustedKeys = trustedKeys
    }

    public func run() -> VerificationReport {
        let started = monotonicSeconds()
        var run = Run(layout: StoreLayout(root: path), keys: Dictionary(trustedKeys.map { ($0.keyID, $0) }, uniquingKeysWith: { a, _ in a }))
        run.validity = Dictionary(keyValidity.map { ($0.key.keyID, $0.validity) }, uniquingKeysWith: { a, _ in a })
        if let expectedHead { run.watchSeqs.insert(expectedHead.seq) }
        run.progress = progress
        run.preparesBlocksAhead = preparesBlocksAhead
        run.verify()
        if let expectedHead { run.checkExpectedHead(expectedHead) }
        if let maxCheckpointAge { run.checkFreshness(maxAge: maxCheckpointAge, now: now) }
        run.report.seconds = monotonicSeconds() - started
        return run.report
    }
}

extension Verifier {
    struct Run {
        let layout: StoreLayout
        let keys: [String: Ed25519.PublicKey]
        /// Validity windows of trusted keys, by key id (absent: always valid).
        var validity: [String: Verifier.Validity] = [:]
        var report = VerificationReport()
        var chainHead = SHA256Digest.zero
        var expectedSeq: UInt64 = 1
        var prevManifestDigest: SHA256Digest?
        /// The latest event time so far (event times may go backwards: see ``clockTolerance``).
        var lastTimestamp: Timestamp?
        /// What erasure and retention records in the chain say (checked once every segment was read).
        var claims: [RemovalClaim] = []
        /// The generation of each sealed segment's files (0 unless rewritten).
        var segmentGenerations: [UInt64: Int] = [:]

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
            // Snapshot the checkpoint before the segments: a running writer only moves forward, so the
            // segments read afterwards hold at least what this checkpoint signs.
            headSnapshot = FileSystem.exists(layout.head) ? (try? FileSystem.readFile(layout.head)) : nil
            if let seq = headSnapshot.flatMap({ try? Checkpoint(bytes: $0) })?.seq { watchSeqs.insert(seq) }

            let inventory: [UInt64: Set<StoreLayout.FileKind>]
            do {
                inventory = try layout.inventory(includingRemoved: true)
                let names = try FileSystem.contents(of: layout.segmentsDirectory)
                // Which generations of each segment's file and index are present (listed once: a store has thousands of segments).
                for name in names {
                    guard let parsed = StoreLayout.parseGeneration(fileName: name), parsed.kind == .segment || parsed.kind == .index else { continue }
                    generationFiles[parsed.number, default: []].append((name, parsed.generation))
                }
                for name in names where StoreLayout.parse(fileName: name) == nil {
                    let path = FileSystem.join(layout.segmentsDirectory, name)
                    if name.hasSuffix(".tmp"), StoreLayout.parse(fileName: String(name.dropLast(4))) != nil {
                        // The writer's atomic replacement in progress, or left by a crash (the next writer deletes it).
                        add(Finding(.temporaryFile, .warning, file: path, "temporary file '\(name)' of a write in progress or interrupted; it is not part of the store"))
                    } else {
                        add(Finding(.unaccountedFile, file: path, "file '\(name)' is not part of the store format"))
                    }
                }
            } catch {
                add(Finding(.missingFile, file: layout.segmentsDirectory, "cannot list segments: \(error)"))
                return
            }
            for (number, kinds) in inventory where kinds == [.index] {
                add(Finding(.unaccountedFile, segment: number, file: layout.index(number), "index file for segment \(number), which does not exist"))
            }
            let firstSegment = verifyRetentionState(descriptor: descriptor)
            var numbers = inventory.filter { $0.value != [.index] }.keys.sorted()
            for number in numbers where number < firstSegment {
                add(Finding(.staleFile, .warning, segment: number, file: layout.manifest(number), "segment \(number) was removed by retention but its files are still present (an interrupted run): run 'auditq retention run' again to delete them"))
            }
            numbers.removeAll { $0 < firstSegment }
            if let first = numbers.first, first != firstSegment {
                add(Finding(.missingFile, segment: firstSegment, "segments \(firstSegment) to \(first - 1) are missing"))
            }
            for (a, b) in zip(numbers, numbers.dropFirst()) where b != a + 1 {
                add(Finding(.missingFile, segment: a + 1, "segments \(a + 1) to \(b - 1) are missing from the middle of the store"))
            }
            // Sealed segments are independent once each one's entry state is known from the manifests
            // before it: verify them on all cores, then merge in order. Anything unusual in the middle
            // of the store (an unsealed segment) takes the sequential path, which is the definition.
            let sealed = numbers.filter { n in
                let kinds = inventory[n] ?? []
                return kinds.contains(.manifest) || (kinds.contains(.signature) && n != numbers.last)
            }
            var remaining = numbers
            if sealed.count > 1, sealed == Array(numbers.prefix(sealed.count)) {
                verifySealedInParallel(sealed, inventory: inventory, descriptor: descriptor)
                remaining = Array(numbers.dropFirst(sealed.count))
            }
            for number in remaining {
                let kinds = inventory[number] ?? []
                let isLast = number == numbers.last
                if isLast, kinds.contains(.signature), !kinds.contains(.manifest) {
                    // The signature is put in place before the manifest: a seal in progress or interrupted.
                    add(Finding(.sealInProgress, .warning, segment: number, "the newest segment has a signature but no manifest yet: a seal in progress, or interrupted by a crash (the next writer completes it)"))
                    verifyOpen(number, descriptor: descriptor)
                } else if kinds.contains(.manifest) || kinds.contains(.signature) {
                    verifySealed(number, kinds: kinds, descriptor: descriptor)
                } else if isLast {
                    verifyOpen(number, descriptor: descriptor)
                } else {
                    add(Finding(.missingFile, segment: number, file: layout.manifest(number), "segment \(number) is not the newest but has no manifest: unsealed data inside the signed range"))
                    verifyOpen(number, descriptor: descriptor)
                }
            }
            checkClaims(live: Set(numbers), firstSegment: firstSegment)
            verifyCheckpoint(descriptor: descriptor)
        }

        // MARK: Sealed segments

        mutating func verifySealed(_ number: UInt64, kinds: Set<StoreLayout.FileKind>, descriptor: StoreDescriptor) {
            report.segmentsChecked += 1
            for (kind, file) in [(StoreLayout.FileKind.segment, layout.segment(number)), (.manifest, layout.manifest(number)), (.signature, layout.signature(number))]
            where !kinds.contains(kind) {
                add(Finding(.missingFile, segment: number, file: file, "\(file) is missing"))
            }
            guard kinds.contains(.manifest), let manifestBytes = try? FileSystem.readFile(layout.manifest(number)) else {
                checkGenerations(number, current: 0)
                return
            }
            let manifest: SegmentManifest
            do {
                manifest = try SegmentManifest(bytes: manifestBytes)
            } catch {
                add(Finding(.malformedDocument, segment: number, file: layout.manifest(number), "manifest: \(error)"))
                return
            }
            let signature = (try? FileSystem.readFile(layout.signature(number))) ?? []
            let signatureOK = checkSignature(manifestBytes, signature: signature, keyID: manifest.keyID, segment: number, what: "manifest", file: layout.manifest(number), signedAt: manifest.sealedAt)
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
            // A rewritten segment (erasure, expiry): the rewrite document names its files now.
            let rewrite = kinds.contains(.rewrite) ? verifyRewrite(number, manifest: manifest, manifestBytes: manifestBytes, descriptor: descriptor) : nil
            let generation = rewrite?.generation ?? 0
            segmentGenerations[number] = generation
            checkGenerations(number, current: generation)
            let segmentPath = layout.segment(number, generation: generation)
            let signedFile = (sha256: rewrite?.segmentSHA256 ?? manifest.segmentSHA256, bytes: rewrite?.segmentBytes ?? manifest.segmentBytes)
            guard let bytes = try? FileSystem.readFile(segmentPath) else {
                if kinds.contains(.segment) || rewrite != nil {
                    add(Finding(.missingFile, segment: number, file: segmentPath, "\(segmentPath) is missing or unreadable"))
                }
                chainHead = manifest.chainHead
                expectedSeq = manifest.lastSeq + 1
                return
            }
            let segmentMatches = SHA256.hash(bytes) == signedFile.sha256 && bytes.count == signedFile.bytes
            if !segmentMatches {
                add(Finding(.segmentDigestMismatch, segment: number, file: segmentPath, "segment file (\(bytes.count) bytes) does not match the SHA-256 its signed \(rewrite == nil ? "manifest" : "rewrite document") records (\(signedFile.bytes) bytes)"))
            }
            let outcome = scanRecords(number, bytes: bytes, descriptor: descriptor, blocks: rewrite?.blocks ?? manifest.blocks, indexing: manifest.index != nil, path: segmentPath)
            if let rewrite { checkRemovals(number, rewrite: rewrite, outcome: outcome) }
            if outcome.lastSeq != manifest.lastSeq || outcome.count != manifest.recordCount {
                add(Finding(.manifestMismatch, segment: number, seqRange: manifest.firstSeq...max(manifest.firstSeq, manifest.lastSeq), "segment holds \(outcome.count) records ending at \(outcome.lastSeq.map(String.init) ?? "none"); the manifest signs \(manifest.recordCount) ending at \(manifest.lastSeq)"))
            }
            if outcome.merkleRoot != manifest.merkleRoot {
                add(Finding(.merkleRootMismatch, segment: number, "Merkle root over the segment's records differs from the signed manifest"))
            }
            if outcome.chainHead != manifest.chainHead {
                add(Finding(.recordAltered, segment: number, seqRange: manifest.firstSeq...max(manifest.firstSeq, manifest.lastSeq), "records do not produce the chain head the manifest signs"))
            }
            if let signed = rewrite?.index ?? manifest.index {
                verifyIndex(number, signed: signed, rebuilt: segmentMatches ? outcome.index : nil, path: layout.index(number, generation: generation))
            }
            if signatureOK { report.authenticatedThroughSeq = manifest.lastSeq }
            // Continue from the signed values so one bad segment does not hide the state of the next.
            chainHead = manifest.chainHead
            expectedSeq = manifest.lastSeq + 1
        }

        mutating func checkSignature(_ bytes: [UInt8], signature: [UInt8], keyID: String, segment: UInt64?, what: String, file: String, signedAt: Timestamp? = nil) -> Bool {
            guard let key = keys[keyID] else {
                add(Finding(.untrustedKey, segment: segment, file: file, "\(what) is signed by key \(keyID), which is not in the trusted keyring"))
                return false
            }
            if let window = validity[keyID], let signedAt, !window.contains(signedAt) {
                add(Finding(.keyOutsideValidity, segment: segment, file: file, "\(what) was signed at \(signedAt) by key \(keyID), outside the key's validity (\(window))"))
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
            /// Erased values and records by request reference, and expired records by policy.
            var erasedValues: [String: Int] = [:]
            var erasedRecords: [String: Int] = [:]
            var expiredRecords: [String: Int] = [:]
        }

        /// Checks a sealed segment's index file against the digest its manifest signs (directory and every
        /// page) and, when the segment itself is intact, that the signed index is the one its records produce.
        mutating func verifyIndex(_ number: UInt64, signed: SegmentManifest.Index, rebuilt: SegmentIndex.Encoded?, path: String) {
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
        mutating func scanRecords(_ number: UInt64, bytes: [UInt8], descriptor: StoreDescriptor, blocks: [SegmentManifest.Block]?, indexing: Bool = false, path: String? = nil) -> ScanOutcome {
            let segmentPath = path ?? layout.segment(number)
            var indexBuilder = indexing ? SegmentIndex.Builder() : nil
            var scanner = SegmentScanner(bytes: bytes)
            var merkle = MerkleTree.Builder()
            let header: SegmentHeader
            do {
                header = try scanner.readHeader()
            } catch {
                add(Finding(.unreadable, segment: number, offset: 0, file: segmentPath, "\(error)"))
                return ScanOutcome(chainHead: .zero, merkleRoot: merkle.root)
            }
            if header.storeID != descriptor.storeID || header.segment != number || header.firstSeq != expectedSeq || header.prevHash != chainHead {
                add(Finding(.manifestMismatch, segment: number, offset: 0, file: segmentPath, "segment header (store \(header.storeID.prefix(8))…, segment \(header.segment), first record \(header.firstSeq)) does not continue the chain at record \(expectedSeq)"))
            }
            var outcome = ScanOutcome(chainHead: chainHead, merkleRoot: merkle.root)
            var clockSteps = ClockSteps()
            defer { if let finding = clockSteps.finding(segment: number) { add(finding) } }
            var blockIndex = 0
            var deriver = SaltTree.SequentialDeriver(tree: header.saltTree)
            // A sealed segment's blocks are decoded and digested on all cores a few blocks ahead (the
            // manifest says where they start; each must end where the next begins); the fold below
            // stays sequential. From the first block that is not so, the scanner reads on.
            let headerEnd = scanner.offset
            var pipeline = preparesBlocksAhead ? blocks.flatMap { Verifier.pipelineBlocks(bytes: bytes, headerEnd: headerEnd, blocks: $0, header: header, indexing: indexing) } : nil
            defer { pipeline?.work.cancel() }
            var preparedIndex = 0
            var preparedToEnd = false
            func nextBlock() -> (SegmentScanner.Block, [Verifier.FastRecord?]?)? {
                if let (offsets, work) = pipeline {
                    guard preparedIndex < offsets.count else {
                        preparedToEnd = true
                        return nil
                    }
                    if let prepared = work.take(preparedIndex) {
                        preparedIndex += 1
                        return (prepared.block, prepared.records)
                    }
                    work.cancel()
                    pipeline = nil
                    scanner.resume(at: offsets[preparedIndex])
                }
                return scanner.nextBlock().map { ($0, nil) }
            }
            while let (block, fastRecords) = nextBlock() {
                let blockFirst = expectedSeq
                var blockFirstRecord: UInt64?
                var blockProblem: String?
                if let blocks {
                    if blockIndex >= blocks.count || blocks[blockIndex].offset != block.offset {
                        blockProblem = blockProblem ?? "block at byte \(block.offset) is not in the manifest's block table"
                    }
                }
                for (lineIndex, line) in block.lines.enumerated() {
                    if let fast = fastRecords?[lineIndex] {
                        // Prepared ahead: only the order-dependent steps are left.
                        if fast.isClaim, case .object(let object)? = try? Record.parser.parse(Array(line)),
                            let claim = object["event"]?.objectValue.flatMap({ RemovalClaim(seq: fast.seq, event: $0) })
                        {
                            claims.append(claim)
                        }
                        if fast.seq != expectedSeq {
                            add(Finding(.sequenceBroken, segment: number, seqRange: fast.seq...fast.seq, offset: block.offset, file: segmentPath, "record \(fast.seq) found where \(expectedSeq) belongs (removed, duplicated or reordered)"))
                        }
                        outcome.chainHead = Chain.next(previous: outcome.chainHead, recordDigest: fast.digest)
                        if watchSeqs.contains(fast.seq) { watchedHeads[fast.seq] = outcome.chainHead }
                        merkle.append(leafHash: fast.leafHash)
                        record(fast.seq, ts: fast.ts, keys: fast.keys, line: line, event: nil)
                        continue
                    }
                    func leafKey(_ index: Int) -> SHA256Digest? { deriver.leafKeyIfPresent(index) }
                    // Fast path: the digest straight from the canonical bytes; the record model otherwise.
                    let seq: UInt64
                    let digest: SHA256Digest
                    let ts: Timestamp?
                    var rawMembers: RawEvent?
                    var parsedEvent: JSONObject?
                    if let fast = line.withUnsafeBytes({ Record.fastDigest(line: $0, firstSeq: header.firstSeq, leafKey: leafKey) }) {
                        seq = fast.seq
                        digest = fast.digest
                        rawMembers = fast.members
                        ts = line.withUnsafeBytes { Verifier.timestamp(fast.members, $0) }
                    } else {
                        let record: Record
                        do {
                            record = try Record(line: line)
                        } catch {
                            add(Finding(.unreadable, segment: number, seqRange: expectedSeq...expectedSeq, offset: block.offset, file: segmentPath, "record after \(expectedSeq - 1) is unreadable: \(error)"))
                            expectedSeq += 1
                            continue
                        }
                        seq = record.seq
                        parsedEvent = record.event
                        ts = record.timestamp
                        for (_, reference) in record.erasedReferences { outcome.erasedValues[reference, default: 0] += 1 }
                        for reference in Set(record.erasedReferences.values) { outcome.erasedRecords[reference, default: 0] += 1 }
                        if let expiry = record.expiry { outcome.expiredRecords[expiry.policy, default: 0] += 1 }
                        do {
                            digest = try record.digest(leafKey: leafKey(Int(record.seq) - Int(header.firstSeq)))
                        } catch {
                            add(Finding(.recordAltered, segment: number, seqRange: record.seq...record.seq, offset: block.offset, "record \(record.seq) cannot be re-sealed: \(error)"))
                            digest = .zero
                        }
                    }
                    if let members = rawMembers {
                        if line.withUnsafeBytes({ RemovalClaim.isClaim(members, line: $0) }), case .object(let object)? = try? Record.parser.parse(Array(line)),
                            let claim = object["event"]?.objectValue.flatMap({ RemovalClaim(seq: seq, event: $0) })
                        {
                            claims.append(claim)
                        }
                    } else if let event = parsedEvent, let claim = RemovalClaim(seq: seq, event: event) {
                        claims.append(claim)
                    }
                    if seq != expectedSeq {
                        add(Finding(.sequenceBroken, segment: number, seqRange: seq...seq, offset: block.offset, file: segmentPath, "record \(seq) found where \(expectedSeq) belongs (removed, duplicated or reordered)"))
                    }
                    outcome.chainHead = Chain.next(previous: outcome.chainHead, recordDigest: digest)
                    if watchSeqs.contains(seq) { watchedHeads[seq] = outcome.chainHead }
                    merkle.append(recordDigest: digest)
                    let keys = indexBuilder == nil ? nil : rawMembers.flatMap { members in
                        line.withUnsafeBytes { SegmentIndex.RecordKeys(rawLine: $0, members: members, timestamp: ts?.microsecondsSinceEpoch ?? 0) }
                    }
                    record(seq, ts: ts, keys: keys, line: line, event: parsedEvent)
                }
                // The steps every record takes after its chain and Merkle steps, in order.
                func record(_ seq: UInt64, ts: Timestamp?, keys: SegmentIndex.RecordKeys?, line: ArraySlice<UInt8>, event: JSONObject?) {
                    outcome.count += 1
                    outcome.lastSeq = seq
                    report.recordsChecked += 1
                    report.firstSeq = report.firstSeq ?? seq
                    report.lastSeq = seq
                    blockFirstRecord = blockFirstRecord ?? seq
                    if indexBuilder != nil {
                        let micros = ts?.microsecondsSinceEpoch ?? 0
                        if let keys = keys ?? event.map({ SegmentIndex.RecordKeys(event: $0, timestamp: micros) }) {
                            indexBuilder?.add(keys)
                        } else if case .object(let object)? = try? Record.parser.parse(Array(line)), let event = object["event"]?.objectValue {
                            indexBuilder?.add(SegmentIndex.RecordKeys(event: event, timestamp: micros))
                        }
                    }
                    if let ts {
                        firstTimestamp = firstTimestamp ?? ts
                        if let latest = lastTimestamp, ts < latest {
                            clockSteps.note(seq: seq, ts: ts, latest: latest)
                        } else {
                            lastTimestamp = ts
                        }
                    }
                    expectedSeq = seq + 1
                }
                if let blocks, blockIndex < blocks.count, blocks[blockIndex].offset == block.offset {
                    let signed = blocks[blockIndex]
                    if signed.chainHead != outcome.chainHead || signed.count != block.lines.count {
                        let last = signed.firstSeq + UInt64(max(signed.count, 1)) - 1
                        add(Finding(.recordAltered, segment: number, seqRange: signed.firstSeq...last, offset: block.offset, file: segmentPath, "records in the block at byte \(block.offset) were edited, removed, duplicated or reordered"))
                        outcome.chainHead = signed.chainHead
                        expectedSeq = signed.firstSeq + UInt64(signed.count)
                    }
                } else if let problem = blockProblem {
                    add(Finding(.manifestMismatch, segment: number, seqRange: blockFirst...max(blockFirst, expectedSeq - 1), offset: block.offset, file: segmentPath, problem))
                }
                if block.isComplete { indexBuilder?.finishBlock(offset: block.offset, firstSeq: blockFirstRecord ?? blockFirst) }
                blockIndex += 1
                outcome.endOffset = block.end
            }
            if let blocks, blockIndex < blocks.count {
                add(Finding(.manifestMismatch, segment: number, offset: blocks[blockIndex].offset, file: segmentPath, "\(blocks.count - blockIndex) block(s) in the manifest are missing from the segment"))
            }
            let end = preparedToEnd ? SegmentScanner.End.clean : scanner.end
            outcome.end = end
            if blocks != nil, end != .clean {
                let offset: Int
                switch end {
                case .unfinishedMember(let o), .unreadable(let o, _): offset = o
                default: offset = bytes.count
                }
                add(Finding(.unreadable, segment: number, offset: offset, file: segmentPath, "sealed segment is unreadable from byte \(offset)"))
            }
            outcome.merkleRoot = merkle.root
            outcome.index = indexBuilder?.encode(segment: number, firstSeq: header.firstSeq, recordCount: outcome.count, segmentBytes: bytes.count)
            return outcome
        }

        /// Event times earlier than an earlier record's by more than ``Verifier/clockTolerance``, gathered
        /// over a segment and reported once for it: a producer's clock stepped back, or an event was
        /// held back long before it was stored. Order is by sequence number either way.
        struct ClockSteps {
            var count = 0
            var firstSeq: UInt64 = 0
            var lastSeq: UInt64 = 0
            var largest: (seq: UInt64, ts: Timestamp, latest: Timestamp, micros: Int64)?

            mutating func note(seq: UInt64, ts: Timestamp, latest: Timestamp) {
                let micros = latest.microsecondsSinceEpoch - ts.microsecondsSinceEpoch
                guard micros > Verifier.clockTolerance else { return }
                if count == 0 { firstSeq = seq }
                count += 1
                lastSeq = seq
                if micros > largest?.micros ?? 0 { largest = (seq, ts, latest, micros) }
            }

            func finding(segment: UInt64) -> Finding? {
                guard let largest else { return nil }
                let millis = String(largest.micros / 1000 % 1000)
                let seconds = "\(largest.micros / 1_000_000).\(String(repeating: "0", count: 3 - millis.count))\(millis)"
                return Finding(
                    .clockWentBackwards, .warning, segment: segment, seqRange: firstSeq...lastSeq,
                    "\(count) record(s) have event times more than \(Verifier.clockTolerance / 1_000_000) s earlier than an earlier record's; the largest step back is \(seconds) s, at seq \(largest.seq) (\(largest.ts), after \(largest.latest))"
                )
            }
        }

        // MARK: The open segment and the checkpoint

        mutating func verifyOpen(_ number: UInt64, descriptor: StoreDescriptor) {
            report.segmentsChecked += 1
            guard let bytes = try? FileSystem.readFile(layout.segment(number)) else {
                add(Finding(.missingFile, segment: number, file: layout.segment(number), "cannot read the open segment"))
                return
            }
            if bytes.isEmpty, report.checkpointCoversSegment(number, head: headSnapshot) == false {
                // Written by a version that created segment files before their header; holds no record.
                add(Finding(.unauthenticatedTail, .info, segment: number, "the newest segment file is empty"))
                return
            }
            openSegment = (number, scanRecords(number, bytes: bytes, descriptor: descriptor, blocks: nil), bytes.count)
        }

        var openSegment: (number: UInt64, outcome: ScanOutcome, size: Int)?
        /// The first event time seen (for clock warnings across segments verified in parallel).
        var firstTimestamp: Timestamp?
        /// Called as sealed segments finish: (done, total).
        var progress: (@Sendable (Int, Int) -> Void)?
        var preparesBlocksAhead = true
        /// Chain hashes recomputed during the scan after these records (the checkpoint's and
        /// `--expect-head`'s), so neither needs a second pass over the segments.
        var watchSeqs: Set<UInt64> = []
        var watchedHeads: [UInt64: SHA256Digest] = [:]
        var headSnapshot: [UInt8]?
        /// The segment and index files of each segment, with their generation.
        var generationFiles: [UInt64: [(name: String, generation: Int)]] = [:]
        /// The chain hash the signed retention state says the store continues from.
        var retentionCut: SHA256Digest?

        mutating func verifyCheckpoint(descriptor: StoreDescriptor) {
            guard let headBytes = headSnapshot else {
                if let open = openSegment, open.outcome.count > 0 {
                    add(Finding(.unauthenticatedTail, .warning, segment: open.number, "no signed checkpoint: the open segment's \(open.outcome.count) records are not authenticated"))
                }
                return
            }
            guard let checkpoint = try? Checkpoint(bytes: headBytes) else {
                add(Finding(.malformedDocument, file: layout.head, "the checkpoint is unreadable"))
                return
            }
            report.checkpointSeq = checkpoint.seq
            report.checkpointTime = checkpoint.time.description
            guard checkSignature(checkpoint.signedBytes, signature: checkpoint.signature, keyID: checkpoint.keyID, segment: checkpoint.segment, what: "checkpoint", file: layout.head, signedAt: checkpoint.time) else { return }
            if checkpoint.storeID != descriptor.storeID {
                add(Finding(.checkpointMismatch, file: layout.head, "checkpoint belongs to store \(checkpoint.storeID)"))
            }
            let last = report.lastSeq ?? 0
            if checkpoint.seq > last {
                add(Finding(.checkpointMismatch, segment: checkpoint.segment, seqRange: (last + 1)...checkpoint.seq, file: layout.head, "the signed checkpoint covers records through \(checkpoint.seq) but the store ends at \(last): records were removed"))
                return
            }
            if let open = openSegment, open.number == checkpoint.segment {
                // The chain hash at the checkpoint, as the scan recomputed it.
                let head = watchedHeads[checkpoint.seq]
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
    }
}
