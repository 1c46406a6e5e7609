import AuditCompression
import AuditCrypto
import AuditModel
import AuditStore
import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Finder {
    /// One lookup's walk over the segments.
    struct Search {
        let finder: Finder
        let query: FindQuery
        /// Visit blocks and records newest first (for a limit), else in chain order.
        let newestFirst: Bool
        let needles: [[UInt8]]
        var notes: [Note] = []
        var statistics = Statistics()
        var manifestBuffer: [UInt8] = []
        /// The current files of rewritten segments (erasure, expiry), by segment number.
        var rewritten: [UInt64: (segment: String, index: String)] = [:]

        init(finder: Finder, query: FindQuery, newestFirst: Bool) {
            self.finder = finder
            self.query = query
            self.newestFirst = newestFirst
            // The longest needle first: it is the rarest, so it rejects most lines.
            self.needles = query.keys.map(\.needle).sorted { $0.count > $1.count }
        }

        /// Why an index was not used.
        struct IndexUnusable: Error {
            var reason: String
        }

        /// Searches one segment; `emit` returns false to stop.
        mutating func segment(_ segment: Segment, emit: (Match) -> Bool) throws(QueryError) {
            guard segment.sealed else {
                statistics.scanned += 1
                return try scan(segment.number, emit: emit)
            }
            let layout = finder.layout
            let length = try readManifest(segment.number)
            var summary: ManifestSummary
            do {
                summary = try manifestBuffer.withUnsafeBytes { raw in
                    Result { () throws(QueryError) in try ManifestSummary(bytes: UnsafeRawBufferPointer(rebasing: raw[0..<length])) }
                }.get()
            } catch {
                throw QueryError(error.code, error.message, path: layout.manifest(segment.number))
            }
            if let keys = finder.trustedKeys {
                try authenticate(segment.number, manifest: Array(manifestBuffer[0..<length]), keyID: summary.keyID, keys: keys)
            }
            try applyRewrite(segment.number, to: &summary, manifest: manifestBuffer[0..<length])
            if let min = summary.minTimestamp, let max = summary.maxTimestamp,
                !query.overlaps(min: min.microsecondsSinceEpoch, max: max.microsecondsSinceEpoch)
            {
                statistics.skippedByTime += 1
                return
            }
            guard let signed = summary.index else {
                note(segment.number, "sealed before segments had indexes (manifest version 1): scanned")
                statistics.scanned += 1
                return try scan(segment.number, emit: emit)
            }
            let blocks: [SegmentIndex.Block]
            do {
                blocks = try indexedBlocks(segment.number, summary: summary, signed: signed)
            } catch {
                note(segment.number, "index not used (\(error.reason)): scanned the segment instead; run 'auditq index rebuild --store \(layout.root) --segment \(segment.number)'")
                statistics.scanned += 1
                return try scan(segment.number, emit: emit)
            }
            if blocks.isEmpty {
                statistics.skippedByIndex += 1
                return
            }
            do {
                try read(blocks, segment: segment.number, emit: emit)
            } catch let error as IndexUnusable {
                // The segment file no longer holds what its signed index describes: it changed after it
                // was sealed. A scan would read the same changed file, so say so; verify locates the change.
                note(segment.number, "\(error.reason): the segment changed after it was sealed; run 'auditq verify'")
            } catch let error as QueryError {
                throw error
            } catch {
                throw QueryError(.corrupt, "\(error)", path: segmentPath(segment.number))
            }
        }

        /// Takes the file-level members of a rewritten segment (erasure, expiry) from its rewrite
        /// document: which files hold it now, their size and the index root. With trusted keys the
        /// document must be signed by one and belong to this manifest.
        mutating func applyRewrite(_ number: UInt64, to summary: inout ManifestSummary, manifest: ArraySlice<UInt8>) throws(QueryError) {
            let layout = finder.layout
            let path = layout.rewrite(number)
            guard FileSystem.exists(path) else { return }
            let bytes: [UInt8]
            do {
                bytes = try FileSystem.readFile(path)
            } catch {
                throw QueryError(.io, "cannot read the segment rewrite: \(error)", path: path)
            }
            if let keys = finder.trustedKeys {
                // Authenticating needs the whole document; without trusted keys its block table is skipped.
                guard let rewrite = try? SegmentRewrite(bytes: bytes), rewrite.segment == number, let key = keys[rewrite.keyID],
                    rewrite.document.isSigned(by: key), rewrite.manifestSHA256 == SHA256.hash(Array(manifest))
                else {
                    throw QueryError(.unauthenticated, "segment \(number)'s rewrite document is not signed by a trusted key for this manifest; run 'auditq verify'", path: path)
                }
            }
            let rewrite: RewriteSummary
            do {
                rewrite = try bytes.withUnsafeBytes { raw in Result { () throws(QueryError) in try RewriteSummary(bytes: raw) } }.get()
            } catch {
                throw QueryError(error.code, error.message, path: path)
            }
            guard rewrite.segment == number else { throw QueryError(.corrupt, "the rewrite document is for segment \(rewrite.segment); run 'auditq verify'", path: path) }
            summary.segmentBytes = rewrite.segmentBytes
            summary.index = rewrite.index
            rewritten[number] = (layout.segment(number, generation: rewrite.generation), layout.index(number, generation: rewrite.generation))
        }

        func segmentPath(_ number: UInt64) -> String { rewritten[number]?.segment ?? finder.layout.current(number).segment }
        func indexPath(_ number: UInt64) -> String { rewritten[number]?.index ?? finder.layout.index(number) }

        /// Reads a manifest into ``manifestBuffer`` (reused across segments: a lookup reads one manifest per
        /// segment, and fresh pages for each would cost more than parsing them) and returns its length.
        mutating func readManifest(_ number: UInt64) throws(QueryError) -> Int {
            let path = finder.layout.manifest(number)
            do {
                let file = try SystemFile(path: path, mode: .read)
                let size = try file.size()
                if manifestBuffer.count < size { manifestBuffer = [UInt8](repeating: 0, count: size + size / 4) }
                var done = 0
                while done < size {
                    let n = manifestBuffer.withUnsafeMutableBytes { pread(file.descriptor, $0.baseAddress! + done, size - done, off_t(done)) }
                    if n < 0, errno == EINTR { continue }
                    guard n >= 0 else { throw QueryError(.io, "cannot read the manifest: \(String(cString: strerror(errno)))", path: path) }
                    guard n > 0 else { throw QueryError(.io, "cannot read the manifest (it shrank while being read)", path: path) }
                    done += n
                }
                return size
            } catch let error as QueryError {
                throw error
            } catch {
                throw QueryError(.io, "cannot read the manifest: \(error)", path: path)
            }
        }

        mutating func note(_ segment: UInt64, _ message: String) {
            notes.append(Note(segment: segment, message: message))
        }

        func authenticate(_ number: UInt64, manifest: [UInt8], keyID: String, keys: [String: Ed25519.PublicKey]) throws(QueryError) {
            let path = finder.layout.manifest(number)
            guard let key = keys[keyID] else {
                throw QueryError(.unauthenticated, "segment \(number)'s manifest is signed by key \(keyID), which is not trusted; run 'auditq verify'", path: path)
            }
            guard let signature = try? FileSystem.readFile(finder.layout.signature(number)), key.isValidSignature(signature, for: manifest) else {
                throw QueryError(.unauthenticated, "segment \(number)'s manifest signature does not verify with key \(keyID); run 'auditq verify'", path: path)
            }
        }

        // MARK: - The index

        func indexFile(_ number: UInt64) throws(IndexUnusable) -> SystemFile {
            do {
                return try SystemFile(path: indexPath(number), mode: .read)
            } catch {
                throw IndexUnusable(reason: FileSystem.exists(indexPath(number)) ? "\(error)" : "the index file is missing")
            }
        }

        /// The index directory of a sealed segment, checked against the root its manifest signs and
        /// against the manifest's description of the segment.
        func checkedDirectory(_ number: UInt64, file: SystemFile, summary: ManifestSummary, signed: SegmentManifest.Index) throws(IndexUnusable) -> SegmentIndex.Directory {
            guard signed.version == SegmentIndex.version else { throw IndexUnusable(reason: "index format version \(signed.version) is not known to this build") }
            func read(_ offset: Int, _ count: Int) throws(IndexUnusable) -> [UInt8] {
                guard let bytes = try? file.read(at: offset, count: count), bytes.count == count else {
                    throw IndexUnusable(reason: "the index file is shorter than the signed index")
                }
                return bytes
            }
            var directoryBytes = try read(0, min(signed.bytes, 16 << 10))
            let length: Int
            do {
                length = try directoryBytes.withUnsafeBytes { raw in Result { () throws(SegmentIndexError) in try SegmentIndex.Directory.announcedLength(raw) } }.get()
            } catch {
                throw IndexUnusable(reason: error.reason)
            }
            guard length <= signed.bytes else { throw IndexUnusable(reason: "the index directory is longer than the signed index") }
            if length > directoryBytes.count {
                directoryBytes += try read(directoryBytes.count, length - directoryBytes.count)
            } else {
                directoryBytes.removeLast(directoryBytes.count - length)
            }
            guard SHA256.hash(directoryBytes) == signed.root else { throw IndexUnusable(reason: "the index does not match the digest its signed manifest records") }
            let directory: SegmentIndex.Directory
            do {
                directory = try directoryBytes.withUnsafeBytes { raw in Result { () throws(SegmentIndexError) in try SegmentIndex.Directory(bytes: raw) } }.get()
            } catch {
                throw IndexUnusable(reason: error.reason)
            }
            guard directory.segment == number, directory.firstSeq == summary.firstSeq, directory.recordCount == summary.recordCount,
                directory.segmentBytes == summary.segmentBytes, directory.fileBytes == signed.bytes
            else { throw IndexUnusable(reason: "the index describes a different segment") }
            return directory
        }

        /// The blocks of a sealed segment that hold every key of the query within its time window, in
        /// chain order, from index pages checked against the signed root.
        mutating func indexedBlocks(_ number: UInt64, summary: ManifestSummary, signed: SegmentManifest.Index) throws(IndexUnusable) -> [SegmentIndex.Block] {
            let file = try indexFile(number)
            let directory = try checkedDirectory(number, file: file, summary: summary, signed: signed)
            func read(_ offset: Int, _ count: Int) throws(IndexUnusable) -> [UInt8] {
                guard let bytes = try? file.read(at: offset, count: count), bytes.count == count else {
                    throw IndexUnusable(reason: "the index file is shorter than its directory says")
                }
                return bytes
            }
            func failure(_ error: SegmentIndexError) -> IndexUnusable { IndexUnusable(reason: error.reason) }

            // The blocks holding each key; a record must have them all, so intersect.
            var candidates: [Int]?
            for key in query.keys {
                let field = key.field.indexField
                let fp = SegmentIndex.fingerprint(key.value)
                let pages = directory.candidatePages(field, fingerprint: fp)
                var blocks: [Int] = []
                if !pages.isEmpty {
                    let first = directory.pages[pages.lowerBound]
                    let last = directory.pages[pages.upperBound - 1]
                    let bytes = try read(first.offset, last.offset + last.length - first.offset)
                    do {
                        try bytes.withUnsafeBytes { raw in
                            try Result { () throws(SegmentIndexError) in
                                for number in pages {
                                    let page = directory.pages[number]
                                    let slice = UnsafeRawBufferPointer(rebasing: raw[(page.offset - first.offset)..<(page.offset - first.offset + page.length)])
                                    try SegmentIndex.checkPage(slice, page)
                                    try SegmentIndex.forEachEntry(slice, page) { f, block in
                                        if f == fp { blocks.append(block) }
                                        return f <= fp
                                    }
                                }
                            }.get()
                        }
                    } catch let error as SegmentIndexError {
                        throw failure(error)
                    } catch {
                        throw IndexUnusable(reason: "\(error)")
                    }
                }
                guard blocks.allSatisfy({ $0 < directory.blockCount }) else { throw IndexUnusable(reason: "the index names a block the segment does not have") }
                blocks.sort()
                if let previous = candidates {
                    let set = Set(blocks)
                    candidates = previous.filter { set.contains($0) }
                } else {
                    candidates = blocks
                }
                if candidates!.isEmpty { return [] }
            }

            // Where those blocks are, and their time ranges, from the block table's pages.
            var result: [SegmentIndex.Block] = []
            var cachedPage = -1
            var pageBlocks: [SegmentIndex.Block] = []
            for number in candidates ?? [] {
                guard let pageNumber = directory.blockPage(number) else { throw IndexUnusable(reason: "the index block table has no block \(number)") }
                if pageNumber != cachedPage {
                    let page = directory.pages[pageNumber]
                    let bytes = try read(page.offset, page.length)
                    do {
                        pageBlocks = try bytes.withUnsafeBytes { raw in
                            Result { () throws(SegmentIndexError) in
                                try SegmentIndex.checkPage(raw, page)
                                return try SegmentIndex.decodeBlocks(raw, page)
                            }
                        }.get()
                    } catch {
                        throw failure(error)
                    }
                    cachedPage = pageNumber
                }
                let block = pageBlocks[number - Int(directory.pages[pageNumber].first)]
                guard block.offset >= 0, block.length > 0, block.offset + block.length <= directory.segmentBytes else {
                    throw IndexUnusable(reason: "the index places block \(number) outside the segment")
                }
                if query.overlaps(min: block.minTimestamp, max: block.maxTimestamp) { result.append(block) }
            }
            return result
        }

        // MARK: - Reading blocks

        /// Reads and decompresses the given blocks of a sealed segment and emits their matching records.
        mutating func read(_ blocks: [SegmentIndex.Block], segment number: UInt64, emit: (Match) -> Bool) throws {
            let path = segmentPath(number)
            let file: SystemFile
            do {
                file = try SystemFile(path: path, mode: .read)
            } catch {
                throw QueryError(.io, "cannot read the segment: \(error)", path: path)
            }
            let ordered = newestFirst ? Array(blocks.reversed()) : blocks
            // Blocks are decompressed in batches on all cores, consumed in order. A batch starts at 2
            // blocks (a point lookup needs one or two) and doubles, so a lookup that stops early at its
            // limit wastes at most one batch.
            var next = 0
            var batchSize = 2
            while next < ordered.count {
                let batch = Array(ordered[next..<min(ordered.count, next + batchSize)])
                next += batch.count
                batchSize = min(batchSize * 2, 16)
                var compressed: [[UInt8]] = []
                for block in batch {
                    do {
                        compressed.append(try file.read(at: block.offset, count: block.length))
                    } catch {
                        throw QueryError(.io, "cannot read the segment: \(error)", path: path)
                    }
                }
                let results = decode(batch, compressed, segment: number)
                for result in results {
                    let (inflated, found) = try result.get()
                    statistics.blocksRead += 1
                    statistics.bytesInflated += inflated
                    for match in found where !emit(match) { return }
                }
            }
        }

        /// Decompresses blocks and finds their matching records, one block per core at a time.
        func decode(_ blocks: [SegmentIndex.Block], _ compressed: [[UInt8]], segment number: UInt64) -> [Result<(Int, [Match]), any Error>] {
            var results = [Result<(Int, [Match]), any Error>](repeating: .success((0, [])), count: blocks.count)
            let one = { (i: Int) -> Result<(Int, [Match]), any Error> in
                let block = blocks[i]
                guard compressed[i].count == block.length,
                    let member = try? compressed[i].withUnsafeBytes({ try Gzip.inflateMember($0, at: 0, expectedEnd: block.length, maxOutput: SegmentScanner.maxBlockBytes) }),
                    member.isComplete, member.compressedRange.upperBound == block.length
                else { return .failure(IndexUnusable(reason: "the block at byte \(block.offset) is not where the signed index places it")) }
                let seqs = block.firstSeq..<(block.firstSeq + UInt64(block.count))
                var found: [Match] = []
                do {
                    try self.matches(in: member.bytes, segment: number, reversed: self.newestFirst) { match in
                        guard seqs.contains(match.seq) else {
                            throw IndexUnusable(reason: "record \(match.seq) is in the block the index says holds \(seqs.lowerBound)-\(seqs.upperBound - 1)")
                        }
                        found.append(match)
                        return true
                    }
                } catch {
                    return .failure(error)
                }
                return .success((member.bytes.count, found))
            }
            if blocks.count == 1 {
                results[0] = one(0)
            } else {
                let work = ParallelWork(count: blocks.count, one)
                DispatchQueue.concurrentPerform(iterations: blocks.count) { i in work.run(i) }
                for i in results.indices { results[i] = work.results[i]! }
            }
            return results
        }

        /// Scans a whole segment (open, unindexed, or whose index is not usable).
        mutating func scan(_ number: UInt64, emit: (Match) -> Bool) throws(QueryError) {
            let path = segmentPath(number)
            let bytes: [UInt8]
            do {
                bytes = try FileSystem.readFile(path)
            } catch {
                throw QueryError(.io, "cannot read the segment: \(error)", path: path)
            }
            var found: [Match] = []
            var offset = 0
            var isHeader = true
            while offset < bytes.count {
                let member: GzipMember
                do {
                    member = try bytes.withUnsafeBytes { try Gzip.inflateMember($0, at: offset, maxOutput: SegmentScanner.maxBlockBytes) }
                } catch {
                    note(number, "unreadable from byte \(offset) (\(error)): records after it were not searched; run 'auditq verify'")
                    break
                }
                statistics.blocksRead += 1
                statistics.bytesInflated += member.bytes.count
                if !isHeader {
                    // An unfinished member (the writer is appending) ends with a partial line: leave it out.
                    var body = member.bytes
                    if !member.isComplete, let lastNewline = body.lastIndex(of: 0x0A) {
                        body.removeSubrange((lastNewline + 1)...)
                    } else if !member.isComplete {
                        body = []
                    }
                    do {
                        try matches(in: body, segment: number, reversed: false) { match in
                            found.append(match)
                            return true
                        }
                    } catch let error as QueryError {
                        throw error
                    } catch {
                        throw QueryError(.corrupt, "\(error)", path: path)
                    }
                }
                isHeader = false
                if !member.isComplete { break }
                offset = member.compressedRange.upperBound
            }
            for match in newestFirst ? found.reversed() : found where !emit(match) { return }
        }

        /// Finds the records of a decompressed block that match the query, in order (or reversed), and
        /// passes each to `body` until it returns false.
        func matches(in block: [UInt8], segment: UInt64, reversed: Bool, _ body: (Match) throws -> Bool) throws {
            guard let needle = needles.first else { return }
            var lines: [Range<Int>] = []
            block.withUnsafeBytes { raw in
                var from = 0
                while let hit = firstOccurrence(of: needle, in: raw, from: from) {
                    var start = hit
                    while start > 0, raw[start - 1] != 0x0A { start -= 1 }
                    var end = hit + needle.count
                    while end < raw.count, raw[end] != 0x0A { end += 1 }
                    let line = UnsafeRawBufferPointer(rebasing: raw[start..<end])
                    if needles.dropFirst().allSatisfy({ firstOccurrence(of: $0, in: line, from: 0) != nil }) { lines.append(start..<end) }
                    from = end
                }
            }
            for range in reversed ? lines.reversed() : lines {
                let line = Array(block[range])
                guard case .object(let record)? = try? Record.parser.parse(line), let seqValue = record["seq"]?.integerValue, seqValue >= 1,
                    let event = record["event"]?.objectValue
                else {
                    throw QueryError(.corrupt, "segment \(segment) holds a record that is not valid JSON; run 'auditq verify'", path: segmentPath(segment))
                }
                guard query.matches(event) else { continue }
                if try !body(Match(seq: UInt64(seqValue), segment: segment, line: line, record: record)) { return }
            }
        }
    }
}
