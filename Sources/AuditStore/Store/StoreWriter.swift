import AuditCompression
import AuditCrypto
import AuditModel
import Dispatch

/// The one writer of a store: assigns sequence numbers, chains and commits records, compresses them
/// into segments, makes them durable, seals segments and signs checkpoints.
///
/// Appending is split in two so both cores work: ``append(_:redaction:)`` does the logical part on the
/// caller's thread (sequence number, encoding) and queues the canonical line; records are hashed in
/// groups of up to ``hashGroupSize`` (salted commitments, record digests and Merkle leaves through one
/// ``SHA256Batch`` each, then the chain and the tree in order), by the appender once a group is full or
/// by the flusher when it takes the queue. The flusher thread compresses, writes, fsyncs and
/// acknowledges. A record is *durable* once ``durableSeq`` reaches its sequence number (see
/// ``Durability``).
///
/// `@unchecked Sendable`: logical state lives in `state` (a mutex with a condition); the physical state
/// (file, deflater, blocks, hashers) is touched only by the flusher thread, or by `open`/`close` while
/// no flusher runs.
public final class StoreWriter: @unchecked Sendable {
    /// When an append is acknowledged, and so what a crash can lose.
    public enum Durability: String, Sendable, CaseIterable {
        /// `fsync` after every record: nothing acknowledged is lost; slowest (one fsync per event).
        case fsyncEachEvent = "fsync"
        /// Records queued while an `fsync` runs share the next one; an append is acknowledged only after
        /// the `fsync` that covers it. Nothing acknowledged is lost. The default.
        case groupCommit = "group"
        /// Acknowledged once handed to the kernel, `fsync`ed only before checkpoints and seals. A power
        /// loss can lose acknowledged records: **unsafe for audit**, for benchmarks and scratch stores.
        case osBuffered = "buffered"
    }

    /// The largest `segmentMaxBytes`: verification and lookups read a segment file whole, so the
    /// segment size bounds their memory (one segment per core).
    public static let maxSegmentBytes = 1 << 30

    public struct Configuration: Sendable {
        /// Seal the open segment after this many records.
        public var segmentMaxEvents: Int = 1_000_000
        /// Seal the open segment once its file reaches this many bytes (at most ``maxSegmentBytes``).
        public var segmentMaxBytes: Int = 64 << 20
        /// Seal the open segment once it is this many seconds old.
        public var segmentMaxAge: Double = 3600
        /// Finish a gzip member (a randomly readable block) after this many uncompressed bytes.
        public var blockBytes: Int = 256 << 10
        /// A group commit whose records start a block and hold at least this many bytes (but less than
        /// ``blockBytes``) writes them as a block of their own, compressed in one call, instead of
        /// streaming them into a block that later group commits continue; a block that smaller group
        /// commits were streaming ends before them. One call (libdeflate) costs about half of
        /// streaming (zlib) at the same level; a shorter block compresses a little worse.
        public var shortBlockMinimumBytes: Int = 64 << 10
        /// zlib level, 1 (fastest) to 9 (smallest).
        public var compressionLevel: Int32 = 6
        public var durability: Durability = .groupCommit
        /// Sign a checkpoint at least this often (seconds) while records arrive.
        public var checkpointInterval: Double = 1
        /// Sign a checkpoint this often (seconds) while idle, to show the writer is alive.
        public var idleCheckpointInterval: Double = 60
        /// Group commit gathers records for up to this many seconds (or 64 KiB) before one write and fsync,
        /// trading a little latency for fewer fsyncs and better compression.
        public var groupCommitWindow: Double = 0.002
        /// Appends wait while this many bytes are queued for the flusher (backpressure).
        public var maxQueuedBytes: Int = 32 << 20
        /// The longest record line accepted, in bytes; a longer one is refused with `.invalidEvent` and
        /// takes no sequence number. At most (and by default) ``Record/maxRecordBytes``, what every
        /// reader of the store accepts, so every stored record can be read back.
        public var maxRecordBytes: Int = Record.maxRecordBytes
        /// How often the writer looks for requests from erasure and retention runs (`DIR/requests/`).
        public var requestPollInterval: Double = 0.2
        /// Event paths committed with salts when a new store is created (existing stores keep theirs).
        public var personalDataPaths: [String] = StoreDescriptor.defaultPersonalDataPaths
        /// Called on the flusher thread with the duration (seconds) of each fsync that acknowledges
        /// records, for metrics. Must be quick and must not append to this writer.
        public var fsyncObserver: (@Sendable (Double) -> Void)?
        /// Seal the open segment once it holds records for this many blocks, so that its manifest (about
        /// 130 bytes per block) stays well within what readers parse (16 MiB). Only small `blockBytes`
        /// reach it: at the default, 65,536 blocks are 16 GiB of records.
        package var maxBlocksPerSegment = 65_536

