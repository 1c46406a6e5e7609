import AuditCompression
import AuditCrypto
import AuditModel

/// Opening a store for writing: where the chain stands, and crash recovery of the open segment.
extension StoreWriter {
    enum StartupNote {
        case recovered(segment: UInt64, throughSeq: UInt64, rewrittenTailBytes: Int, discardedPartialBytes: Int, cleanTail: Bool)
        case keyRotated(from: String, to: String)
    }

    struct Opened {
        var state: State
        var file: SystemFile
        var deflater: GzipDeflater
        var fileBytes: Int
        var fileHasher: SHA256
        var blocks: [SegmentManifest.Block]
        var prevManifestSHA256: SHA256Digest?
        var checkpointedSeq: UInt64
        var checkpointSegment: UInt64
        var checkpointSegmentBytes: Int
        var checkpointSealed: Bool
        var segmentHasRecords: Bool
        var notes: [StartupNote]
    }

    static func openOrRecover(
        layout: StoreLayout,
        descriptor: StoreDescriptor,
        key: SigningKey,
        configuration: Configuration
    ) throws(AuditStoreError) -> Opened {
        // Temporary files are leftovers of a crash, unless an erasure or retention run is writing them now.
        let maintenanceRunning: Bool
        if let probe = try? StoreLock.maintenance(layout) {
            probe.release()
            maintenanceRunning = false
        } else {
            maintenanceRunning = FileSystem.exists(layout.maintenanceLock)
        }
        for directory in [layout.root, layout.segmentsDirectory] where !maintenanceRunning {
            for name in try FileSystem.contents(of: directory) where name.hasSuffix(".tmp") {
                try FileSystem.remove(FileSystem.join(directory, name))
            }
        }
        let checkpoint = try loadCheckpoint(layout)
        let inventory = try layout.inventory()
        let numbers = inventory.keys.sorted()
        var notes: [StartupNote] = []
        let deflater: GzipDeflater
        do {
            deflater = try GzipDeflater(level: configuration.compressionLevel)
        } catch {
            throw AuditStoreError(.io, "cannot start the compressor: \(error)")
        }

        guard let last = numbers.last else {
            if let checkpoint {
                throw AuditStoreError(.tampered, "head.json signs record \(checkpoint.seq) but the store has no segments; run 'auditq verify'", path: layout.root)
            }
            return try startSegment(
                number: 1, firstSeq: 1, prevHash: Chain.genesis(storeID: descriptor.storeID), prevManifest: nil,
                layout: layout, descriptor: descriptor, deflater: deflater, checkpoint: nil, notes: []
            )
        }
        for (a, b) in zip(numbers, numbers.dropFirst()) where b != a + 1 {
            throw AuditStoreError(.tampered, "segment \(a + 1) is missing between \(a) and \(b); the writer will not continue a broken chain — run 'auditq verify'", path: layout.segmentsDirectory)
        }
        for n in numbers.dropLast() where !(inventory[n] ?? []).isSuperset(of: [.segment, .manifest, .signature]) {
            throw AuditStoreError(.tampered, "segment \(n) is not the newest but lacks its segment file, manifest or signature; run 'auditq verify'", path: layout.segmentsDirectory)
        }
        if let checkpoint, checkpoint.segment > last {
            throw AuditStoreError(.tampered, "head.json signs segment \(checkpoint.segment) but the newest segment is \(last): segments were removed; run 'auditq verify'", path: layout.root)
        }

        let kinds = inventory[last] ?? []
        if kinds.contains(.manifest) {
            guard kinds.contains(.segment) else {
                throw AuditStoreError(.tampered, "segment \(last) has a manifest but no segment file; run 'auditq verify'", path: layout.segmentsDirectory)
            }
            let manifestBytes = try FileSystem.readFile(layout.manifest(last))
            let manifest: SegmentManifest
            do {
                manifest = try SegmentManifest(bytes: manifestBytes)
            } catch {
                throw AuditStoreError(.tampered, "manifest of segment \(last) is unreadable: \(error)", path: layout.manifest(last))
            }
            if let checkpoint, checkpoint.seq > manifest.lastSeq {
                throw AuditStoreError(.tampered, "head.json signs record \(checkpoint.seq) but the store ends at \(manifest.lastSeq); run 'auditq verify'", path: layout.root)
            }
            // Unclean: the last checkpoint says so, records were sealed after the last one (a writer
            // died between sealing and signing its checkpoint), or there is none at all (a writer died
            // after sealing a segment, before its first checkpoint: a clean close always signs one).
            if checkpoint.map({ !$0.cleanShutdown || $0.seq < manifest.lastSeq }) ?? true {
                notes.append(.recovered(segment: last, throughSeq: manifest.lastSeq, rewrittenTailBytes: 0, discardedPartialBytes: 0, cleanTail: true))
            }
            if manifest.keyID != key.keyID { notes.append(.keyRotated(from: manifest.keyID, to: key.keyID)) }
            var opened = try startSegment(
                number: last + 1, firstSeq: manifest.lastSeq + 1, prevHash: manifest.chainHead, prevManifest: SHA256.hash(manifestBytes),
                layout: layout, descriptor: descriptor, deflater: deflater, checkpoint: checkpoint, notes: notes
            )
            // The durable head is the end of the sealed segment.
            opened.checkpointSegment = last
            opened.checkpointSegmentBytes = manifest.segmentBytes
            return opened
        }

        // The newest segment is open: the previous writer did not close (a crash or kill).
        var expectedFirstSeq: UInt64?
        var expectedPrevHash: SHA256Digest?
        var prevManifestDigest: SHA256Digest?
        if numbers.count > 1 {
            let bytes = try FileSystem.readFile(layout.manifest(last - 1))
            guard let previous = try? SegmentManifest(bytes: bytes) else {
                throw AuditStoreError(.tampered, "manifest of segment \(last - 1) is unreadable; run 'auditq verify'", path: layout.manifest(last - 1))
            }
            expectedFirstSeq = previous.lastSeq + 1
            expectedPrevHash = previous.chainHead
            prevManifestDigest = SHA256.hash(bytes)
            if previous.keyID != key.keyID { notes.append(.keyRotated(from: previous.keyID, to: key.keyID)) }
        } else if last == 1 {
            expectedFirstSeq = 1
            expectedPrevHash = Chain.genesis(storeID: descriptor.storeID)
        }
        return try recoverOpenSegment(
            number: last, expectedFirstSeq: expectedFirstSeq, expectedPrevHash: expectedPrevHash, prevManifest: prevManifestDigest,
            layout: layout, descriptor: descriptor, key: key, deflater: deflater, checkpoint: checkpoint, notes: notes
        )
    }

