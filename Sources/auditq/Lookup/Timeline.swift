import AuditModel
import AuditQuery

/// The support timeline `auditq find` prints on a terminal: one row per event in chain order, failures
/// marked, and the request_ids of the failures listed at the end, ready to quote to a provider.
struct Timeline {
    var color: Bool
    /// Longest message shown in a row; `auditq show --seq N` prints the whole record.
    var messageWidth = 72

    private struct Row {
        var failed: Bool
        var cells: [String]
    }

    private static let headers = ["SEQ", "TIME (UTC)", "ACTION", "OUTCOME", "HTTP", "REQUEST_ID", "MESSAGE"]

    func render(_ matches: [Match]) -> String {
        var rows: [Row] = []
        var failures: [(request: String, action: String, status: String, error: String)] = []
        for match in matches {
            let event = match.event
            let outcome = event["outcome"]?.stringValue ?? "-"
            let failed = outcome == "failure" || event["level"]?.stringValue == "error"
            let status = event["http"]?.objectValue?["status"]?.integerValue.map(String.init) ?? "-"
            let request = event["request_id"]?.stringValue ?? "-"
            var message = event["message"]?.stringValue ?? ""
            var errorText = ""
            if let error = event["error"]?.objectValue {
                let code = error["code"].map { $0.stringValue ?? $0.integerValue.map(String.init) ?? "" } ?? ""
                errorText = [code, error["message"]?.stringValue ?? ""].filter { !$0.isEmpty }.joined(separator: ": ")
                if !errorText.isEmpty { message += message.isEmpty ? errorText : " [\(errorText)]" }
            }
            if message.count > messageWidth { message = String(message.prefix(messageWidth - 1)) + "…" }
            rows.append(Row(failed: failed, cells: [String(match.seq), Self.time(event), event["action"]?.stringValue ?? "-", failed ? "✗ \(outcome)" : outcome, status, request, message]))
            if failed { failures.append((request, event["action"]?.stringValue ?? "-", status, errorText)) }
        }
        var widths = Self.headers.map(\.count)
        for row in rows {
            for (i, cell) in row.cells.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in i == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count) }.joined(separator: "  ")
        }
        var out = line(Self.headers) + "\n"
        for row in rows {
            let text = line(row.cells)
            out += (row.failed && color ? "\u{1B}[31m" + text + "\u{1B}[0m" : text) + "\n"
        }
        if let first = rows.first, let last = rows.last {
            out += "\n\(rows.count) event\(rows.count == 1 ? "" : "s"), \(failures.count) failed, \(first.cells[1]) → \(last.cells[1]) UTC\n"
        }
        if !failures.isEmpty {
            out += "request_ids of the failures (quote these to the provider):\n"
            for f in failures {
                out += "  \(f.request)  \(f.action)  HTTP \(f.status)\(f.error.isEmpty ? "" : "  \(f.error)")\n"
            }
        }
        return out
    }

    /// `2026-11-20T14:03:07.120000Z` → `2026-11-20 14:03:07.120`.
    private static func time(_ event: JSONObject) -> String {
        guard let ts = event["ts"]?.stringValue, ts.utf8.count >= 23 else { return event["ts"]?.stringValue ?? "-" }
        var text = String(ts.prefix(23))
        if let t = text.firstIndex(of: "T") { text.replaceSubrange(t...t, with: " ") }
        return text
    }
}