        public init() {}

        func validate() throws(AuditStoreError) {
            guard (1...SaltTree.capacity).contains(segmentMaxEvents) else {
                throw AuditStoreError(.configuration, "segment max events must be from 1 to \(SaltTree.capacity)")
            }
            guard (4096...StoreWriter.maxSegmentBytes).contains(segmentMaxBytes) else {
                throw AuditStoreError(.configuration, "segment max bytes must be from 4096 to \(StoreWriter.maxSegmentBytes)")
            }
            guard segmentMaxAge > 0 else { throw AuditStoreError(.configuration, "segment max age must be positive") }
            guard (1...9).contains(compressionLevel) else { throw AuditStoreError(.configuration, "compression level must be 1 to 9") }
            // A block ends after the record that takes it past `blockBytes`, and readers inflate at most
            // `SegmentScanner.maxBlockBytes` of one.
            guard (1024...(SegmentScanner.maxBlockBytes - Record.maxRecordBytes)).contains(blockBytes) else {
                throw AuditStoreError(.configuration, "block size must be from 1024 to \(SegmentScanner.maxBlockBytes - Record.maxRecordBytes) bytes")
            }
            guard shortBlockMinimumBytes >= 1024 else {
                throw AuditStoreError(.configuration, "short block minimum must be at least 1024 bytes")
            }
            guard (1...Record.maxRecordBytes).contains(maxRecordBytes) else {
                throw AuditStoreError(.configuration, "max record bytes must be from 1 to \(Record.maxRecordBytes)")
            }
        }
    }

    /// What a crash recovery at open found and did; nil when the store was closed cleanly.
    public struct Recovery: Sendable, Hashable {
        public var segment: UInt64
        public var recoveredThroughSeq: UInt64
        /// Bytes from the start of the unfinished last member to the end of the file, rewritten as one
        /// complete member holding the recovered records.
        public var rewrittenTailBytes: Int
        /// Bytes of records that were cut or unreadable (never acknowledged), dropped.
        public var discardedPartialRecordBytes: Int
        /// Sequence number of the record that documents the recovery in the chain.
        public var recordSeq: UInt64
    }

    // MARK: - Logical state (under `state`)

    struct OpenSegment {
        var header: SegmentHeader
        var deriver: SaltTree.SequentialDeriver
        var count = 0
        /// Uncompressed record bytes appended to the segment (by this writer).
        var recordBytes = 0
        var merkle = MerkleTree.Builder()
        var firstTimestamp: Timestamp?
        var lastTimestamp: Timestamp?
        var minTimestamp: Timestamp?
        var maxTimestamp: Timestamp?
        var openedAt: Double

        init(header: SegmentHeader, rootKey: SHA256Digest, openedAt: Double) {
            self.header = header
            self.deriver = SaltTree.SequentialDeriver(rootKey: rootKey)
            self.openedAt = openedAt
        }

        mutating func note(_ ts: Timestamp) {
            if firstTimestamp == nil { firstTimestamp = ts }
            lastTimestamp = ts
            minTimestamp = min(minTimestamp ?? ts, ts)
            maxTimestamp = max(maxTimestamp ?? ts, ts)
        }
    }

    struct SealInfo {
        var segment: UInt64
        var firstSeq: UInt64
        var lastSeq: UInt64
        var count: Int
        var firstTimestamp: Timestamp?
        var lastTimestamp: Timestamp?
        var minTimestamp: Timestamp?
        var maxTimestamp: Timestamp?
        var prevHash: SHA256Digest
        var chainHead: SHA256Digest
        var merkleRoot: SHA256Digest
    }

