import AuditCrypto
import AuditModel
import AuditStore

/// Checks against a head saved elsewhere, and the freshness of the store's own checkpoint: what
/// catches the newest segments removed together with their manifests and checkpoints, and a whole
/// store rolled back to an older state (CloudTrail's validator says nothing in both cases).
extension Verifier.Run {
    mutating func checkExpectedHead(_ expected: Checkpoint) {
        let file = "expected head"
        guard checkSignature(expected.signedBytes, signature: expected.signature, keyID: expected.keyID, segment: expected.segment, what: "expected head checkpoint", file: file) else {
            return
        }
        if let storeID = report.storeID, expected.storeID != storeID {
            add(Finding(.headNotExtended, file: file, "the expected head belongs to store \(expected.storeID), not \(storeID)"))
            return
        }
        let last = report.lastSeq ?? 0
        guard expected.seq <= last else {
            add(Finding(.headNotExtended, segment: expected.segment, seqRange: (last + 1)...expected.seq, file: file, "the store ends at record \(last) but the saved head signs record \(expected.seq) (\(expected.time)): records were removed or the store was rolled back"))
            return
        }
        if let expired = report.expiredThroughSeq, expected.seq <= expired {
            // The signed retention state removed the record; the chain is proven from its cut onwards.
            if expected.seq == expired, let cut = retentionCut, cut != expected.chainHead {
                add(Finding(.headNotExtended, segment: expected.segment, seqRange: expected.seq...expected.seq, file: file, "the retention state's chain hash at record \(expected.seq) differs from the saved head: history was rewritten"))
                return
            }
            add(Finding(.headNotExtended, .info, segment: expected.segment, seqRange: expected.seq...expected.seq, file: file, "record \(expected.seq), which the saved head signs, was removed by retention (records through \(expired)); the store is checked from the signed retention state onwards"))
            return
        }
        guard let head = watchedHeads[expected.seq] else {
            add(Finding(.headNotExtended, segment: expected.segment, seqRange: expected.seq...expected.seq, file: file, "record \(expected.seq), which the saved head signs, could not be re-chained"))
            return
        }
        guard head == expected.chainHead else {
            add(Finding(.headNotExtended, segment: expected.segment, seqRange: expected.seq...expected.seq, file: file, "the store's chain at record \(expected.seq) differs from the saved head: history was rewritten"))
            return
        }
        report.expectedHeadConfirmed = expected.seq
    }

    mutating func checkFreshness(maxAge: Double, now: Timestamp) {
        guard let bytes = headSnapshot, let checkpoint = try? Checkpoint(bytes: bytes), !checkpoint.cleanShutdown else { return }
        let age = Double(now.microsecondsSinceEpoch - checkpoint.time.microsecondsSinceEpoch) / 1e6
        if age > maxAge {
            add(Finding(.staleCheckpoint, segment: checkpoint.segment, seqRange: checkpoint.seq...checkpoint.seq, file: layout.head, "the newest checkpoint is \(Int(age)) s old (signed \(checkpoint.time)) and no clean shutdown was recorded: the writer stopped without closing, or newer segments and checkpoints were removed; coverage ends at record \(checkpoint.seq)"))
        }
    }
}
