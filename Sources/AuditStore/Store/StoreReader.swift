import AuditCompression
import AuditModel

/// Reads a store's records in order, without a lock, while a writer may be appending.
///
/// It reads what is on disk and says nothing about integrity: that is `auditq verify`'s job. In the
/// open segment it stops at the last complete line, so a tail being written is never half-read.
public struct StoreReader: Sendable {
    public let path: String
    let layout: StoreLayout
    let descriptor: StoreDescriptor

    public init(path: String) throws(AuditStoreError) {
        self.layout = StoreLayout(root: path)
        self.path = layout.root
        self.descriptor = try StoreDescriptor.load(layout)
    }

    public var storeID: String { descriptor.storeID }

    /// Segment numbers present, in order.
    public func segmentNumbers() throws(AuditStoreError) -> [UInt64] {
        try layout.inventory().filter { $0.value.contains(.segment) }.keys.sorted()
    }

    /// Calls `body` with each record's stored line (canonical JSON, no newline), in sequence order.
    public func forEachRecordLine(_ body: (ArraySlice<UInt8>) throws -> Void) throws {
        let numbers = try segmentNumbers()
        for number in numbers {
            let segmentPath = layout.current(number).segment
            let bytes = try FileSystem.readFile(segmentPath)
            // The newest segment of an older writer can be empty for a moment: it holds no record yet.
            if bytes.isEmpty, number == numbers.last, !FileSystem.exists(layout.manifest(number)) { continue }
            let end = try Self.forEachLine(of: bytes, segment: number, path: segmentPath, body)
            if case .unreadable(let offset, let reason) = end, FileSystem.exists(layout.manifest(number)) {
                throw AuditStoreError(.corrupt, "sealed segment \(number) is unreadable at byte \(offset): \(reason); run 'auditq verify'", path: segmentPath)
            }
        }
    }

    /// Calls `body` with each record line of segment `number` (sealed or open), in sequence order.
    /// For readers that need only recent records, such as the logging library's idempotency window.
    public func forEachRecordLine(inSegment number: UInt64, _ body: (ArraySlice<UInt8>) throws -> Void) throws {
        let segmentPath = layout.current(number).segment
        let bytes = try FileSystem.readFile(segmentPath)
        if bytes.isEmpty { return }
        _ = try Self.forEachLine(of: bytes, segment: number, path: segmentPath, body)
    }

    /// Reads a segment file's header, then calls `body` with each record line it can read; returns how
    /// the scan ended.
    private static func forEachLine(
        of bytes: [UInt8], segment number: UInt64, path: String, _ body: (ArraySlice<UInt8>) throws -> Void
    ) throws -> SegmentScanner.End? {
        var scanner = SegmentScanner(bytes: bytes)
        do {
            _ = try scanner.readHeader()
        } catch {
            throw AuditStoreError(.corrupt, "segment \(number): \(error)", path: path)
        }
        while let block = scanner.nextBlock() {
            for line in block.lines { try body(line) }
        }
        return scanner.end
    }

    /// The latest signed checkpoint's document, as stored.
    public func headDocument() throws(AuditStoreError) -> [UInt8]? {
        guard FileSystem.exists(layout.head) else { return nil }
        return try FileSystem.readFile(layout.head)
    }
}
