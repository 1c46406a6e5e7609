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

    package static let segmentPrefix = "segment-"
    package static let segmentSuffix = ".jsonl.gz"
    package static let manifestSuffix = ".manifest.json"
    package static let signatureSuffix = ".manifest.sig"
    package static let indexSuffix = SegmentIndex.fileSuffix

    package static func baseName(_ number: UInt64) -> String {
        let digits = String(number)
        return segmentPrefix + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    package static func segmentFileName(_ number: UInt64) -> String { baseName(number) + segmentSuffix }

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
        guard name.hasPrefix(segmentPrefix) else { return nil }
        let rest = name.dropFirst(segmentPrefix.count)
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        guard digits.count >= 8, let number = UInt64(digits), number >= 1 else { return nil }
        switch rest.dropFirst(digits.count) {
        case Substring(segmentSuffix): return (number, .segment)
        case Substring(manifestSuffix): return (number, .manifest)
        case Substring(signatureSuffix): return (number, .signature)
        case Substring(indexSuffix): return (number, .index)
        default: return nil
        }
    }

    package enum FileKind: Sendable, Hashable {
        case segment
        case manifest
        case signature
        case index
    }

    /// The segment numbers present in the segments directory, sorted, with which files each has.
    package func inventory() throws(AuditStoreError) -> [UInt64: Set<FileKind>] {
        var result: [UInt64: Set<FileKind>] = [:]
        guard FileSystem.isDirectory(segmentsDirectory) else { return result }
        for name in try FileSystem.contents(of: segmentsDirectory) {
            guard let (number, kind) = StoreLayout.parse(fileName: name) else { continue }
            result[number, default: []].insert(kind)
        }
        return result
    }
}