    enum Pending {
        case records(QueuedRecords)
        case seal(SealInfo, next: SegmentHeader?)
    }

    /// Consecutive records hashed and chained together (``hashUnhashed(_:)``), for the flusher.
    struct QueuedRecords {
        /// The first record's sequence number; record `i` has `firstSeq + i`.
        var firstSeq: UInt64
        /// The records' lines, each followed by its newline.
        var group: Record.Group
        var keys: [SegmentIndex.RecordKeys]
        /// The chain head after each record.
        var chainHeads: [SHA256Digest]

        var count: Int { group.count }

        /// Where record `i` is in the group's bytes, with its newline.
        func bytes(_ i: Int) -> Range<Int> {
            let line = group.entries[i].line
            return line.lowerBound..<line.upperBound + 1
        }

        /// Where records `range` are in the group's bytes, each with its newline.
        func bytes(_ range: Range<Int>) -> Range<Int> {
            bytes(range.lowerBound).lowerBound..<bytes(range.upperBound - 1).upperBound
        }
    }

    /// Records are hashed once this many wait (or sooner, when the flusher takes the queue or the
    /// segment is sealed): enough to fill the lanes of a multi-buffer SHA-256 twice.
    package static let hashGroupSize = 32

    struct State {
        var nextSeq: UInt64
        var chainHead: SHA256Digest
        var segment: OpenSegment
        var queue: [Pending] = []
        /// The flusher's last batch, done with: the next append takes it and frees it outside the lock,
        /// on the thread that allocated its record lines. glibc's allocator makes a thread that frees
        /// another thread's allocations wait for that thread's arena lock; the flusher freeing the
        /// writer's lines waited hundreds of times per 200,000 records.
        var spent: [Pending] = []
        /// Records appended after those in `queue`, numbered from `unhashedFirstSeq`, with their index
        /// keys; not yet hashed or chained. They count in `queuedBytes`.
        var unhashed = Record.Group()
        var unhashedKeys: [SegmentIndex.RecordKeys] = []
        var unhashedFirstSeq: UInt64 = 0
        var hasher = Record.Hasher()
        /// The leaf keys of the records being hashed, and their batch (``SaltTree/SequentialDeriver/leafKeys(_:batch:into:)``).
        var leafKeys: [SHA256Digest] = []
        var leafKeyBatch = SHA256Batch()
        var queuedBytes = 0
        /// The average line (with its newline) of the last group hashed, to size the next group's buffer.
        var typicalLineBytes = 1024
        /// Uncompressed record bytes appended since open (for metrics).
        var appendedBytes: UInt64 = 0
        var durableSeq: UInt64
        /// Size of the open segment file as last written by the flusher (for rotation by size).
        var segmentFileBytes = 0
        var failure: AuditStoreError?
        /// After a failure: the segment file was cut back to the last acknowledged record, so it holds
        /// no record beyond `durableSeq`.
        var unacknowledgedTailRemoved = false
        /// When the oldest queued record was queued (for the group-commit window).
        var firstQueuedAt = 0.0
        /// The flusher is waiting for work; appenders wake it only then.
        var flusherWaiting = false
        var closing = false
        var abandoned = false
        var flusherFinished = false
    }

    let state: Condition<State>

    // MARK: - Configuration

    public let layout: String
    let storeLayout: StoreLayout
    let descriptor: StoreDescriptor
    /// The store's personal-data paths, sorted, split into components once.
    let personalData: [(path: String, components: [String])]
    let personalDataMarks: CanonicalJSON.PathMarks
    let personalDataPlan: Record.PersonalDataPlan
    let key: SigningKey
    public let configuration: Configuration
    private let lock: StoreLock
    private let flusherDone = DispatchSemaphore(value: 0)
    public internal(set) var recovery: Recovery?
    var startupNotes: [StartupNote]

    // MARK: - Physical state (flusher thread only)

