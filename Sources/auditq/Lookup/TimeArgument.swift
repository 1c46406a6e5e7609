import ArgumentParser
import AuditModel

/// Parses `--since`/`--until` values: an ISO 8601 / RFC 3339 date-time with 0 to 9 fraction digits and
/// `Z` or an offset, or a plain date (`2026-11-20`, the start of that day in UTC).
enum TimeArgument {
    static func parse(_ text: String, option: String) throws -> Timestamp {
        let bytes = Array(text.utf8)
        var candidate = text
        if bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") {
            candidate += "T00:00:00Z"
        }
        switch Timestamp.parse(candidate) {
        case .success(let ts):
            return ts
        case .failure(let error):
            throw ValidationError("\(option) '\(text)': \(error.reason); use a time such as 2026-11-20T14:03:00Z or 2026-11-20T15:03:00+01:00, or a date such as 2026-11-20")
        }
    }
}
