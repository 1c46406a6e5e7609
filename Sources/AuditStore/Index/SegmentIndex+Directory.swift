import AuditCrypto

extension SegmentIndex {
    /// The directory at the start of an index file: what the index covers and where each page is,
    /// with each page's SHA-256. Its own SHA-256 is the manifest's `index.root`.
    package struct Directory: Sendable, Hashable {
        package struct Page: Sendable, Hashable {
            package var offset: Int
            package var length: Int
            package var count: Int
            /// The first item's key: a block number (block pages) or a fingerprint (key pages).
            package var first: UInt32
            package var sha256: SHA256Digest
        }

        package struct SectionRange: Sendable, Hashable {
            package var firstPage: Int
            package var pageCount: Int
            package var itemCount: Int
            package var pages: Range<Int> { firstPage..<(firstPage + pageCount) }
        }

        package var segment: UInt64
        package var firstSeq: UInt64
        package var recordCount: Int
        package var segmentBytes: Int
        package var blockCount: Int
        package var sections: [SectionRange]
        package var pages: [Page]
        package var directoryBytes: Int

        /// Total size of the file the directory describes.
        package var fileBytes: Int { pages.last.map { $0.offset + $0.length } ?? directoryBytes }

        /// The directory length announced by its first bytes, once at least 16 bytes are available.
        package static func announcedLength(_ prefix: UnsafeRawBufferPointer) throws(SegmentIndexError) -> Int {
            guard prefix.count >= 16 else { throw SegmentIndexError("index file is shorter than its 16-byte preamble") }
            guard prefix.prefix(8).elementsEqual(SegmentIndex.magic) else { throw SegmentIndexError("not an auditq index file (bad magic)") }
            var reader = ByteReader(prefix)
            reader.skip(8)
            let version = reader.u32()
            guard version == UInt32(SegmentIndex.version) else {
                throw SegmentIndexError("index format version \(version) is not supported (this build reads version \(SegmentIndex.version))")
            }
            let length = Int(reader.u32())
            guard length >= SegmentIndex.fixedDirectoryBytes else { throw SegmentIndexError("index directory length \(length) is too small") }
            return length
        }

        /// Parses a directory and checks that it is self-consistent: sections tile the page table in
        /// order and pages tile the file after the directory.
        package init(bytes: UnsafeRawBufferPointer) throws(SegmentIndexError) {
            let length = try Directory.announcedLength(bytes)
            guard bytes.count == length else { throw SegmentIndexError("index directory is \(bytes.count) bytes but announces \(length)") }
            var reader = ByteReader(bytes)
            reader.skip(16)
            segment = reader.u64()
            firstSeq = reader.u64()
            recordCount = Int(clamping: reader.u64())
            segmentBytes = Int(clamping: reader.u64())
            blockCount = Int(reader.u32())
            let pageCount = Int(reader.u32())
            guard length == SegmentIndex.fixedDirectoryBytes + pageCount * SegmentIndex.pageEntryBytes else {
                throw SegmentIndexError("index directory length \(length) does not fit its \(pageCount) pages")
            }
            var sections: [SectionRange] = []
            var nextPage = 0
            for section in Section.allCases {
                let range = SectionRange(firstPage: Int(reader.u32()), pageCount: Int(reader.u32()), itemCount: Int(reader.u32()))
                guard range.firstPage == nextPage, range.pageCount <= pageCount - nextPage else {
                    throw SegmentIndexError("index section \(section) does not follow the previous one in the page table")
                }
                nextPage += range.pageCount
                sections.append(range)
            }
            guard nextPage == pageCount else { throw SegmentIndexError("index sections do not cover the page table") }
            guard sections[Section.blocks.rawValue].itemCount == blockCount else {
                throw SegmentIndexError("index block table holds \(sections[0].itemCount) blocks, the directory says \(blockCount)")
            }
            var pages: [Page] = []
            pages.reserveCapacity(pageCount)
            var expectedOffset = length
            for _ in 0..<pageCount {
                let offset = Int(clamping: reader.u64())
                let page = Page(offset: offset, length: Int(reader.u32()), count: Int(reader.u32()), first: reader.u32(), sha256: reader.digest())
                guard page.offset == expectedOffset, page.length > 0, page.count > 0 else {
                    throw SegmentIndexError("index page at \(page.offset) does not follow the previous page")
                }
                expectedOffset += page.length
                pages.append(page)
            }
            for section in Section.allCases {
                let range = sections[section.rawValue]
                guard pages[range.pages].reduce(0, { $0 + $1.count }) == range.itemCount else {
                    throw SegmentIndexError("index section \(section) pages do not add up to its \(range.itemCount) items")
                }
            }
            self.sections = sections
            self.pages = pages
            self.directoryBytes = length
        }

        package func section(_ section: Section) -> SectionRange { sections[section.rawValue] }

        /// The pages of `field`'s section that may hold `fingerprint`: from the last page starting below
        /// it through every page starting at it (a run of equal fingerprints can span pages).
        package func candidatePages(_ field: Field, fingerprint: UInt32) -> Range<Int> {
            let range = section(field.section).pages
            var low = range.lowerBound
            var high = range.upperBound
            while low < high {
                let mid = (low + high) / 2
                if pages[mid].first < fingerprint { low = mid + 1 } else { high = mid }
            }
            let start = low > range.lowerBound ? low - 1 : low
            var end = low
            while end < range.upperBound, pages[end].first == fingerprint { end += 1 }
            return start..<end
        }

        /// The block page that describes block `number`.
        package func blockPage(_ number: Int) -> Int? {
            let range = section(.blocks).pages
            var low = range.lowerBound
            var high = range.upperBound
            while low < high {
                let mid = (low + high) / 2
                if Int(pages[mid].first) <= number { low = mid + 1 } else { high = mid }
            }
            guard low > range.lowerBound else { return nil }
            let page = pages[low - 1]
            return number < Int(page.first) + page.count ? low - 1 : nil
        }
    }

