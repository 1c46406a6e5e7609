import Foundation

/// The outcome of `auditq verify --format json`.
struct Verification {
    var result: AuditQProcess.Result
    var report: [String: Any]?

    init(result: AuditQProcess.Result) {
        self.result = result
        report = (try? JSONSerialization.jsonObject(with: Data(result.stdout))) as? [String: Any]
    }

    var status: Int32 { result.status }
    var intact: Bool? { report?["intact"] as? Bool }
    var findings: [[String: Any]] { report?["findings"] as? [[String: Any]] ?? [] }
    var findingKinds: [String] { findings.compactMap { $0["kind"] as? String } }
    var errorKinds: [String] {
        findings.filter { $0["severity"] as? String == "error" }.compactMap { $0["kind"] as? String }
    }
}