    static func loadCheckpoint(_ layout: StoreLayout) throws(AuditStoreError) -> Checkpoint? {
        guard FileSystem.exists(layout.head) else { return nil }
        do {
            return try Checkpoint(bytes: try FileSystem.readFile(layout.head))
        } catch let error as AuditStoreError {
            throw error
        } catch {
            throw AuditStoreError(.tampered, "the checkpoint is unreadable: \(error); run 'auditq verify'", path: layout.head)
        }
    }

    private static func startSegment(
        number: UInt64, firstSeq: UInt64, prevHash: SHA256Digest, prevManifest: SHA256Digest?,
        layout: StoreLayout, descriptor: StoreDescriptor, deflater: GzipDeflater, checkpoint: Checkpoint?, notes: [StartupNote]
    ) throws(AuditStoreError) -> Opened {
        let rootKey = SHA256Digest(bytes: SecureRandom.bytes(count: 32))!
        let header = SegmentHeader(
            storeID: descriptor.storeID, segment: number, firstSeq: firstSeq, prevHash: prevHash, created: .now(),
            saltTree: SaltTree(rootKey: rootKey)
        )
        let (file, bytes) = try createSegmentFile(header, layout: layout)
        var hasher = SHA256()
        hasher.update(bytes)
        let state = State(
            nextSeq: firstSeq, chainHead: prevHash,
            segment: OpenSegment(header: header, rootKey: rootKey, openedAt: monotonicSeconds()),
            durableSeq: firstSeq - 1, segmentFileBytes: bytes.count
        )
        return Opened(
            state: state, file: file, deflater: deflater, fileBytes: bytes.count, fileHasher: hasher, blocks: [],
            prevManifestSHA256: prevManifest, checkpointedSeq: checkpoint?.seq ?? 0,
            checkpointSegment: checkpoint?.segment ?? (number - 1), checkpointSegmentBytes: checkpoint?.segmentBytes ?? 0,
            checkpointSealed: true, segmentHasRecords: false, notes: notes
        )
    }