    /// Checks a whole index file against the reference its manifest signs: its size, the directory's
    /// digest, every page's digest, and that every page decodes.
    @discardableResult
    package static func check(_ file: [UInt8], root: SHA256Digest, bytes expectedBytes: Int) throws(SegmentIndexError) -> Directory {
        guard file.count == expectedBytes else { throw SegmentIndexError("index file is \(file.count) bytes, the manifest signs \(expectedBytes)") }
        return try file.withUnsafeBytes { raw in Result { () throws(SegmentIndexError) -> Directory in
            let length = try Directory.announcedLength(raw)
            guard length <= raw.count else { throw SegmentIndexError("index file is shorter than its directory") }
            let directoryBytes = UnsafeRawBufferPointer(rebasing: raw[0..<length])
            guard SHA256.hash(directoryBytes) == root else { throw SegmentIndexError("index directory does not match the signed root") }
            let directory = try Directory(bytes: directoryBytes)
            guard directory.fileBytes == raw.count else { throw SegmentIndexError("index pages end at byte \(directory.fileBytes), the file at \(raw.count)") }
            for section in Section.allCases {
                for number in directory.section(section).pages {
                    let page = directory.pages[number]
                    let bytes = UnsafeRawBufferPointer(rebasing: raw[page.offset..<(page.offset + page.length)])
                    try checkPage(bytes, page)
                    if section == .blocks {
                        _ = try decodeBlocks(bytes, page)
                    } else {
                        try forEachEntry(bytes, page) { _, _ in true }
                    }
                }
            }
            return directory
        } }.get()
    }

    /// Checks a page against the directory's digest.
    package static func checkPage(_ bytes: UnsafeRawBufferPointer, _ page: Directory.Page) throws(SegmentIndexError) {
        guard bytes.count == page.length, SHA256.hash(bytes) == page.sha256 else {
            throw SegmentIndexError("index page at byte \(page.offset) does not match its digest in the directory")
        }
    }

    /// Decodes a block page (already checked against its digest).
    package static func decodeBlocks(_ bytes: UnsafeRawBufferPointer, _ page: Directory.Page) throws(SegmentIndexError) -> [Block] {
        guard bytes.count == page.count * SegmentIndex.blockEntryBytes else {
            throw SegmentIndexError("index block page at byte \(page.offset) has \(bytes.count) bytes for \(page.count) blocks")
        }
        var reader = ByteReader(bytes)
        var blocks: [Block] = []
        blocks.reserveCapacity(page.count)
        for _ in 0..<page.count {
            blocks.append(
                Block(
                    offset: Int(clamping: reader.u64()), length: Int(reader.u32()), count: Int(reader.u32()), firstSeq: reader.u64(),
                    minTimestamp: Int64(bitPattern: reader.u64()), maxTimestamp: Int64(bitPattern: reader.u64())
                )
            )
        }
        return blocks
    }

    /// Calls `body(fingerprint, block)` for each entry of a key page in order (already checked against
    /// its digest); `body` returns false to stop early.
    package static func forEachEntry(
        _ bytes: UnsafeRawBufferPointer, _ page: Directory.Page, _ body: (UInt32, Int) -> Bool
    ) throws(SegmentIndexError) {
        var reader = ByteReader(bytes)
        var fingerprint = UInt64(page.first)
        var block: UInt64 = 0
        for i in 0..<page.count {
            if i == 0 {
                block = try reader.varint()
            } else {
                let delta = try reader.varint()
                if delta == 0 {
                    block += try reader.varint() + 1
                } else {
                    fingerprint += delta
                    block = try reader.varint()
                }
            }
            guard fingerprint <= UInt64(UInt32.max), block <= UInt64(Int32.max) else {
                throw SegmentIndexError("index page at byte \(page.offset) holds an entry out of range")
            }
            if !body(UInt32(fingerprint), Int(block)) { return }
        }
        guard reader.isAtEnd else { throw SegmentIndexError("index page at byte \(page.offset) has bytes after its \(page.count) entries") }
    }
}
