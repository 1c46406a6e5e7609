import AuditCrypto
import AuditStore

/// Restores sealed segments' indexes from the segments themselves (`auditq index rebuild`).
///
/// The index is a deterministic function of a segment's records, so a rebuilt index must hash to the
/// root its signed manifest records; one that does not is never installed (the segment or the manifest
/// was changed: a case for `auditq verify`). Needs no key and no writer lock: it only ever writes the
/// bytes the manifest already signs, atomically.
package struct IndexRebuilder: Sendable {
    package let layout: StoreLayout

    package enum Status: Sendable, Hashable {
        /// The index file matched its signed digest; left as it was.
        case intact
        /// The index was missing or damaged and has been rebuilt.
        case rebuilt
        /// The segment has no index to rebuild (open, or sealed before indexes).
        case notIndexed(String)
        /// The index could not be rebuilt to the signed digest.
        case failed(String)
    }

    package init(path: String) throws(QueryError) {
        layout = StoreLayout(root: path)
        guard FileSystem.exists(layout.descriptor) else { throw QueryError(.notAStore, "not an auditq store (no store.json)", path: layout.root) }
    }

    /// Rebuilds the index of `segment` (or of every sealed segment) when it is missing or damaged, or
    /// always when `force` is set.
    package func run(segment: UInt64? = nil, force: Bool = false, progress: (UInt64, Status) -> Void) throws(QueryError) {
        let inventory: [UInt64: Set<StoreLayout.FileKind>]
        do {
            inventory = try layout.inventory()
        } catch {
            throw QueryError(.io, "cannot list segments: \(error)", path: layout.segmentsDirectory)
        }
        let numbers = inventory.filter { $0.value.contains(.segment) }.keys.sorted()
        if let segment, !numbers.contains(segment) {
            throw QueryError(.invalidQuery, "the store has no segment \(segment) (it has \(numbers.first.map { "\($0)–\(numbers.last!)" } ?? "none"))", path: layout.root)
        }
        for number in numbers where segment == nil || number == segment {
            guard inventory[number]!.contains(.manifest) else {
                progress(number, .notIndexed("open: the writer indexes it when it seals it; lookups scan it until then"))
                continue
            }
            progress(number, try rebuild(number, force: force))
        }
    }

    func rebuild(_ number: UInt64, force: Bool) throws(QueryError) -> Status {
        let manifest: SegmentManifest
        do {
            manifest = try SegmentManifest(bytes: FileSystem.readFile(layout.manifest(number)))
        } catch {
            return .failed("the manifest is unreadable (\(error)); run 'auditq verify'")
        }
        guard var signed = manifest.index else { return .notIndexed("sealed before segments had indexes (manifest version 1): lookups scan it") }
        // A rewritten segment (erasure, expiry): its current files and index root are in the rewrite document.
        let current = layout.current(number)
        var expected = (bytes: manifest.segmentBytes, sha256: manifest.segmentSHA256)
        if let rewrite = current.rewrite {
            signed = rewrite.index
            expected = (rewrite.segmentBytes, rewrite.segmentSHA256)
        }
        guard signed.version == SegmentIndex.version else { return .failed("index format version \(signed.version) is not known to this build") }
        if !force, let existing = try? FileSystem.readFile(current.index), (try? SegmentIndex.check(existing, root: signed.root, bytes: signed.bytes)) != nil {
            return .intact
        }
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readFile(current.segment)
        } catch {
            throw QueryError(.io, "cannot read the segment: \(error)", path: current.segment)
        }
        guard bytes.count == expected.bytes, SHA256.hash(bytes) == expected.sha256 else {
            return .failed("the segment file does not match its signed manifest; the index was not rebuilt — run 'auditq verify'")
        }
        let encoded: SegmentIndex.Encoded
        do {
            encoded = try SegmentIndex.build(segmentBytes: bytes)
        } catch {
            return .failed("cannot index the segment: \(error)")
        }
        guard encoded.root == signed.root, encoded.bytes.count == signed.bytes else {
            return .failed("the rebuilt index does not match the digest the manifest signs; it was not installed — run 'auditq verify'")
        }
        do {
            try FileSystem.writeAtomically(encoded.bytes, to: current.index)
        } catch {
            throw QueryError(.io, "cannot write the index: \(error)", path: current.index)
        }
        return .rebuilt
    }
}