    private static func recoverOpenSegment(
        number: UInt64, expectedFirstSeq: UInt64?, expectedPrevHash: SHA256Digest?, prevManifest: SHA256Digest?,
        layout: StoreLayout, descriptor: StoreDescriptor, key: SigningKey, deflater: GzipDeflater,
        checkpoint: Checkpoint?, notes: [StartupNote]
    ) throws(AuditStoreError) -> Opened {
        var notes = notes
        let path = layout.segment(number)
        let bytes = try FileSystem.readFile(path)
        func tampered(_ message: String) -> AuditStoreError {
            AuditStoreError(.tampered, "\(message); the writer will not modify this store — run 'auditq verify'", path: path)
        }
        let covered = checkpoint.map { $0.segment == number } ?? false
        var scanner = SegmentScanner(bytes: bytes)
        let header: SegmentHeader
        do {
            header = try scanner.readHeader()
        } catch {
            // The header is fsynced before any record is written, so a segment without a readable header
            // never held an acknowledged record, unless a checkpoint says otherwise.
            if covered { throw tampered("segment \(number) has no readable header but head.json signs records in it") }
            guard let expectedFirstSeq, let expectedPrevHash else { throw tampered("segment \(number) has no readable header: \(error)") }
            try FileSystem.remove(path)
            var opened = try startSegment(
                number: number, firstSeq: expectedFirstSeq, prevHash: expectedPrevHash, prevManifest: prevManifest,
                layout: layout, descriptor: descriptor, deflater: deflater, checkpoint: checkpoint, notes: notes
            )
            opened.notes.append(.recovered(segment: number, throughSeq: expectedFirstSeq - 1, rewrittenTailBytes: bytes.count, discardedPartialBytes: 0, cleanTail: false))
            return opened
        }
        guard header.storeID == descriptor.storeID, header.segment == number else {
            throw tampered("segment \(number)'s header names store \(header.storeID) segment \(header.segment)")
        }
        if let expectedFirstSeq, header.firstSeq != expectedFirstSeq {
            throw tampered("segment \(number) starts at record \(header.firstSeq), expected \(expectedFirstSeq)")
        }
        if let expectedPrevHash, header.prevHash != expectedPrevHash {
            throw tampered("segment \(number)'s previous hash does not continue the chain")
        }
        guard header.saltTree.nodes.count == 1, header.saltTree.nodes[0].depth == 0 else {
            throw tampered("the open segment's salt tree is not a single root key")
        }
        let rootKey = header.saltTree.nodes[0].key
        var segment = OpenSegment(header: header, rootKey: rootKey, openedAt: monotonicSeconds())
        var chainHead = header.prevHash
        var nextSeq = header.firstSeq
        var blocks: [SegmentManifest.Block] = []
        var keptEnd = scanner.offset
        var tailLines: [ArraySlice<UInt8>] = []
        var discardedPartial = 0

        func take(_ line: ArraySlice<UInt8>) throws(AuditStoreError) {
            let record: Record
            do {
                record = try Record(line: line)
            } catch {
                throw tampered("record \(nextSeq) in segment \(number) is unreadable (\(error))")
            }
            guard record.seq == nextSeq else { throw tampered("segment \(number) holds record \(record.seq) where \(nextSeq) belongs") }
            let digest: SHA256Digest
            do {
                digest = try record.digest(leafKey: segment.deriver.leafKey(Int(nextSeq - header.firstSeq)))
            } catch {
                throw tampered("record \(nextSeq) cannot be sealed: \(error)")
            }
            chainHead = Chain.next(previous: chainHead, recordDigest: digest)
            segment.merkle.append(recordDigest: digest)
            segment.count += 1
            if let ts = record.event["ts"]?.stringValue.flatMap({ Timestamp(rfc3339: $0) }) { segment.note(ts) }
            if let checkpoint, covered, checkpoint.seq == nextSeq, checkpoint.chainHead != chainHead {
                throw tampered("record \(nextSeq) does not match the chain hash signed in head.json")
            }
            nextSeq += 1
        }

        while let block = scanner.nextBlock() {
            if block.isComplete {
                let first = nextSeq
                for line in block.lines { try take(line) }
                blocks.append(SegmentManifest.Block(offset: block.offset, firstSeq: first, count: block.lines.count, chainHead: chainHead))
                keptEnd = block.end
            } else {
                // The unfinished last member: keep records while they re-chain. The first one that does
                // not ends the recovered prefix; that is only acceptable after the signed region.
                var kept = 0
                for line in block.lines {
                    do {
                        try take(line)
                        kept += 1
                    } catch {
                        if covered, let checkpoint, nextSeq <= checkpoint.seq { throw error }
                        break
                    }
                }
                tailLines = Array(block.lines.prefix(kept))
                discardedPartial = block.partialLineBytes + block.lines.dropFirst(kept).reduce(0) { $0 + $1.count + 1 }
            }
        }
        let tailStart: Int
        switch scanner.end {
        case .clean, nil: tailStart = bytes.count
        case .unfinishedMember(let offset): tailStart = offset
        case .unreadable(let offset, _): tailStart = offset
        }
        if let checkpoint, covered {
            guard nextSeq - 1 >= checkpoint.seq else {
                throw tampered("head.json signs record \(checkpoint.seq) but segment \(number) ends at \(nextSeq - 1)")
            }
            // Every signed record is present and re-chains to the signed hash (checked in `take`), so
            // whatever is unreadable lies after the signed region: a torn tail.
        }
        assert(keptEnd <= tailStart)

        var newBytes = bytes
        var fileBytes = bytes.count
        if tailStart < bytes.count || !tailLines.isEmpty {
            // Replace the torn tail with one complete member holding the recovered records: write the
            // whole file anew beside the old one and rename it over, so a crash during recovery leaves
            // either the old file (recovered again next time) or the new one.
            newBytes = Array(bytes[0..<tailStart])
            if !tailLines.isEmpty {
                var member: [UInt8] = []
                for line in tailLines {
                    member.append(contentsOf: line)
                    member.append(0x0A)
                }
                do {
                    blocks.append(SegmentManifest.Block(offset: newBytes.count, firstSeq: nextSeq - UInt64(tailLines.count), count: tailLines.count, chainHead: chainHead))
                    newBytes.append(contentsOf: try Gzip.deflate(member, level: 6))
                } catch {
                    throw AuditStoreError(.io, "compression failed during recovery: \(error)", path: path)
                }
            }
            try FileSystem.writeAtomically(newBytes, to: path)
            fileBytes = newBytes.count
        }
        notes.append(
            .recovered(
                segment: number, throughSeq: nextSeq - 1, rewrittenTailBytes: bytes.count - tailStart,
                discardedPartialBytes: discardedPartial, cleanTail: tailStart == bytes.count
            )
        )
        let file = try SystemFile(path: path, mode: [.write, .append])
        var hasher = SHA256()
        hasher.update(newBytes)
        let state = State(
            nextSeq: nextSeq, chainHead: chainHead, segment: segment, durableSeq: nextSeq - 1, segmentFileBytes: fileBytes
        )
        return Opened(
            state: state, file: file, deflater: deflater, fileBytes: fileBytes, fileHasher: hasher, blocks: blocks,
            prevManifestSHA256: prevManifest, checkpointedSeq: checkpoint?.seq ?? 0,
            checkpointSegment: number, checkpointSegmentBytes: fileBytes, checkpointSealed: false,
            segmentHasRecords: segment.count > 0, notes: notes
        )
    }

