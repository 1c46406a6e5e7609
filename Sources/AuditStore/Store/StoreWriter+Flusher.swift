import AuditCompression
import AuditCrypto
import AuditModel

/// The flusher thread: compression, writes, fsync, acknowledgements, seals and checkpoints.
extension StoreWriter {
    func flusherLoop() {
        while true {
            let window = configuration.durability == .fsyncEachEvent ? 0 : configuration.groupCommitWindow
            let checkpointWait = max(0.001, nextCheckpointDue() - monotonicSeconds())
            state.withLock { $0.flusherWaiting = true }
            if state.withLock({ $0.abandoned }) { break }
            let closing: Bool
            var items: [Pending]
            // The last batch given back, when no append has come to take it (``State/spent``): freed
            // here, so an idle writer holds no spent records.
            var unclaimed: [Pending] = []
            (items, closing) = state.wait(
                until: { s in
                    s.closing || s.failure != nil
                        || ((!s.queue.isEmpty || !s.unhashed.isEmpty) && (s.queuedBytes >= 64 << 10 || monotonicSeconds() - s.firstQueuedAt >= window))
                },
                timeout: min(checkpointWait, window > 0 ? window : checkpointWait)
            ) { s in
                s.flusherWaiting = false
                if s.queue.isEmpty, s.unhashed.isEmpty { swap(&unclaimed, &s.spent) }
                hashUnhashed(&s)
                let items = s.queue
                s.queue = []
                s.queuedBytes = 0
                return (items, s.closing)
            }
            state.broadcast()
            do {
                try process(items)
                // Given back for the appending thread to free (``State/spent``); kept here, and freed
                // here, only if it has not taken the last one yet.
                let abandoned = state.withLock { s in
                    if s.spent.isEmpty { swap(&s.spent, &items) }
                    return s.abandoned
                }
                if abandoned { break }
                try checkpointIfDue()
                if closing {
                    try finishAtClose()
                    break
                }
            } catch {
                state.withLock { s in
                    s.failure = s.failure ?? error
                }
                rollBackUnacknowledgedTail()
                break
            }
        }
        state.withLock { $0.flusherFinished = true }
        state.broadcast()
    }

    private func process(_ items: [Pending]) throws(AuditStoreError) {
        guard !items.isEmpty else { return }
        var out = flushBuffer
        var block = blockBuffer
        flushBuffer = []
        blockBuffer = []
        defer {
            out.removeAll(keepingCapacity: true)
            block.removeAll(keepingCapacity: true)
            // A buffer grown past a few blocks (a very long batch) is not kept.
            flushBuffer = out.capacity <= 4 << 20 ? out : []
            blockBuffer = block.capacity <= 4 << 20 ? block : []
        }
        out.reserveCapacity(64 << 10)
        // A block streamed by earlier, small group commits ends here when this one is large enough to
        // be written in one call: its records then all go through libdeflate (a streamed block would
        // take them through zlib, at more than twice the cost, until it filled).
        if memberFirstSeq != nil, configuration.durability != .fsyncEachEvent, leadingRecordBytes(items, atLeast: configuration.shortBlockMinimumBytes) {
            try finishMember(into: &out)
        }
        var batchHasDurable = false
        var item = 0
        var record = 0
        batch: while item < items.count {
            switch items[item] {
            case .records(let records):
                while record < records.count {
                    if memberFirstSeq == nil, configuration.durability != .fsyncEachEvent,
                        let end = wholeMemberEnd(items, from: Position(item: item, record: record))
                    {
                        try writeWholeBlock(items, from: Position(item: item, record: record), to: end, buffer: &block, into: &out)
                        // A long batch (the writer behind its appenders) goes out a megabyte at a time.
                        if out.count >= 1 << 20 { try writeOut(&out) }
                        batchHasDurable = true
                        (item, record) = (end.item, end.record)
                        continue batch
                    }
                    let seq = records.firstSeq + UInt64(record)
                    if memberFirstSeq == nil {
                        memberFirstSeq = seq
                        memberCount = 0
                        memberStart = fileBytes + out.count
                    }
                    try compress {
                        try records.group.bytes.withUnsafeBytes { try deflater.write(UnsafeRawBufferPointer(rebasing: $0[records.bytes(record)]), into: &out) }
                    }
                    indexBuilder?.add(records.keys[record])
                    memberCount += 1
                    memberChainHead = records.chainHeads[record]
                    pendingDurable = (seq, records.chainHeads[record])
                    batchHasDurable = true
                    record += 1
                    if deflater.uncompressedBytesInMember >= configuration.blockBytes {
                        try finishMember(into: &out)
                    }
                    if configuration.durability == .fsyncEachEvent {
                        if memberFirstSeq != nil { try compress { try deflater.sync(into: &out) } }
                        try writeOut(&out)
                        try syncForDurability()
                        publishDurable()
                        batchHasDurable = false
                    }
                }
            case .seal(let info, let next):
                if memberFirstSeq != nil { try finishMember(into: &out) }
                try writeOut(&out)
                try file.sync()
                publishDurable()
                batchHasDurable = false
                try seal(info)
                if let next {
                    try openSegmentFile(next)
                } else {
                    segmentClosed = true
                }
            }
            item += 1
            record = 0
        }
        if memberFirstSeq != nil { try compress { try deflater.sync(into: &out) } }
        try writeOut(&out)
        if batchHasDurable {
            if configuration.durability != .osBuffered { try syncForDurability() }
            publishDurable()
        }
    }

