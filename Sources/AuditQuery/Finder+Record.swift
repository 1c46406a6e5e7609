import AuditCompression
import AuditModel
import AuditStore

extension Finder {
    /// The record with sequence number `seq`, or nil when the store has none.
    ///
    /// A sealed segment is chosen by its manifest's sequence range and the block by its index's block
    /// table (checked against the signed root); without a usable index the segment is scanned.
    package func record(seq: UInt64) throws(QueryError) -> (match: Match?, notes: [Note]) {
        var search = Search(finder: self, query: FindQuery(keys: []), newestFirst: false)
        let needle = Array(",\"seq\":\(seq),\"v\":".utf8)
        for segment in try segments().reversed() {
            if segment.sealed {
                var summary: ManifestSummary
                let manifestBytes: [UInt8]
                do {
                    let bytes = try FileSystem.readFile(layout.manifest(segment.number))
                    manifestBytes = bytes
                    summary = try bytes.withUnsafeBytes { raw in Result { () throws(QueryError) in try ManifestSummary(bytes: raw) } }.get()
                } catch let error as QueryError {
                    throw QueryError(error.code, error.message, path: layout.manifest(segment.number))
                } catch {
                    throw QueryError(.io, "cannot read the manifest: \(error)", path: layout.manifest(segment.number))
                }
                if let keys = trustedKeys {
                    try search.authenticate(segment.number, manifest: manifestBytes, keyID: summary.keyID, keys: keys)
                }
                try search.applyRewrite(segment.number, to: &summary, manifest: manifestBytes[...])
                guard summary.recordCount > 0, (summary.firstSeq...summary.lastSeq).contains(seq) else {
                    if seq > summary.lastSeq { return (nil, search.notes) }
                    continue
                }
                if let signed = summary.index, let block = try? search.block(holding: seq, segment: segment.number, summary: summary, signed: signed) {
                    let found = try search.line(with: needle, seq: seq, in: block, segment: segment.number)
                    return (found, search.notes)
                }
                search.note(segment.number, summary.index == nil ? "sealed before segments had indexes: scanned" : "index not usable: scanned the segment; run 'auditq index rebuild'")
            }
            if let found = try search.line(with: needle, seq: seq, in: nil, segment: segment.number) { return (found, search.notes) }
        }
        return (nil, search.notes)
    }
}

extension Finder.Search {
    /// The block of a sealed segment that holds `seq`, from the index's block table.
    mutating func block(holding seq: UInt64, segment number: UInt64, summary: ManifestSummary, signed: SegmentManifest.Index) throws(IndexUnusable) -> SegmentIndex.Block {
        let file = try indexFile(number)
        let directory = try checkedDirectory(number, file: file, summary: summary, signed: signed)
        for pageNumber in directory.section(.blocks).pages {
            let page = directory.pages[pageNumber]
            guard let bytes = try? file.read(at: page.offset, count: page.length), bytes.count == page.length else {
                throw IndexUnusable(reason: "the index file is shorter than its directory says")
            }
            let blocks: [SegmentIndex.Block]
            do {
                blocks = try bytes.withUnsafeBytes { raw in
                    Result { () throws(SegmentIndexError) in
                        try SegmentIndex.checkPage(raw, page)
                        return try SegmentIndex.decodeBlocks(raw, page)
                    }
                }.get()
            } catch {
                throw IndexUnusable(reason: error.reason)
            }
            if let block = blocks.first(where: { $0.firstSeq <= seq && seq < $0.firstSeq + UInt64($0.count) }) { return block }
        }
        throw IndexUnusable(reason: "no block of the index holds record \(seq)")
    }

    /// The record `seq` in the given block (reading only that gzip member), or anywhere in the segment
    /// when nil, found by its `"seq":N,"v":` bytes.
    mutating func line(with needle: [UInt8], seq: UInt64, in block: SegmentIndex.Block?, segment number: UInt64) throws(QueryError) -> Match? {
        let path = segmentPath(number)
        let bytes: [UInt8]
        do {
            if let block {
                bytes = try SystemFile(path: path, mode: .read).read(at: block.offset, count: block.length)
            } else {
                bytes = try FileSystem.readFile(path)
            }
        } catch {
            throw QueryError(.io, "cannot read the segment: \(error)", path: path)
        }
        var offset = 0
        while offset < bytes.count {
            // A block the index located is one member filling `bytes`; a whole segment's members end
            // where nothing has recorded.
            guard
                let member = try? bytes.withUnsafeBytes({ raw in
                    block == nil
                        ? try Gzip.inflateMember(raw, at: offset, maxOutput: SegmentScanner.maxBlockBytes)
                        : try Gzip.inflateMember(raw, at: offset, expectedEnd: raw.count, maxOutput: SegmentScanner.maxBlockBytes)
                })
            else { return nil }
            statistics.blocksRead += 1
            if let found = Self.record(seq, needle: needle, in: member, segment: number) { return found }
            if !member.isComplete || block != nil { return nil }
            offset = member.compressedRange.upperBound
        }
        return nil
    }

    /// The record `seq` among a decompressed member's complete lines.
    static func record(_ seq: UInt64, needle: [UInt8], in member: GzipMember, segment: UInt64) -> Match? {
        member.bytes.withUnsafeBytes { raw in
            var from = 0
            while let hit = firstOccurrence(of: needle, in: raw, from: from) {
                var start = hit
                while start > 0, raw[start - 1] != 0x0A { start -= 1 }
                var end = hit
                while end < raw.count, raw[end] != 0x0A { end += 1 }
                from = end
                guard end < raw.count || member.isComplete else { break }
                let line = Array(raw[start..<end])
                if case .object(let record)? = try? Record.parser.parse(line), record["seq"]?.integerValue == Int64(seq) {
                    return Match(seq: seq, segment: segment, line: line, record: record)
                }
            }
            return nil
        }
    }
}