    /// Appends the records that document what happened at open (crash recovery, key rotation).
    func appendStartupRecords() throws(AuditStoreError) {
        for note in startupNotes {
            let event: AuditEvent
            switch note {
            case .recovered(let segment, let through, let rewritten, let discarded, let cleanTail):
                event = systemEvent(
                    action: "auditq.store.recovered", level: "warning",
                    message: "Writer reopened after an unclean shutdown; records through \(through) recovered",
                    metadata: [
                        "segment": .number(Double(segment)), "recovered_through_seq": .number(Double(through)),
                        "rewritten_tail_bytes": .number(Double(rewritten)), "discarded_partial_record_bytes": .number(Double(discarded)),
                        "tail_was_clean": .bool(cleanTail),
                    ]
                )
                let seq = try appendDurably(event)
                recovery = Recovery(
                    segment: segment, recoveredThroughSeq: through, rewrittenTailBytes: rewritten,
                    discardedPartialRecordBytes: discarded, recordSeq: seq
                )
            case .keyRotated(let from, let to):
                event = systemEvent(
                    action: "auditq.key.rotated", level: "notice",
                    message: "Signing key changed; new segments are signed by key \(to)",
                    metadata: ["previous_key_id": .string(from), "key_id": .string(to)]
                )
                try appendDurably(event)
            }
        }
        startupNotes = []
    }

    /// An event written by auditq itself (source `auditq`, action `auditq.*`).
    func systemEvent(action: String, level: String, message: String, metadata: JSONObject) -> AuditEvent {
        // auditq's own callers pass fields that are valid by construction.
        try! checkedSystemEvent(action: action, level: level, message: message, metadata: metadata)
    }

    /// ``systemEvent(action:level:message:metadata:)`` for fields from outside (a writer request), which
    /// may break the event's limits (an empty or over-long level or action).
    func checkedSystemEvent(action: String, level: String, message: String, metadata: JSONObject) throws(EventValidationError) -> AuditEvent {
        var fields = JSONObject()
        fields["ts"] = .string(Timestamp.now().description)
        fields["action"] = .string(action)
        fields["level"] = .string(level)
        fields["source"] = .string("auditq")
        fields["outcome"] = .string("success")
        fields["message"] = .string(message)
        fields["metadata"] = .object(metadata)
        return try AuditEvent(validating: fields)
    }
}
