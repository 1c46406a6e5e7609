import AuditCompression
import AuditCrypto
import AuditModel
import AuditStore
import Dispatch

extension Verifier.Run {
    /// Verifies sealed segments concurrently (one per core at a time, so memory stays at about one
    /// segment per core), each from the entry state the manifests before it imply, then merges their
    /// findings and counts in segment order: the same result as verifying them one after another.
    mutating func verifySealedInParallel(_ numbers: [UInt64], inventory: [UInt64: Set<StoreLayout.FileKind>], descriptor: StoreDescriptor) {
        // Entry state of each segment, as `verifySealed` would leave it after the previous one: it
        // depends only on the previous manifests.
        var entries: [(chainHead: SHA256Digest, expectedSeq: UInt64, prevManifest: SHA256Digest?)] = []
        var chain = chainHead
        var expected = expectedSeq
        var prevManifest = prevManifestDigest
        for number in numbers {
            entries.append((chain, expected, prevManifest))
            guard (inventory[number] ?? []).contains(.manifest),
                let bytes = try? FileSystem.readFile(layout.manifest(number)),
                let manifest = try? SegmentManifest(bytes: bytes)
            else { continue }
            prevManifest = SHA256.hash(bytes)
            chain = manifest.chainHead
            expected = manifest.lastSeq + 1
        }

        let results = ResultSlots(count: numbers.count)
        let entryStates = entries
        let template = self
        let progress = self.progress
        DispatchQueue.concurrentPerform(iterations: numbers.count) { i in
            var run = template
            run.report = VerificationReport()
            run.report.storeID = template.report.storeID
            run.chainHead = entryStates[i].chainHead
            run.expectedSeq = entryStates[i].expectedSeq
            run.prevManifestDigest = entryStates[i].prevManifest
            run.lastTimestamp = nil
            run.watchedHeads = [:]
            run.claims = []
            run.segmentGenerations = [:]
            run.verifySealed(numbers[i], kinds: inventory[numbers[i]] ?? [], descriptor: descriptor)
            results.set(i, run)
            progress?(results.completed, numbers.count)
        }

        for i in numbers.indices {
            let run = results.get(i)
            if let latest = lastTimestamp, let first = run.firstTimestamp,
               latest.microsecondsSinceEpoch - first.microsecondsSinceEpoch > Verifier.clockTolerance {
                add(Finding(.clockWentBackwards, .warning, segment: numbers[i], "the segment's first event time \(first) is more than \(Verifier.clockTolerance / 1_000_000) s earlier than the previous segment's latest \(latest)"))
            }
            report.findings += run.report.findings
            report.segmentsChecked += run.report.segmentsChecked
            report.sealedSegments += run.report.sealedSegments
            report.recordsChecked += run.report.recordsChecked
            report.firstSeq = report.firstSeq ?? run.report.firstSeq
            report.lastSeq = run.report.lastSeq ?? report.lastSeq
            report.authenticatedThroughSeq = run.report.authenticatedThroughSeq ?? report.authenticatedThroughSeq
            watchedHeads.merge(run.watchedHeads) { _, new in new }
            claims += run.claims
            segmentGenerations.merge(run.segmentGenerations) { _, new in new }
            if let latest = run.lastTimestamp, lastTimestamp.map({ latest > $0 }) ?? true { lastTimestamp = latest }
            chainHead = run.chainHead
            expectedSeq = run.expectedSeq
            prevManifestDigest = run.prevManifestDigest
        }
    }
}

/// Per-segment results written by concurrent workers.
///
/// `@unchecked Sendable`: every slot is written once by one worker and read after all workers
/// finished; access goes through `lock`.
final class ResultSlots: @unchecked Sendable {
    private var slots: [Verifier.Run?]
    private var done = 0
    private let lock = DispatchSemaphore(value: 1)

    init(count: Int) {
        slots = Array(repeating: nil, count: count)
    }

    func set(_ i: Int, _ run: Verifier.Run) {
        lock.wait()
        slots[i] = run
        done += 1
        lock.signal()
    }

    var completed: Int {
        lock.wait()
        defer { lock.signal() }
        return done
    }

    func get(_ i: Int) -> Verifier.Run {
        lock.wait()
        defer { lock.signal() }
        return slots[i]!
    }
}

extension Verifier {
    static func timestamp(_ members: RawEvent, _ line: UnsafeRawBufferPointer) -> Timestamp? {
        guard case .plain(let range) = members.fieldBytes("ts", line: line) else { return nil }
        return Timestamp(rfc3339UTF8: UnsafeRawBufferPointer(rebasing: line[range]))
    }

    /// A record's digest and everything else the sequential fold needs from its line, computed ahead of
    /// the fold on all cores.
    struct FastRecord: Sendable {
        var seq: UInt64
        var digest: SHA256Digest
        /// The Merkle leaf hash of `digest`.
        var leafHash: SHA256Digest
        var ts: Timestamp?
        /// The index keys; nil when not indexing, or when a key is not a plain string (the fold then
        /// reads the record through the model).
        var keys: SegmentIndex.RecordKeys?
        /// The event looks like an erasure or retention record: the fold parses it for its claim.
        var isClaim: Bool
    }

    /// A sealed segment's block, decoded and digested ahead of the fold.
    struct PreparedBlock: Sendable {
        var block: SegmentScanner.Block
        /// Per line; nil where the fold must take the general path.
        var records: [FastRecord?]
    }