    var file: SystemFile
    var deflater: GzipDeflater
    var fileBytes: Int
    /// The open segment file's length at the last acknowledgement (or its header, when none yet): what
    /// a failed write or fsync cuts the file back to (``rollBackUnacknowledgedTail()``).
    var acknowledgedFileBytes: Int
    var fileHasher: SHA256
    var blocks: [SegmentManifest.Block]
    var memberFirstSeq: UInt64?
    var memberCount = 0
    var memberChainHead = SHA256Digest.zero
    var memberStart: Int
    var prevManifestSHA256: SHA256Digest?
    /// The open segment's index keys, block by block; nil when the segment holds records this writer did
    /// not write (recovered after a crash), in which case the index is built from the file at seal.
    var indexBuilder: SegmentIndex.Builder?
    var durableChainHead: SHA256Digest
    var durableSeqPhysical: UInt64
    var checkpointedSeq: UInt64
    var lastCheckpointAt: Double
    var currentSegmentNumber: UInt64
    var pendingDurable: (seq: UInt64, chainHead: SHA256Digest)?
    var checkpointSegment: UInt64
    var checkpointSegmentBytes: Int
    var checkpointSealed: Bool
    var segmentHasRecords: Bool
    var segmentClosed = false
    /// A batch's compressed bytes before they are written, and a whole block's records before they are
    /// compressed: kept from batch to batch (allocated afresh, their pages were faulted in each time).
    var flushBuffer: [UInt8] = []
    var blockBuffer: [UInt8] = []

    /// The prefix of the ids this store assigns (``Record/AssignedID``).
    private let idPrefix: [UInt8]

    /// The store's id.
    public var storeID: String { descriptor.storeID }

    /// Opens (or creates) the store at `path` for writing, recovering from a crash if needed.
    ///
    /// - Throws: ``AuditStoreError`` with code `.locked` if another process writes the store,
    ///   `.tampered` if data covered by the last signed checkpoint is missing or altered (the writer
    ///   will not touch such a store: run `auditq verify`), `.io` for file system errors.
    public init(path: String, key: SigningKey, configuration: Configuration = Configuration()) throws(AuditStoreError) {
        try configuration.validate()
        let layout = StoreLayout(root: path)
        if FileSystem.exists(layout.root), !FileSystem.isDirectory(layout.root) {
            throw AuditStoreError(.notAStore, "not a directory; a store is a directory (give a new or existing store directory)", path: layout.root)
        }
        if !FileSystem.isDirectory(layout.root) {
            try FileSystem.createDirectory(layout.root)
        }
        let lock = try StoreLock(layout: layout)
        do throws(AuditStoreError) {
            let descriptor: StoreDescriptor
            if FileSystem.exists(layout.descriptor) {
                descriptor = try StoreDescriptor.load(layout)
            } else {
                // A writer killed while creating the store leaves only its lock and temporary files.
                let existing = try FileSystem.contents(of: layout.root).filter { $0 != "writer.lock" && !$0.hasSuffix(".tmp") }
                guard existing.isEmpty else {
                    throw AuditStoreError(.notAStore, "directory is not empty and has no store.json; refusing to create a store in it", path: layout.root)
                }
                descriptor = StoreDescriptor.new(personalDataPaths: configuration.personalDataPaths)
                try FileSystem.writeAtomically(CanonicalJSON.encode(descriptor.json) + [0x0A], to: layout.descriptor)
                try FileSystem.createDirectory(layout.segmentsDirectory)
            }
            try FileSystem.createDirectory(layout.segmentsDirectory)
            let opened = try StoreWriter.openOrRecover(layout: layout, descriptor: descriptor, key: key, configuration: configuration)
            self.storeLayout = layout
            self.layout = layout.root
            self.descriptor = descriptor
            self.idPrefix = Record.AssignedID.prefix(storeID: descriptor.storeID)
            self.personalData = descriptor.personalDataPaths.sorted().map { ($0, $0.split(separator: ".", omittingEmptySubsequences: false).map(String.init)) }
            self.personalDataMarks = CanonicalJSON.PathMarks(personalData.map(\.components))
            self.personalDataPlan = Record.PersonalDataPlan(personalData)
            self.key = key
            self.configuration = configuration
            self.lock = lock
            self.state = Condition(opened.state)
            self.file = opened.file
            self.deflater = opened.deflater
            self.fileBytes = opened.fileBytes
            self.acknowledgedFileBytes = opened.fileBytes
            self.fileHasher = opened.fileHasher
            self.blocks = opened.blocks
            self.memberStart = opened.fileBytes
            self.prevManifestSHA256 = opened.prevManifestSHA256
            self.indexBuilder = opened.segmentHasRecords ? nil : SegmentIndex.Builder()
            self.durableChainHead = opened.state.chainHead
            self.durableSeqPhysical = opened.state.durableSeq
            self.checkpointedSeq = opened.checkpointedSeq
            self.lastCheckpointAt = monotonicSeconds()
            self.currentSegmentNumber = opened.state.segment.header.segment
            self.checkpointSegment = opened.checkpointSegment
            self.checkpointSegmentBytes = opened.checkpointSegmentBytes
            self.checkpointSealed = opened.checkpointSealed
            self.segmentHasRecords = opened.segmentHasRecords
            self.startupNotes = opened.notes
        } catch {
            lock.release()
            throw error
        }
        // Mark the store as being written: if this writer dies, the next one sees a checkpoint that is
        // not a clean shutdown and records the recovery, whatever the crash left behind.
        if durableSeqPhysical > 0 {
            do throws(AuditStoreError) {
                try writeCheckpoint(clean: false)
            } catch {
                try? file.close()
                lock.release()
                throw error
            }
        }
        DispatchQueue(label: "auditq.flusher").async { [self] in
            flusherLoop()
            flusherDone.signal()
        }
        // Holds the writer only while serving, so a writer that is dropped without close still deinits.
        DispatchQueue(label: "auditq.requests").async { [weak self] in
            while let writer = self, writer.serveRequests() {}
        }
        try appendStartupRecords()
    }

