/// Where a store keeps its files. See `docs/formats.md` § Store layout.
///
/// ```
/// DIR/store.json                              store descriptor (format, store id, personal-data paths)
/// DIR/writer.lock                             held (flock) by the one writer
/// DIR/head.json                               latest signed checkpoint
/// DIR/segments/segment-00000001.jsonl.gz      segment: gzip members (header, then blocks of records)
/// DIR/segments/segment-00000001.manifest.json sealed segment's manifest (RFC 8785 bytes that are signed)
/// DIR/segments/segment-00000001.manifest.sig  Ed25519 signature over the manifest file (64 raw bytes)
/// DIR/segments/segment-00000001.index         sealed segment's lookup index (its digest is in the manifest)
/// DIR/segments/segment-00000001.rewrite.json  signed rewrite of a sealed segment (erasure, expiry)
/// DIR/segments/segment-00000001.g2.jsonl.gz   generation 2 of a rewritten segment (and .g2.index)
/// DIR/retention.json                          signed statement of the segments retention removed
/// DIR/erasures/                               stored erasure receipts
/// DIR/maintenance.lock, DIR/maintenance.json  held (flock) by an erasure or retention run; its journal
/// DIR/requests/                               requests to the running writer (seal, append)
/// ```
package struct StoreLayout: Sendable, Hashable {
    package let root: String

    package init(root: String) {
        var root = root
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        self.root = root
    }

    package var descriptor: String { FileSystem.join(root, "store.json") }
    package var lock: String { FileSystem.join(root, "writer.lock") }
    package var head: String { FileSystem.join(root, "head.json") }
    package var segmentsDirectory: String { FileSystem.join(root, "segments") }
    package var retentionState: String { FileSystem.join(root, "retention.json") }
    package var erasuresDirectory: String { FileSystem.join(root, "erasures") }
    package var maintenanceLock: String { FileSystem.join(root, "maintenance.lock") }
    package var maintenanceJournal: String { FileSystem.join(root, "maintenance.json") }
    package var requestsDirectory: String { FileSystem.join(root, "requests") }

    package static let segmentPrefix = "segment-"
    package static let segmentSuffix = ".jsonl.gz"
    package static let manifestSuffix = ".manifest.json"
    package static let signatureSuffix = ".manifest.sig"
    package static let indexSuffix = SegmentIndex.fileSuffix
    package static let rewriteSuffix = ".rewrite.json"

    package static func baseName(_ number: UInt64) -> String {
        let digits = String(number)
        return segmentPrefix + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    package static func segmentFileName(_ number: UInt64) -> String { baseName(number) + segmentSuffix }

    /// The segment file of a generation: generation 0 is the file the writer sealed, later generations
    /// are rewrites (`segment-00000001.g2.jsonl.gz`).
    package static func segmentFileName(_ number: UInt64, generation: Int) -> String {
        generation == 0 ? segmentFileName(number) : baseName(number) + ".g\(generation)" + segmentSuffix
    }

    package static func indexFileName(_ number: UInt64, generation: Int) -> String {
        generation == 0 ? SegmentIndex.fileName(number) : baseName(number) + ".g\(generation)" + indexSuffix
    }

    package func segment(_ number: UInt64, generation: Int) -> String {
        FileSystem.join(segmentsDirectory, StoreLayout.segmentFileName(number, generation: generation))
    }

    package func index(_ number: UInt64, generation: Int) -> String {
        FileSystem.join(segmentsDirectory, StoreLayout.indexFileName(number, generation: generation))
    }

    package func rewrite(_ number: UInt64) -> String {
        FileSystem.join(segmentsDirectory, StoreLayout.baseName(number) + StoreLayout.rewriteSuffix)
    }

    package func segment(_ number: UInt64) -> String {
        FileSystem.join(segmentsDirectory, StoreLayout.segmentFileName(number))
    }

    package func manifest(_ number: UInt64) -> String {
        FileSystem.join(segmentsDirectory, StoreLayout.baseName(number) + StoreLayout.manifestSuffix)
    }

    package func signature(_ number: UInt64) -> String {
        FileSystem.join(segmentsDirectory, StoreLayout.baseName(number) + StoreLayout.signatureSuffix)
    }

    package func index(_ number: UInt64) -> String {
        FileSystem.join(segmentsDirectory, SegmentIndex.fileName(number))
    }

    /// The segment number a file name belongs to, and which kind of file it is.
    package static func parse(fileName name: String) -> (number: UInt64, kind: FileKind)? {
        parseGeneration(fileName: name).map { ($0.number, $0.kind) }
    }

    /// The segment number, kind and generation (0 for the files a writer seals) of a file name.
    package static func parseGeneration(fileName name: String) -> (number: UInt64, kind: FileKind, generation: Int)? {
        guard name.hasPrefix(segmentPrefix) else { return nil }
        let rest = name.dropFirst(segmentPrefix.count)
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        guard digits.count >= 8, let number = UInt64(digits), number >= 1 else { return nil }
        var suffix = rest.dropFirst(digits.count)
        var generation = 0
        if suffix.hasPrefix(".g") {
            let genDigits = suffix.dropFirst(2).prefix { $0.isASCII && $0.isNumber }
            guard !genDigits.isEmpty, genDigits.count <= 9, genDigits.first != "0", let g = Int(genDigits) else { return nil }
            generation = g
            suffix = suffix.dropFirst(2 + genDigits.count)
            guard suffix == Substring(segmentSuffix) || suffix == Substring(indexSuffix) else { return nil }
        }
        switch suffix {
        case Substring(segmentSuffix): return (number, .segment, generation)
        case Substring(manifestSuffix): return (number, .manifest, 0)
        case Substring(signatureSuffix): return (number, .signature, 0)
        case Substring(indexSuffix): return (number, .index, generation)
        case Substring(rewriteSuffix): return (number, .rewrite, 0)
        default: return nil
        }
    }

    package enum FileKind: Sendable, Hashable {
        case segment
        case manifest
        case signature
        case index
        /// `segment-N.rewrite.json`: the segment was rewritten; its current files are a later generation.
        case rewrite
    }

    /// The segment numbers present in the segments directory, sorted, with which files each has. A
    /// segment or index counts as present when any generation of it is.
    ///
    /// - Parameter includingRemoved: also list segments that retention removed but whose files an
    ///   interrupted run left behind (below the retention state's first segment); only verification
    ///   wants them, to report them.
    package func inventory(includingRemoved: Bool = false) throws(AuditStoreError) -> [UInt64: Set<FileKind>] {
        var result: [UInt64: Set<FileKind>] = [:]
        guard FileSystem.isDirectory(segmentsDirectory) else { return result }
        let first = includingRemoved ? 1 : firstSegment
        for name in try FileSystem.contents(of: segmentsDirectory) {
            guard let (number, kind) = StoreLayout.parse(fileName: name), number >= first else { continue }
            result[number, default: []].insert(kind)
        }
        return result
    }

    /// The retention state, when retention has removed segments and it reads (read, not verified:
    /// `auditq verify` checks its signature).
    package var unverifiedRetentionState: RetentionState? {
        guard FileSystem.exists(retentionState), let bytes = try? FileSystem.readFile(retentionState) else { return nil }
        return try? RetentionState(bytes: bytes)
    }

    /// The oldest segment the store still has: 1, or the retention state's first segment (read, not
    /// verified).
    package var firstSegment: UInt64 {
        unverifiedRetentionState?.firstSegment ?? 1
    }

    /// The files that hold a sealed segment's records and index now: generation 0, or the generation
    /// its rewrite document names. The document is read, not verified (`auditq verify` does that);
    /// an unreadable one leaves generation 0.
    package func current(_ number: UInt64) -> (segment: String, index: String, rewrite: SegmentRewrite?) {
        let path = rewrite(number)
        guard FileSystem.exists(path), let bytes = try? FileSystem.readFile(path), let document = try? SegmentRewrite(bytes: bytes),
            document.segment == number
        else {
            return (segment(number), index(number), nil)
        }
        return (segment(number, generation: document.generation), index(number, generation: document.generation), document)
    }
}