    /// Decodes and digests a sealed segment's blocks on all cores, a bounded number ahead of the
    /// sequential fold. Nil (the caller scans sequentially) when the manifest's block table cannot
    /// describe the file: fewer than two blocks, not starting after the header, or not increasing.
    static func pipelineBlocks(bytes: [UInt8], headerEnd: Int, blocks: [SegmentManifest.Block], header: SegmentHeader, indexing: Bool) -> (offsets: [Int], work: PipelinedWork<PreparedBlock?>)? {
        guard blocks.count >= 2, blocks[0].offset == headerEnd else {
            return nil
        }
        let offsets = blocks.map(\.offset)
        guard zip(offsets, offsets.dropFirst()).allSatisfy({ $0 < $1 }), let last = offsets.last, last < bytes.count else { return nil }
        let ends = Array(offsets.dropFirst()) + [bytes.count]
        let tree = header.saltTree
        let firstSeq = header.firstSeq
        let window = 4 * PipelinedWork<PreparedBlock?>.processorCount
        let work = PipelinedWork<PreparedBlock?>(count: blocks.count, window: window) { i in
            prepareBlock(bytes: bytes, offset: offsets[i], end: ends[i], tree: tree, firstSeq: firstSeq, indexing: indexing)
        }
        return (offsets, work)
    }

    /// One block: nil, so that the fold continues sequentially from it and reports exactly what is
    /// wrong, unless it is a complete gzip member ending where the next block starts.
    static func prepareBlock(bytes: [UInt8], offset: Int, end: Int, tree: SaltTree, firstSeq: UInt64, indexing: Bool) -> PreparedBlock? {
        guard let member = try? bytes.withUnsafeBytes({ try Gzip.inflateMember($0, at: offset, expectedEnd: end, maxOutput: SegmentScanner.maxBlockBytes) }),
            member.isComplete, member.compressedRange.upperBound == end
        else { return nil }
        let (lines, partial) = SegmentScanner.split(member.bytes)
        guard partial == 0 else { return nil }
        // Each line read first; then the block's leaf keys derived and its digests hashed together
        // (``SaltTree/SequentialDeriver/leafKeys(_:batch:into:)``, ``Record/Hasher``).
        var records = [FastRecord?](repeating: nil, count: lines.count)
        var parsedLines: [(index: Int, parsed: Record.FastParse)] = []
        parsedLines.reserveCapacity(lines.count)
        for (i, line) in lines.enumerated() {
            line.withUnsafeBytes { raw in
                guard let parsed = Record.fastParse(line: raw, firstSeq: firstSeq) else { return }
                parsedLines.append((i, parsed))
                let ts = Verifier.timestamp(parsed.members, raw)
                records[i] = FastRecord(
                    seq: parsed.seq, digest: .zero, leafHash: .zero, ts: ts,
                    keys: indexing ? SegmentIndex.RecordKeys(rawLine: raw, members: parsed.members, timestamp: ts?.microsecondsSinceEpoch ?? 0) : nil,
                    isClaim: RemovalClaim.isClaim(parsed.members, line: raw))
            }
        }
        var deriver = SaltTree.SequentialDeriver(tree: tree)
        var leafKeys: [SHA256Digest] = []
        // Consecutive sequence numbers (an intact block) take their keys in one go; anything else, or a
        // range one subtree does not cover (erased records), leaf by leaf.
        var batch = SHA256Batch()
        let consecutive = zip(parsedLines, parsedLines.dropFirst()).allSatisfy { $0.parsed.seq + 1 == $1.parsed.seq }
        var rangeStart: UInt64?
        if consecutive, let first = parsedLines.first?.parsed.seq {
            let start = Int(first - firstSeq)
            if deriver.leafKeys(start..<start + parsedLines.count, batch: &batch, into: &leafKeys) { rangeStart = first }
        }
        var group = Record.Group()
        group.reserveCapacity(records: parsedLines.count, lineBytes: lines.first?.count ?? 0)
        var groupLeafKeys: [SHA256Digest] = []
        groupLeafKeys.reserveCapacity(parsedLines.count)
        var hashed: [Int] = []
        hashed.reserveCapacity(parsedLines.count)
        // The personal-data paths of the block's records, each once, as the hasher takes them.
        var paths: [[UInt8]] = []
        for (k, (i, parsed)) in parsedLines.enumerated() {
            var leafKey = SHA256Digest.zero
            if !parsed.personalData.isEmpty {
                if rangeStart != nil {
                    leafKey = leafKeys[k]
                } else if let leaf = deriver.leafKeyIfPresent(Int(parsed.seq - firstSeq)) {
                    leafKey = leaf
                } else {
                    records[i] = nil  // no key for its salts: the general path says why
                    continue
                }
            }
            let personalData = lines[i].withUnsafeBytes { raw in
                parsed.personalData.map { span in
                    let path = UnsafeRawBufferPointer(rebasing: raw[span.path])
                    if let known = paths.firstIndex(where: { $0.elementsEqual(path) }) { return (value: span.value, path: known) }
                    paths.append(Array(path))
                    return (value: span.value, path: paths.count - 1)
                }
            }
            group.append(line: lines[i], values: personalData)
            groupLeafKeys.append(leafKey)
            hashed.append(i)
        }
        var hasher = Record.Hasher()
        hasher.hash(group, leafKeys: groupLeafKeys, paths: paths)
        for (k, i) in hashed.enumerated() {
            records[i]!.digest = hasher.digests[k]
            records[i]!.leafHash = hasher.leafHashes[k]
        }
        return PreparedBlock(block: SegmentScanner.Block(offset: offset, end: end, lines: lines, isComplete: true, partialLineBytes: 0), records: records)
    }
}
