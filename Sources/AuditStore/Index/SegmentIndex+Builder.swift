import AuditCrypto

extension SegmentIndex {
    /// The bytes of an index file and the digest the manifest signs.
    package struct Encoded: Sendable {
        package var bytes: [UInt8]
        /// SHA-256 of the directory: the manifest's `index.root`.
        package var root: SHA256Digest
    }

    /// Collects the keys of a segment's records block by block, then encodes the index file.
    ///
    /// The writer feeds it as it writes (keys are fingerprinted on the appending thread, outside the
    /// store lock), and `rebuild` feeds it from a segment file; both produce the same bytes, because
    /// the index depends only on the records and the block boundaries.
    package struct Builder: Sendable {
        /// Per field, `fingerprint << 32 | block number`, deduplicated per block.
        private var entries: [[UInt64]] = Array(repeating: [], count: Field.allCases.count)
        private var blockStarts: [Int] = Array(repeating: 0, count: Field.allCases.count)
        private(set) var blocks: [Block] = []
        private var openCount = 0
        private var openMin = Int64.max
        private var openMax = Int64.min

        package init() {}

        package var blockCount: Int { blocks.count }

        /// Adds one record to the block being written.
        package mutating func add(_ keys: RecordKeys) {
            let block = UInt64(blocks.count)
            for field in Field.allCases {
                if let fp = keys.fingerprint(field) { entries[field.rawValue].append(UInt64(fp) << 32 | block) }
            }
            openCount += 1
            openMin = min(openMin, keys.timestamp)
            openMax = max(openMax, keys.timestamp)
        }

        /// Ends the block being written: the gzip member at `offset` holding the records added since the
        /// last call, the first of which has sequence number `firstSeq`.
        package mutating func finishBlock(offset: Int, firstSeq: UInt64) {
            for field in Field.allCases {
                let start = blockStarts[field.rawValue]
                let end = entries[field.rawValue].withUnsafeMutableBufferPointer { all in
                    start + Builder.sortUnique(UnsafeMutableBufferPointer(rebasing: all[start...]))
                }
                entries[field.rawValue].removeSubrange(end...)
                blockStarts[field.rawValue] = end
            }
            blocks.append(
                Block(offset: offset, length: 0, count: openCount, firstSeq: firstSeq,
                      minTimestamp: openCount > 0 ? openMin : 0, maxTimestamp: openCount > 0 ? openMax : 0)
            )
            openCount = 0
            openMin = .max
            openMax = .min
        }

        /// Sorts `entries` ascending and moves each distinct value to the front once; returns how many
        /// there are. An LSD radix sort on bytes, skipping the bytes that are the same in every entry
        /// (the block number within a block, most of it within a segment): several times faster than a
        /// comparison sort on the fold's and the writer's path, with the same result.
        static func sortUnique(_ entries: UnsafeMutableBufferPointer<UInt64>) -> Int {
            let n = entries.count
            guard n > 1 else { return n }
            var histogram = [Int](repeating: 0, count: 8 * 256)
            histogram.withUnsafeMutableBufferPointer { counts in
                for value in entries {
                    for digit in 0..<8 { counts[digit << 8 | Int(truncatingIfNeeded: value >> (8 * UInt64(digit))) & 0xFF] += 1 }
                }
                let scratch = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: n)
                defer { scratch.deallocate() }
                var from = entries, to = scratch
                for digit in 0..<8 {
                    let base = digit << 8
                    // A byte shared by every entry leaves the order as it is.
                    if counts[base | Int(truncatingIfNeeded: from[0] >> (8 * UInt64(digit))) & 0xFF] == n { continue }
                    var offset = 0
                    for b in 0..<256 {
                        let count = counts[base | b]
                        counts[base | b] = offset
                        offset += count
                    }
                    for value in from {
                        let b = base | Int(truncatingIfNeeded: value >> (8 * UInt64(digit))) & 0xFF
                        to[counts[b]] = value
                        counts[b] += 1
                    }
                    swap(&from, &to)
                }
                if from.baseAddress != entries.baseAddress { _ = entries.update(fromContentsOf: from) }
            }
            var write = 1
            for read in 1..<n where entries[read] != entries[write - 1] {
                entries[write] = entries[read]
                write += 1
            }
            return write
        }