    deinit {
        lock.release()
    }

    // MARK: - Appending

    /// Appends an event that has passed validation and redaction; returns its sequence number.
    ///
    /// Returns once the record is numbered and queued (it is chained with the records around it before
    /// it is written), *not* once it is durable: call
    /// ``waitUntilDurable(_:)`` (or use ``appendDurably(_:redaction:)``) before acknowledging it to
    /// anyone. Blocks while the flusher is more than ``Configuration/maxQueuedBytes`` behind.
    @discardableResult
    public func append(_ event: AuditEvent, redaction: JSONValue? = nil) throws(AuditStoreError) -> UInt64 {
        // Fingerprinted here, outside the lock, so the index costs the flusher only an array append.
        let keys = SegmentIndex.RecordKeys(event: event.fields, timestamp: event.timestamp.microsecondsSinceEpoch)
        let hasID = event.fields[AuditEvent.Field.id] != nil
        return try append(timestamp: event.timestamp, keys: keys) { seq, group in
            // As `event.assignID`, but spliced in while encoding: inserting would copy the event's members.
            Record.encode(
                seq: seq, event: event.fields, assignedID: hasID ? nil : assignedID(seq).description,
                personalData: personalData, marks: personalDataMarks, redaction: redaction, into: &group
            )
        }
    }

