import AuditCrypto
import AuditModel
import AuditStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What erasure and retention leave behind, checked like everything else: the retention state and
/// every rewrite document must be signed by a trusted key, and a rewritten segment's records must
/// still produce the chain head and Merkle root its original manifest signs.
extension Verifier.Run {
    /// Verifies `retention.json`, if present, and starts the chain after the segments it removed.
    ///
    /// - Returns: the first segment the store should still have (1 without a retention state).
    mutating func verifyRetentionState(descriptor: StoreDescriptor) -> UInt64 {
        let path = layout.retentionState
        guard FileSystem.exists(path) else { return 1 }
        let state: RetentionState
        do {
            state = try RetentionState(bytes: try FileSystem.readFile(path))
        } catch {
            add(Finding(.malformedDocument, file: path, "retention state: \(error)"))
            return 1
        }
        guard checkSignature(state.document.signedBytes, signature: state.signature, keyID: state.keyID, segment: nil, what: "retention state", file: path, signedAt: state.time) else {
            return 1
        }
        guard state.storeID == descriptor.storeID else {
            add(Finding(.manifestMismatch, file: path, "the retention state belongs to store \(state.storeID)"))
            return 1
        }
        var next: UInt64 = 1
        var nextSeq: UInt64 = 1
        for removal in state.removals {
            if removal.segments.lowerBound != next || removal.seqs.lowerBound != nextSeq {
                add(Finding(.chainBroken, file: path, "the retention state's removals do not run consecutively from segment 1 (segment \(removal.segments.lowerBound), record \(removal.seqs.lowerBound) after \(next - 1), \(nextSeq - 1))"))
            }
            add(Finding(
                .expired, .info, seqRange: removal.seqs, file: path,
                "segments \(removal.segments.lowerBound)–\(removal.segments.upperBound) (\(removal.records) records) expired under policy '\(removal.policy)' (sha256 \(removal.policySHA256.hex.prefix(12))…) on \(removal.time)"
            ))
            next = removal.segments.upperBound + 1
            nextSeq = removal.seqs.upperBound + 1
        }
        if next != state.firstSegment || nextSeq != state.firstSeq {
            add(Finding(.chainBroken, file: path, "the retention state's removals end at segment \(next - 1) but it says the store starts at segment \(state.firstSegment), record \(state.firstSeq)"))
        }
        chainHead = state.prevHash
        expectedSeq = state.firstSeq
        prevManifestDigest = state.prevManifestSHA256
        report.expiredThroughSeq = state.firstSeq - 1
        retentionCut = state.prevHash
        return state.firstSegment
    }

    /// Verifies a sealed segment's rewrite document against its manifest; nil when it cannot be read
    /// (the segment is then checked as generation 0).
    mutating func verifyRewrite(_ number: UInt64, manifest: SegmentManifest, manifestBytes: [UInt8], descriptor: StoreDescriptor) -> SegmentRewrite? {
        let path = layout.rewrite(number)
        let rewrite: SegmentRewrite
        do {
            rewrite = try SegmentRewrite(bytes: try FileSystem.readFile(path))
        } catch {
            add(Finding(.malformedDocument, segment: number, file: path, "segment rewrite: \(error)"))
            return nil
        }
        _ = checkSignature(rewrite.document.signedBytes, signature: rewrite.signature, keyID: rewrite.keyID, segment: number, what: "segment rewrite", file: path, signedAt: rewrite.time)
        if rewrite.storeID != descriptor.storeID || rewrite.segment != number || rewrite.manifestSHA256 != SHA256.hash(manifestBytes) {
            add(Finding(.manifestMismatch, segment: number, file: path, "the rewrite document does not belong to this segment's manifest (renamed, swapped or forged)"))
        }
        let sameBlocks = rewrite.blocks.count == manifest.blocks.count
            && zip(rewrite.blocks, manifest.blocks).allSatisfy { $0.firstSeq == $1.firstSeq && $0.count == $1.count && $0.chainHead == $1.chainHead }
        if !sameBlocks {
            add(Finding(.manifestMismatch, segment: number, file: path, "the rewrite document's blocks do not hold the records the manifest's blocks hold"))
        }
        for erasure in rewrite.erasures {
            add(Finding(.erased, .info, segment: number, file: layout.segment(number, generation: rewrite.generation), "\(erasure.values) personal-data value(s) in \(erasure.records) record(s) erased under \(erasure.reference)"))
        }
        for expiry in rewrite.expiries {
            add(Finding(.expired, .info, segment: number, file: layout.segment(number, generation: rewrite.generation), "\(expiry.records) record(s) expired under policy '\(expiry.policy)' (sha256 \(expiry.policySHA256.hex.prefix(12))…)"))
        }
        return rewrite
    }

    /// The erased values and expired records in the segment must be what its signed rewrite says: every
    /// expired record, and every erased value under a reference it names (a value erased and later
    /// expired with its record no longer shows, so erased counts are an upper bound).
    mutating func checkRemovals(_ number: UInt64, rewrite: SegmentRewrite, outcome: ScanOutcome) {
        let signedValues = Dictionary(rewrite.erasures.map { ($0.reference, $0.values) }, uniquingKeysWith: +)
        let signedRecords = Dictionary(rewrite.erasures.map { ($0.reference, $0.records) }, uniquingKeysWith: +)
        let signedExpired = Dictionary(rewrite.expiries.map { ($0.policy, $0.records) }, uniquingKeysWith: +)
        let unsigned = outcome.erasedValues.filter { signedValues[$0.key] == nil }.keys.sorted()
        let excess = outcome.erasedValues.contains { $0.value > signedValues[$0.key] ?? 0 } || outcome.erasedRecords.contains { $0.value > signedRecords[$0.key] ?? 0 }
        if !unsigned.isEmpty {
            add(Finding(.manifestMismatch, segment: number, file: layout.rewrite(number), "records are marked erased under \(unsigned.joined(separator: ", ")), which the signed rewrite document does not name"))
        } else if excess || signedExpired != outcome.expiredRecords {
            add(Finding(.manifestMismatch, segment: number, file: layout.rewrite(number), "the segment's erased values and expired records differ from what its signed rewrite document states"))
        }
    }