    private func compress(_ body: () throws -> Void) throws(AuditStoreError) {
        do {
            try body()
        } catch {
            throw AuditStoreError(.io, "compression failed: \(error)", path: file.path)
        }
    }

    /// A record's place in a batch: the item (records or a seal), and the record within it.
    private struct Position {
        var item: Int
        var record: Int
    }

    /// Where the records from `start` on that this batch can write as one member, compressed in one
    /// call, end: after a whole block (the record that takes it to ``Configuration/blockBytes``, as a
    /// block written record by record ends); before a seal (which ends their block anyway); or at the
    /// end of the batch, when the rest holds at least ``Configuration/shortBlockMinimumBytes`` (a short
    /// block). Nil: stream them, into a block the next batch continues.
    private func wholeMemberEnd(_ items: [Pending], from start: Position) -> Position? {
        var bytes = 0
        var position = start
        while position.item < items.count {
            guard case .records(let records) = items[position.item] else { return bytes > 0 ? position : nil }
            while position.record < records.count {
                bytes += records.bytes(position.record).count
                position.record += 1
                if bytes >= configuration.blockBytes { return position }
            }
            position = Position(item: position.item + 1, record: 0)
        }
        return bytes >= configuration.shortBlockMinimumBytes ? position : nil
    }

    /// True when the records at the start of `items` (up to a seal) hold at least `bytes` bytes.
    private func leadingRecordBytes(_ items: [Pending], atLeast bytes: Int) -> Bool {
        var total = 0
        for item in items {
            guard case .records(let records) = item else { return false }
            total += records.group.bytes.count
            if total >= bytes { return true }
        }
        return false
    }

    /// Writes a block whose records are all in this batch as one member, compressed in one call
    /// (``GzipDeflater/writeWholeMember(_:into:)``, libdeflate): whole blocks when the writer is behind
    /// its appenders, the last block before a seal, and a short block for a group commit of at least
    /// ``Configuration/shortBlockMinimumBytes`` (``wholeMemberEnd(_:from:)``). Its records and
    /// index entries are exactly those the record-by-record path would give.
    private func writeWholeBlock(
        _ items: [Pending], from start: Position, to end: Position, buffer: inout [UInt8], into out: inout [UInt8]
    ) throws(AuditStoreError) {
        buffer.removeAll(keepingCapacity: true)
        memberStart = fileBytes + out.count
        memberCount = 0
        // Up to `end`, which may be the first record (or seal) after the block: it is not included.
        for item in start.item..<(end.record > 0 ? end.item + 1 : end.item) {
            guard case .records(let records) = items[item] else { preconditionFailure("a seal inside a block") }
            let first = item == start.item ? start.record : 0
            let last = item == end.item ? end.record : records.count
            guard first < last else { continue }
            // The group's lines are consecutive: one copy for all of them.
            buffer += records.group.bytes[records.bytes(first..<last)]
            if memberFirstSeq == nil { memberFirstSeq = records.firstSeq + UInt64(first) }
            for record in first..<last { indexBuilder?.add(records.keys[record]) }
            memberCount += last - first
            memberChainHead = records.chainHeads[last - 1]
            pendingDurable = (records.firstSeq + UInt64(last - 1), records.chainHeads[last - 1])
        }
        try compress { try buffer.withUnsafeBytes { try deflater.writeWholeMember($0, into: &out) } }
        closeMember()
    }

    private func finishMember(into out: inout [UInt8]) throws(AuditStoreError) {
        try compress { try deflater.finish(into: &out) }
        closeMember()
    }