    /// Appends an event its producer encoded canonically (RFC 8785, exactly as ``CanonicalJSON`` writes
    /// it) after validating and redacting it: the fast paths of the log handler and of ingest, which
    /// never build the event's tree. The record is the one ``append(_:redaction:)`` writes for the
    /// parsed event (an event without an `id` gets the store's).
    ///
    /// - Parameters:
    ///   - timestamp: the event's `ts`, which the bytes hold in its normalised form.
    ///   - members: the event's top-level members, when its writer knows them
    ///     (``RawEvent/init(members:)``); found by scanning the bytes otherwise.
    @discardableResult
    package func append(canonicalEvent event: [UInt8], timestamp: Timestamp, members known: RawEvent? = nil, redaction: JSONValue? = nil) throws(AuditStoreError) -> UInt64 {
        guard event.count < configuration.maxRecordBytes else {
            throw AuditStoreError(.invalidEvent, "the event is \(event.count) bytes, so its record is over the limit of \(configuration.maxRecordBytes) bytes; it was not stored", path: storeLayout.root)
        }
        let parser = JSONParser(limits: .init(maxDepth: 1024, maxBytes: configuration.maxRecordBytes))
        assert(known == nil || event.withUnsafeBytes { bytes in
            RawEvent(line: bytes, event: 0..<bytes.count).map { $0.members.elementsEqual(known!.members) { $0 == $1 } } ?? false
        }, "the members given are not the event's")
        let found: (members: RawEvent, hasID: Bool, keys: SegmentIndex.RecordKeys?)? = event.withUnsafeBytes { bytes in
            guard let members = known ?? RawEvent(line: bytes, event: 0..<bytes.count) else { return nil }
            let hasID: Bool
            if case .absent = members.fieldBytes(AuditEvent.Field.id, line: bytes) { hasID = false } else { hasID = true }
            return (members, hasID, SegmentIndex.RecordKeys(rawLine: bytes, members: members, timestamp: timestamp.microsecondsSinceEpoch))
        }
        guard let found else {
            throw AuditStoreError(.invalidEvent, "a pre-encoded event must be a canonical JSON object; it was not stored", path: storeLayout.root)
        }
        // An index key with escapes is read as the record model reads it.
        guard let keys = found.keys ?? (try? parser.parse(event).objectValue).map({ SegmentIndex.RecordKeys(event: $0, timestamp: timestamp.microsecondsSinceEpoch) }) else {
            throw AuditStoreError(.invalidEvent, "a pre-encoded event is not valid JSON; it was not stored", path: storeLayout.root)
        }
        // The producer's side of the contract, checked in debug builds (every test run): the bytes are
        // exactly the canonical encoding of the event they hold.
        assert((try? parser.parse(event)).map(CanonicalJSON.encode) == event, "a pre-encoded event is not canonical")
        return try append(timestamp: timestamp, keys: keys) { seq, group in
            event.withUnsafeBytes { bytes in
                Record.encode(
                    seq: seq, canonicalEvent: bytes, members: found.members, assignedID: found.hasID ? nil : assignedID(seq),
                    personalData: personalDataPlan, redaction: redaction, into: &group
                )
            }
        }
    }

    /// Numbers, encodes and queues one record under the lock, to be hashed and chained with the records
    /// around it (``hashUnhashed(_:)``); `encode` gets the sequence number and appends the record to
    /// the group waiting to be hashed.
    private func append(
        timestamp: Timestamp, keys: SegmentIndex.RecordKeys, encode: (UInt64, inout Record.Group) -> Void
    ) throws(AuditStoreError) -> UInt64 {
        let maxQueued = configuration.maxQueuedBytes
        var wake = false
        // Freed when this function returns, outside the lock (``State/spent``).
        var spent: [Pending] = []
        let result: Result<UInt64, AuditStoreError> = state.wait(
            until: { $0.queuedBytes < maxQueued || $0.failure != nil || $0.closing },
            timeout: nil
        ) { s in
            if !s.spent.isEmpty { swap(&spent, &s.spent) }
            if let failure = s.failure { return .failure(failure) }
            if s.closing { return .failure(AuditStoreError(.closed, "the writer is closed", path: storeLayout.root)) }
            if shouldRotate(s) { rotate(&s) }
            let seq = s.nextSeq
            let wasEmpty = s.queue.isEmpty && s.unhashed.isEmpty
            if s.unhashed.isEmpty {
                s.unhashedFirstSeq = seq
                // Room for a whole group, so that its buffers do not grow record by record; capped, so
                // that a group of large records does not make the next (a group commit may take it
                // with one record) hold megabytes it does not use.
                let records = configuration.durability == .fsyncEachEvent ? 1 : Self.hashGroupSize
                s.unhashed.reserveCapacity(records: records, lineBytes: min(s.typicalLineBytes, 2048))
                s.unhashedKeys.reserveCapacity(records)
            }
            encode(seq, &s.unhashed)
            let lineLength = s.unhashed.entries[s.unhashed.count - 1].line.count
            guard lineLength <= configuration.maxRecordBytes else {
                s.unhashed.removeLast()
                return .failure(AuditStoreError(.invalidEvent, "the event's record is \(lineLength) bytes, over the limit of \(configuration.maxRecordBytes) bytes; it was not stored", path: storeLayout.root))
            }
            s.segment.count += 1
            s.segment.note(timestamp)
            let lineBytes = lineLength + 1  // and its newline
            s.segment.recordBytes += lineBytes
            if wasEmpty { s.firstQueuedAt = monotonicSeconds() }
            s.queuedBytes += lineBytes
            s.appendedBytes &+= UInt64(lineBytes)
            // The leaf key is derived with the group's (``hashUnhashed(_:)``).
            s.unhashedKeys.append(keys)
            s.nextSeq += 1
            if s.unhashed.count >= Self.hashGroupSize || configuration.durability == .fsyncEachEvent { hashUnhashed(&s) }
            // Wake the flusher only when it must act: to start its group-commit timer, or for a full batch.
            wake = s.flusherWaiting && (wasEmpty || s.queuedBytes >= 64 << 10 || configuration.durability == .fsyncEachEvent)
            return .success(seq)
        }
        if wake { state.broadcast() }
        return try result.get()
    }

