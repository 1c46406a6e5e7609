import AuditModel
import AuditStore

extension AuditSink {
    /// Fills the idempotency window from the newest records on disk, so a delivery retried across a
    /// restart is still recognised.
    ///
    /// Reads the newest segments (the open one and, when it holds fewer ids than the window keeps, the
    /// one before), parsing every record: about 4 µs per record, so a full 1,000,000-record segment
    /// adds seconds to startup. Records older than the window are skipped. Failures only shrink the
    /// window (a warning on stderr): they never stop the sink from opening.
    static func restoreIdempotency(
        into window: inout IdempotencyWindow, path: String, configuration: Configuration
    ) {
        guard configuration.idempotencyMaxEntries > 0, configuration.restoreIdempotencyAtStartup else { return }
        do {
            let reader = try StoreReader(path: path)
            let numbers = try reader.segmentNumbers()
            let nowWall = Timestamp.now().microsecondsSinceEpoch
            let nowMono = monotonicSeconds()
            let parser = JSONParser()
            var found: [(id: String, seq: UInt64, age: Double)] = []
            for number in numbers.suffix(2).reversed() {
                var segment: [(String, UInt64, Double)] = []
                try reader.forEachRecordLine(inSegment: number) { line in
                    guard case .object(let record) = try parser.parse(Array(line)),
                        let seq = record["seq"]?.integerValue,
                        case .object(let event)? = record["event"],
                        let id = event["id"]?.stringValue,
                        let ts = event["ts"]?.stringValue.flatMap({ Timestamp(rfc3339: $0) })
                    else { return }
                    let age = Double(nowWall - ts.microsecondsSinceEpoch) / 1e6
                    if age <= configuration.idempotencyWindow { segment.append((id, UInt64(seq), max(0, age))) }
                }
                found.insert(contentsOf: segment.map { (id: $0.0, seq: $0.1, age: $0.2) }, at: 0)
                if found.count >= configuration.idempotencyMaxEntries { break }
            }
            for entry in found.suffix(configuration.idempotencyMaxEntries) {
                window.remember(entry.id, seq: entry.seq, now: nowMono - entry.age)
            }
        } catch {
            reportToStandardError("auditq: idempotency ids not restored from \(path): \(error)")
        }
    }
}