    /// Records the block just finished in the manifest's list and the index.
    private func closeMember() {
        blocks.append(SegmentManifest.Block(offset: memberStart, firstSeq: memberFirstSeq!, count: memberCount, chainHead: memberChainHead))
        indexBuilder?.finishBlock(offset: memberStart, firstSeq: memberFirstSeq!)
        memberFirstSeq = nil
        memberCount = 0
    }

    private func writeOut(_ out: inout [UInt8]) throws(AuditStoreError) {
        guard !out.isEmpty else { return }
        try file.write(out)
        fileHasher.update(out)
        fileBytes += out.count
        segmentHasRecords = true
        out.removeAll(keepingCapacity: true)
    }

    /// After a write or fsync of records failed (a full disk, an I/O error): cuts the open segment
    /// file back to its last acknowledged byte and makes that durable, so the file holds exactly the
    /// records acknowledged as durable, and the ones a caller was told failed are not found in it after
    /// a restart either. A partial write (a full disk accepts part of a batch) would otherwise leave
    /// records that recovery keeps although they were never acknowledged, and a caller that retries
    /// them would store them twice. Cutting frees space, so it works on a full disk; if it fails
    /// anyway, the file is left as it is and recovery decides what is kept, as after a crash.
    private func rollBackUnacknowledgedTail() {
        guard file.descriptor >= 0, !segmentClosed else {
            // Closed after its last acknowledgement (at a seal or at close): nothing beyond it.
            state.withLock { $0.unacknowledgedTailRemoved = true }
            return
        }
        do {
            try file.truncate(to: acknowledgedFileBytes)
            try file.sync()
            fileBytes = acknowledgedFileBytes
            state.withLock { $0.unacknowledgedTailRemoved = true }
        } catch {
            // Nothing more to do here: the writer has failed, and reopening runs crash recovery.
        }
    }

    /// Makes the records written so far visible as durable to appenders.
    private func publishDurable() {
        // Before the guard: a block's end written at a seal, after its records were acknowledged, is
        // durable too, and a roll-back must never cut a file that a manifest is about to sign.
        acknowledgedFileBytes = fileBytes
        guard let (seq, head) = pendingDurable else { return }
        pendingDurable = nil
        durableSeqPhysical = seq
        durableChainHead = head
        checkpointSegment = currentSegmentNumber
        checkpointSegmentBytes = fileBytes
        checkpointSealed = false
        let bytes = fileBytes
        let segment = currentSegmentNumber
        state.withLock { s in
            s.durableSeq = seq
            // Appenders may have rotated to a newer segment already: this size is not the open one's
            // (publishing it made the next append seal a segment of a few records).
            if s.segment.header.segment == segment { s.segmentFileBytes = bytes }
        }
        state.broadcast()
    }

    private func seal(_ info: SealInfo) throws(AuditStoreError) {
        guard acknowledgedFileBytes == fileBytes else {
            throw AuditStoreError(.io, "internal error: sealing a segment whose last \(fileBytes - acknowledgedFileBytes) bytes are not durable", path: file.path)
        }
        // The index is durable before the manifest that signs its digest.
        let index = try segmentIndex(info)
        try FileSystem.writeAtomically(index.bytes, to: storeLayout.index(info.segment))
        var hasher = fileHasher
        let manifest = SegmentManifest(
            storeID: descriptor.storeID, segment: info.segment, file: StoreLayout.segmentFileName(info.segment),
            firstSeq: info.firstSeq, lastSeq: info.lastSeq, recordCount: info.count,
            firstTimestamp: info.firstTimestamp, lastTimestamp: info.lastTimestamp,
            minTimestamp: info.minTimestamp, maxTimestamp: info.maxTimestamp,
            prevHash: info.prevHash, chainHead: info.chainHead, merkleRoot: info.merkleRoot,
            segmentSHA256: hasher.finalize(), segmentBytes: fileBytes, blocks: blocks,
            prevManifestSHA256: prevManifestSHA256, keyID: key.keyID, sealedAt: .now(),
            index: SegmentManifest.Index(bytes: index.bytes.count, root: index.root)
        )
        let bytes = manifest.canonicalBytes
        let signature = try key.sign(bytes)
        try FileSystem.writeAtomically(signature, to: storeLayout.signature(info.segment))
        try FileSystem.writeAtomically(bytes, to: storeLayout.manifest(info.segment))
        prevManifestSHA256 = SHA256.hash(bytes)
        checkpointSegment = info.segment
        checkpointSegmentBytes = fileBytes
        checkpointSealed = true
        try writeCheckpoint(clean: false)
    }