    /// Appends and waits until the record is durable under the configured ``Durability``.
    @discardableResult
    public func appendDurably(_ event: AuditEvent, redaction: JSONValue? = nil) throws(AuditStoreError) -> UInt64 {
        let seq = try append(event, redaction: redaction)
        try waitUntilDurable(seq)
        return seq
    }

    /// Waits until every record up to `seq` is durable, or the writer failed.
    public func waitUntilDurable(_ seq: UInt64) throws(AuditStoreError) {
        let failure: AuditStoreError? = state.wait(
            until: { $0.durableSeq >= seq || $0.failure != nil || $0.flusherFinished },
            timeout: nil
        ) { s in
            if s.durableSeq >= seq { return nil }
            return s.failure ?? AuditStoreError(.closed, "the writer closed before record \(seq) was durable", path: storeLayout.root)
        }
        if let failure { throw failure }
    }

    /// Waits until the durable sequence number passes `seq` (or `timeout` seconds pass, or the writer
    /// stops) and returns it. For reporting acknowledgements as they happen.
    public func waitForDurable(beyond seq: UInt64, timeout: Double) -> UInt64 {
        state.wait(until: { $0.durableSeq > seq || $0.flusherFinished || $0.failure != nil }, timeout: timeout) { $0.durableSeq }
    }

    /// Why the writer stopped accepting records, if it failed (for waiters that must not wait on).
    package var failure: AuditStoreError? {
        state.withLock { $0.failure }
    }

    /// True when the writer failed and then cut its segment file back to the last acknowledged record:
    /// the store then holds exactly the records through ``durableSeq`` (until something else appends).
    /// False while it runs, or when the failure left the file as it was (reopening then runs crash
    /// recovery, which may keep records that were written but never acknowledged).
    public var storeEndsAtDurableSeq: Bool {
        state.withLock { $0.failure != nil && $0.unacknowledgedTailRemoved }
    }

    /// True once the flusher has stopped (closed, failed or abandoned): nothing more becomes durable.
    package var flusherStopped: Bool {
        state.withLock { $0.flusherFinished }
    }

    /// The highest sequence number that is durable.
    public var durableSeq: UInt64 {
        state.withLock { $0.durableSeq }
    }

    /// Uncompressed bytes of the records appended since the writer opened (for metrics).
    public var appendedBytes: UInt64 {
        state.withLock { $0.appendedBytes }
    }

    /// The sequence number the next record will get.
    public var nextSeq: UInt64 {
        state.withLock { $0.nextSeq }
    }

    /// Seals the open segment now (if it holds records) and starts a new one.
    public func rotate() throws(AuditStoreError) {
        let failure: AuditStoreError? = state.withLock { s in
            if let f = s.failure { return f }
            if s.segment.count > 0 { rotate(&s) }
            return nil
        }
        if let failure { throw failure }
        state.broadcast()
    }

    /// Writes everything queued, seals the open segment, signs a final checkpoint marked as a clean
    /// shutdown and releases the lock. Further appends fail with `.closed`.
    public func close() throws(AuditStoreError) {
        let alreadyClosing = state.withLock { s -> Bool in
            if s.closing { return true }
            if s.failure == nil, s.segment.count > 0 {
                hashUnhashed(&s)
                s.queue.append(.seal(sealInfo(s), next: nil))
            }
            s.closing = true
            return false
        }
        state.broadcast()
        if !alreadyClosing {
            flusherDone.wait()
            lock.release()
        }
        if let failure = state.withLock({ $0.failure }) { throw failure }
    }

    /// The id of an event that arrived without one (``Record/AssignedID``).
    func assignedID(_ seq: UInt64) -> Record.AssignedID {
        Record.AssignedID(prefix: idPrefix, seq: seq)
    }

