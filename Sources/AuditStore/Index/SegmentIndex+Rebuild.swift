import AuditModel

extension SegmentIndex {
    /// Builds the index of a sealed segment from its file, as the writer built it at seal.
    ///
    /// - Throws: ``SegmentIndexError`` when the file is not a complete, readable segment (the index of
    ///   a damaged segment is never guessed).
    package static func build(segmentBytes bytes: [UInt8]) throws(SegmentIndexError) -> Encoded {
        var scanner = SegmentScanner(bytes: bytes)
        let header: SegmentHeader
        do {
            header = try scanner.readHeader()
        } catch {
            throw SegmentIndexError("segment header: \(error)")
        }
        var builder = Builder()
        var count = 0
        while let block = scanner.nextBlock() {
            guard block.isComplete else { break }
            var firstSeq: UInt64?
            for line in block.lines {
                guard let keys = try? recordKeys(line: line) else {
                    throw SegmentIndexError("record after \(header.firstSeq + UInt64(count) - 1) in the block at byte \(block.offset) is unreadable")
                }
                firstSeq = firstSeq ?? keys.seq
                builder.add(keys.keys)
                count += 1
            }
            builder.finishBlock(offset: block.offset, firstSeq: firstSeq ?? header.firstSeq + UInt64(count))
        }
        guard scanner.end == .clean else {
            throw SegmentIndexError("segment \(header.segment) is not a complete sealed segment (\(scanner.end.map { "\($0)" } ?? "unfinished"))")
        }
        return builder.encode(segment: header.segment, firstSeq: header.firstSeq, recordCount: count, segmentBytes: bytes.count)
    }

    /// A stored record's sequence number and index keys.
    package static func recordKeys(line: ArraySlice<UInt8>) throws -> (seq: UInt64, keys: RecordKeys) {
        let record = try Record(line: line)
        // An expired record keeps its time but no keys (its event is gone).
        guard let ts = record.timestamp else { throw RecordError("record \(record.seq) has no valid ts") }
        return (record.seq, RecordKeys(event: record.event, timestamp: ts.microsecondsSinceEpoch))
    }
}
