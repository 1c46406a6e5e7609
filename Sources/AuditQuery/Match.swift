import AuditModel

/// One record a lookup returned.
package struct Match: Sendable {
    package var seq: UInt64
    package var segment: UInt64
    /// The record as stored (canonical JSON, no newline).
    package var line: [UInt8]
    package var record: JSONObject
    package var event: JSONObject { record["event"]?.objectValue ?? JSONObject() }
}
