import AuditModel

extension VerificationReport {
    /// The human summary: what was checked, ranges, findings, time.
    public func textSummary(store: String) -> String {
        var lines: [String] = []
        let errors = findings.filter { $0.severity == .error }.count
        lines.append("\(isIntact ? "INTACT" : "FAILED"): \(store)")
        lines.append("  store id        \(storeID ?? "unknown")")
        lines.append("  segments        \(segmentsChecked) checked, \(sealedSegments) sealed with a trusted signature")
        let range = firstSeq.map { "seq \($0)-\(lastSeq ?? $0)" } ?? "none"
        lines.append("  records         \(recordsChecked) re-sealed and re-chained (\(range))")
        lines.append("  authenticated   through seq \(authenticatedThroughSeq.map(String.init) ?? "none")")
        if let checkpointSeq { lines.append("  checkpoint      seq \(checkpointSeq) signed \(checkpointTime ?? "")") }
        if let expectedHeadConfirmed { lines.append("  expected head   seq \(expectedHeadConfirmed): contained and extended") }
        lines.append("  findings        \(errors) error(s), \(findings.count - errors) warning(s)/note(s)")
        for finding in findings { lines.append("  - \(finding)") }
        lines.append("  time            \(String(Int((seconds * 1000).rounded()))) ms")
        return lines.joined(separator: "\n")
    }

    /// The JSON document (schemas/verify-report.schema.json).
    public var json: JSONValue {
        var o: JSONObject = [
            "format": "auditq-verify-report",
            "version": 1,
            "intact": .bool(isIntact),
            "segments_checked": .number(Double(segmentsChecked)),
            "sealed_segments": .number(Double(sealedSegments)),
            "records_checked": .number(Double(recordsChecked)),
            "seconds": .number((seconds * 1000).rounded() / 1000),
        ]
        o["store_id"] = storeID.map(JSONValue.string) ?? .null
        o["first_seq"] = firstSeq.map { .number(Double($0)) } ?? .null
        o["last_seq"] = lastSeq.map { .number(Double($0)) } ?? .null
        o["authenticated_through_seq"] = authenticatedThroughSeq.map { .number(Double($0)) } ?? .null
        o["checkpoint_seq"] = checkpointSeq.map { .number(Double($0)) } ?? .null
        o["expected_head_confirmed_seq"] = expectedHeadConfirmed.map { .number(Double($0)) } ?? .null
        o["findings"] = .array(findings.map { f in
            var fo: JSONObject = ["kind": .string(f.kind.name), "severity": .string(f.severity.rawValue), "message": .string(f.message)]
            fo["segment"] = f.segment.map { .number(Double($0)) } ?? .null
            fo["first_seq"] = f.seqRange.map { .number(Double($0.lowerBound)) } ?? .null
            fo["last_seq"] = f.seqRange.map { .number(Double($0.upperBound)) } ?? .null
            fo["offset"] = f.offset.map { .number(Double($0)) } ?? .null
            fo["file"] = f.file.map(JSONValue.string) ?? .null
            return .object(fo)
        })
        return .object(o)
    }
}