    /// Stops like a killed process would after its last fsync: everything queued is written and made
    /// durable, but the segment is not sealed and no clean-shutdown checkpoint is written. For tests.
    package func simulateCrash() {
        let last = state.withLock { $0.nextSeq - 1 }
        try? waitUntilDurable(last)
        state.withLock { s in
            s.abandoned = true
            s.closing = true
        }
        state.broadcast()
        flusherDone.wait()
        try? file.close()
        lock.release()
    }

    /// Stops like a writer whose disk filled up: `failure` is set, every later append fails, and the
    /// flusher stops after the batch it holds. For tests of what callers do with a failed writer.
    package func simulateFailure(_ failure: AuditStoreError) {
        state.withLock { s in
            s.failure = s.failure ?? failure
            s.abandoned = true
        }
        state.broadcast()
    }

    // MARK: - Rotation (under `state`)

    private func shouldRotate(_ s: State) -> Bool {
        guard s.segment.count > 0 else { return false }
        return s.segment.count >= configuration.segmentMaxEvents
            || s.segmentFileBytes >= configuration.segmentMaxBytes
            || s.segment.recordBytes >= configuration.blockBytes * configuration.maxBlocksPerSegment
            || monotonicSeconds() - s.segment.openedAt >= configuration.segmentMaxAge
    }

    /// Hashes the records waiting in `unhashed` together, then chains them, adds them to the Merkle tree
    /// and queues them for the flusher, in sequence order.
    func hashUnhashed(_ s: inout State) {
        guard !s.unhashed.isEmpty else { return }
        let group = s.unhashed
        let keys = s.unhashedKeys
        s.unhashed = Record.Group()
        s.unhashedKeys = []
        s.typicalLineBytes = group.bytes.count / group.count
        // The group's sequence numbers are consecutive, in the open segment (a seal hashes first).
        let firstLeaf = Int(s.unhashedFirstSeq - s.segment.header.firstSeq)
        let derived = s.segment.deriver.leafKeys(firstLeaf..<firstLeaf + group.count, batch: &s.leafKeyBatch, into: &s.leafKeys)
        precondition(derived, "the writer's salt tree has every leaf up to its capacity")
        s.hasher.hash(group, leafKeys: s.leafKeys, paths: personalDataPlan.pathBytes)
        var chainHeads: [SHA256Digest] = []
        chainHeads.reserveCapacity(group.count)
        for i in 0..<group.count {
            s.chainHead = Chain.next(previous: s.chainHead, recordDigest: s.hasher.digests[i])
            s.segment.merkle.append(leafHash: s.hasher.leafHashes[i])
            chainHeads.append(s.chainHead)
        }
        s.queue.append(.records(QueuedRecords(firstSeq: s.unhashedFirstSeq, group: group, keys: keys, chainHeads: chainHeads)))
    }

    /// What the seal of the open segment signs; every record appended must be hashed first.
    func sealInfo(_ s: State) -> SealInfo {
        precondition(s.unhashed.isEmpty, "sealing a segment with records not yet hashed")
        return SealInfo(
            segment: s.segment.header.segment,
            firstSeq: s.segment.header.firstSeq,
            lastSeq: s.nextSeq - 1,
            count: s.segment.count,
            firstTimestamp: s.segment.firstTimestamp,
            lastTimestamp: s.segment.lastTimestamp,
            minTimestamp: s.segment.minTimestamp,
            maxTimestamp: s.segment.maxTimestamp,
            prevHash: s.segment.header.prevHash,
            chainHead: s.chainHead,
            merkleRoot: s.segment.merkle.root
        )
    }

    func rotate(_ s: inout State) {
        hashUnhashed(&s)
        let info = sealInfo(s)
        let rootKey = SHA256Digest(bytes: SecureRandom.bytes(count: 32))!
        let header = SegmentHeader(
            storeID: descriptor.storeID, segment: info.segment + 1, firstSeq: s.nextSeq, prevHash: s.chainHead,
            created: .now(), saltTree: SaltTree(rootKey: rootKey)
        )
        s.queue.append(.seal(info, next: header))
        s.segment = OpenSegment(header: header, rootKey: rootKey, openedAt: monotonicSeconds())
        s.segmentFileBytes = 0
    }
}