        /// Encodes the index of a sealed segment whose file is `segmentBytes` long.
        package func encode(segment: UInt64, firstSeq: UInt64, recordCount: Int, segmentBytes: Int) -> Encoded {
            var blocks = self.blocks
            for i in blocks.indices {
                blocks[i].length = (i + 1 < blocks.count ? blocks[i + 1].offset : segmentBytes) - blocks[i].offset
            }
            var pages: [(bytes: [UInt8], count: Int, first: UInt32)] = []
            var sections: [(first: Int, count: Int, items: Int)] = []

            // Block table: fixed-size entries.
            var start = pages.count
            var page = ByteWriter()
            var pageCount = 0
            var pageFirst = 0
            for (number, block) in blocks.enumerated() {
                if pageCount > 0, page.bytes.count + SegmentIndex.blockEntryBytes > SegmentIndex.pageTarget {
                    pages.append((page.bytes, pageCount, UInt32(pageFirst)))
                    page = ByteWriter()
                    pageCount = 0
                }
                if pageCount == 0 { pageFirst = number }
                page.u64(UInt64(block.offset))
                page.u32(UInt32(block.length))
                page.u32(UInt32(block.count))
                page.u64(block.firstSeq)
                page.u64(UInt64(bitPattern: block.minTimestamp))
                page.u64(UInt64(bitPattern: block.maxTimestamp))
                pageCount += 1
            }
            if pageCount > 0 { pages.append((page.bytes, pageCount, UInt32(pageFirst))) }
            sections.append((start, pages.count - start, blocks.count))

            // Key sections: (fingerprint, block) sorted, delta-coded.
            for field in Field.allCases {
                // Unique (fingerprint, block) pairs: a key repeated within a block (a duplicated record in
                // a damaged segment, found by fuzzing) must not produce a negative delta.
                var sorted = entries[field.rawValue]
                let unique = sorted.withUnsafeMutableBufferPointer { Builder.sortUnique($0) }
                sorted.removeSubrange(unique...)
                start = pages.count
                page = ByteWriter()
                pageCount = 0
                var first: UInt32 = 0
                var previous: UInt64 = 0
                for entry in sorted {
                    let fp = UInt32(entry >> 32)
                    let block = entry & 0xFFFF_FFFF
                    var length: Int
                    if pageCount == 0 {
                        length = ByteWriter.varintLength(block)
                    } else {
                        let delta = UInt64(fp) - (previous >> 32)
                        length = ByteWriter.varintLength(delta)
                        length += ByteWriter.varintLength(delta == 0 ? block - (previous & 0xFFFF_FFFF) - 1 : block)
                    }
                    if pageCount > 0, page.bytes.count + length > SegmentIndex.pageTarget {
                        pages.append((page.bytes, pageCount, first))
                        page = ByteWriter()
                        pageCount = 0
                    }
                    if pageCount == 0 {
                        first = fp
                        page.varint(block)
                    } else {
                        let delta = UInt64(fp) - (previous >> 32)
                        page.varint(delta)
                        page.varint(delta == 0 ? block - (previous & 0xFFFF_FFFF) - 1 : block)
                    }
                    previous = entry
                    pageCount += 1
                }
                if pageCount > 0 { pages.append((page.bytes, pageCount, first)) }
                sections.append((start, pages.count - start, sorted.count))
            }

            var directory = ByteWriter()
            let directoryBytes = SegmentIndex.fixedDirectoryBytes + pages.count * SegmentIndex.pageEntryBytes
            directory.bytes.reserveCapacity(directoryBytes)
            directory.bytes.append(contentsOf: SegmentIndex.magic)
            directory.u32(UInt32(SegmentIndex.version))
            directory.u32(UInt32(directoryBytes))
            directory.u64(segment)
            directory.u64(firstSeq)
            directory.u64(UInt64(recordCount))
            directory.u64(UInt64(segmentBytes))
            directory.u32(UInt32(blocks.count))
            directory.u32(UInt32(pages.count))
            for section in sections {
                directory.u32(UInt32(section.first))
                directory.u32(UInt32(section.count))
                directory.u32(UInt32(section.items))
            }
            var offset = directoryBytes
            for page in pages {
                directory.u64(UInt64(offset))
                directory.u32(UInt32(page.bytes.count))
                directory.u32(UInt32(page.count))
                directory.u32(page.first)
                SHA256.hash(page.bytes).withUnsafeBytes { directory.bytes.append(contentsOf: $0) }
                offset += page.bytes.count
            }
            assert(directory.bytes.count == directoryBytes)
            let root = SHA256.hash(directory.bytes)
            var file = directory.bytes
            file.reserveCapacity(offset)
            for page in pages { file.append(contentsOf: page.bytes) }
            return Encoded(bytes: file, root: root)
        }
    }
}
