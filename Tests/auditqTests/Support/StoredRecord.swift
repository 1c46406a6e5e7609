import Foundation
import Testing

/// One line of `auditq cat`.
struct StoredRecord {
    var line: String
    var object: [String: Any]

    init(line: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        self.line = line
        let parsed = try JSONSerialization.jsonObject(with: Data(line.utf8))
        object = try #require(parsed as? [String: Any], "record is not a JSON object: \(line)", sourceLocation: sourceLocation)
    }

    var seq: Int? { (object["seq"] as? NSNumber)?.intValue }
    var event: [String: Any] { object["event"] as? [String: Any] ?? [:] }
    var action: String? { event["action"] as? String }
    var requestID: String? { event["request_id"] as? String }
}