    /// Files of other generations than the current one: left by an interrupted rewrite.
    mutating func checkGenerations(_ number: UInt64, current: Int) {
        for (name, generation) in (generationFiles[number] ?? []).sorted(by: { $0.name < $1.name }) where generation != current {
            let what = generation < current
                ? "was replaced by generation \(current) (erasure or expiry) but is still present; it may hold removed data"
                : "belongs to a rewrite that was not committed"
            add(Finding(.staleFile, .warning, segment: number, file: FileSystem.join(layout.segmentsDirectory, name), "\(name) \(what): an interrupted run — rerun it to delete the file"))
        }
    }
}

/// What an erasure's or a retention run's record in the chain says the segments after it must show.
/// Signed documents alone cannot tell an older copy of a segment's files (and its rewrite document, or
/// none) from the current one, since each was validly signed once; the chain can.
struct RemovalClaim: Sendable {
    var seq: UInt64
    var action: String
    /// Segment → the generation its files reached.
    var generations: [UInt64: Int]
    /// Whole segments retention removed.
    var removed: ClosedRange<UInt64>?

    static let erasure = "auditq.erasure.completed"
    static let retention = "auditq.retention.applied"
    private static let quoted = [erasure, retention].map { Array("\"\($0)\"".utf8) }
    private static let actionMember = Array("action".utf8)

    /// Whether a record's event (its top-level members in `line`) has one of the claiming actions:
    /// a byte comparison, so that verifying the other records costs one member lookup.
    static func isClaim(_ members: RawEvent, line: UnsafeRawBufferPointer) -> Bool {
        guard let range = actionMember.withUnsafeBytes({ members.value($0, line: line) }) else { return false }
        return quoted.contains { action in
            action.count == range.count && action.withUnsafeBytes { memcmp(line.baseAddress! + range.lowerBound, $0.baseAddress!, range.count) == 0 }
        }
    }

    init?(seq: UInt64, event: JSONObject) {
        guard let action = event["action"]?.stringValue, action == RemovalClaim.erasure || action == RemovalClaim.retention,
            event["source"] == "auditq", let metadata = event["metadata"]?.objectValue
        else { return nil }
        self.seq = seq
        self.action = action
        var generations: [UInt64: Int] = [:]
        if let stated = metadata["generations"]?.objectValue {
            for member in stated.members {
                guard let segment = UInt64(member.key), let generation = member.value.integerValue else { continue }
                generations[segment] = Int(generation)
            }
        } else {
            // A record without generations still says which segments were rewritten at least once.
            let listed = metadata[action == RemovalClaim.erasure ? "segments" : "expired_segments"]?.arrayValue ?? []
            for segment in listed.compactMap(\.integerValue) where segment >= 1 { generations[UInt64(segment)] = 1 }
        }
        self.generations = generations
        if let range = metadata["removed_segments"]?.arrayValue?.compactMap(\.integerValue), range.count == 2, range[0] >= 1, range[0] <= range[1] {
            removed = UInt64(range[0])...UInt64(range[1])
        }
    }
}

extension Verifier.Run {
    /// Checks the claims of every erasure and retention record against the segments present: each
    /// segment a record says was rewritten must be at that generation or later, and none it says was
    /// removed may still be part of the store. The newest retention record's claims are only a warning
    /// while a retention run's journal says it is being applied (interrupted: a rerun completes it).
    mutating func checkClaims(live: Set<UInt64>, firstSegment: UInt64) {
        var pendingSeq: UInt64?
        if let bytes = try? FileSystem.readFile(layout.maintenanceJournal), case .object(let journal)? = try? JSONParser().parse(bytes),
            journal["operation"] == "retention"
        {
            pendingSeq = claims.last { $0.action == RemovalClaim.retention }?.seq
        }
        for claim in claims {
            let pending = claim.seq == pendingSeq
            let severity: Finding.Severity = pending ? .warning : .error
            let why = pending
                ? ": the retention run that appended it was interrupted before applying it (maintenance.json) — run it again"
                : ": an older copy was restored, bringing back data that was removed"
            for (segment, generation) in claim.generations.sorted(by: { $0.key < $1.key }) where segment >= firstSegment && live.contains(segment) {
                let current = segmentGenerations[segment] ?? 0
                guard current < generation else { continue }
                add(Finding(
                    .removalUndone, severity, segment: segment, file: layout.rewrite(segment),
                    "record \(claim.seq) (\(claim.action)) says segment \(segment) was rewritten to generation \(generation), but its files are generation \(current)\(why)"
                ))
            }
            if let removed = claim.removed, let segment = removed.first(where: { $0 >= firstSegment && live.contains($0) }) {
                add(Finding(
                    .removalUndone, severity, segment: segment, file: layout.retentionState,
                    "record \(claim.seq) (\(claim.action)) says retention removed segments \(removed.lowerBound)–\(removed.upperBound), but segment \(segment) is still part of the store\(pending ? why : ": the retention state was rolled back or deleted and the segment restored")"
                ))
            }
        }
    }
}