    /// The sealed segment's index: from the keys gathered while writing, or, for a segment recovered
    /// after a crash, from the file.
    private func segmentIndex(_ info: SealInfo) throws(AuditStoreError) -> SegmentIndex.Encoded {
        if let indexBuilder, indexBuilder.blockCount == blocks.count {
            return indexBuilder.encode(segment: info.segment, firstSeq: info.firstSeq, recordCount: info.count, segmentBytes: fileBytes)
        }
        let path = storeLayout.segment(info.segment)
        let bytes = try FileSystem.readFile(path)
        do {
            return try SegmentIndex.build(segmentBytes: bytes)
        } catch {
            throw AuditStoreError(.corrupt, "cannot index the segment being sealed: \(error)", path: path)
        }
    }

    /// Creates a segment file holding only its header member, durably.
    func openSegmentFile(_ header: SegmentHeader) throws(AuditStoreError) {
        try file.close()
        let (newFile, bytes) = try StoreWriter.createSegmentFile(header, layout: storeLayout)
        file = newFile
        fileBytes = bytes.count
        acknowledgedFileBytes = bytes.count
        fileHasher = SHA256()
        fileHasher.update(bytes)
        blocks = []
        indexBuilder = SegmentIndex.Builder()
        memberFirstSeq = nil
        memberCount = 0
        currentSegmentNumber = header.segment
        segmentHasRecords = false
        segmentClosed = false
        state.withLock { $0.segmentFileBytes = bytes.count }
    }

    /// Creates a segment file holding its header member. The file appears under its name only once the
    /// header is durable (written beside it, fsynced, renamed), so no reader ever sees it empty.
    static func createSegmentFile(_ header: SegmentHeader, layout: StoreLayout) throws(AuditStoreError) -> (SystemFile, [UInt8]) {
        let path = layout.segment(header.segment)
        guard !FileSystem.exists(path) else {
            throw AuditStoreError(.tampered, "segment \(header.segment) already exists; refusing to overwrite it", path: path)
        }
        let bytes = try headerMember(header)
        try FileSystem.writeAtomically(bytes, to: path)
        return (try SystemFile(path: path, mode: [.write, .append]), bytes)
    }

    static func headerMember(_ header: SegmentHeader) throws(AuditStoreError) -> [UInt8] {
        do {
            return try Gzip.deflate(header.line, level: 6)
        } catch {
            throw AuditStoreError(.io, "compression failed: \(error)")
        }
    }

    // MARK: - Checkpoints

    func nextCheckpointDue() -> Double {
        durableSeqPhysical > checkpointedSeq
            ? lastCheckpointAt + configuration.checkpointInterval
            : lastCheckpointAt + configuration.idleCheckpointInterval
    }

    private func checkpointIfDue() throws(AuditStoreError) {
        guard durableSeqPhysical > 0, monotonicSeconds() >= nextCheckpointDue() else { return }
        try writeCheckpoint(clean: false)
    }

    /// Signs and atomically replaces `head.json` for the durable head.
    func writeCheckpoint(clean: Bool) throws(AuditStoreError) {
        guard durableSeqPhysical > 0 else { return }
        if configuration.durability == .osBuffered, !checkpointSealed { try file.sync() }
        let checkpoint = try Checkpoint(
            storeID: descriptor.storeID, segment: checkpointSegment, seq: durableSeqPhysical, chainHead: durableChainHead,
            segmentBytes: checkpointSegmentBytes, sealed: checkpointSealed, cleanShutdown: clean, time: .now(), keyID: key.keyID
        ).signed(with: key)
        try FileSystem.writeAtomically(checkpoint.documentBytes, to: storeLayout.head)
        checkpointedSeq = durableSeqPhysical
        lastCheckpointAt = monotonicSeconds()
    }

    private func finishAtClose() throws(AuditStoreError) {
        if !segmentClosed, !segmentHasRecords {
            // A segment that never received a record (created by the last rotation) is not kept.
            try file.close()
            try FileSystem.remove(storeLayout.segment(currentSegmentNumber))
            try FileSystem.syncDirectory(storeLayout.segmentsDirectory)
        } else {
            try file.sync()
            try file.close()
        }
        try writeCheckpoint(clean: true)
    }

    /// The fsync that acknowledges records, timed for ``Configuration/fsyncObserver``.
    private func syncForDurability() throws(AuditStoreError) {
        guard let observer = configuration.fsyncObserver else { return try file.sync() }
        let start = monotonicSeconds()
        try file.sync()
        observer(monotonicSeconds() - start)
    }
}
