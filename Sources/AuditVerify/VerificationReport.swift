import AuditStore

/// What `verify` checked and found.
public struct VerificationReport: Sendable {
    public var storeID: String?
    public var findings: [Finding] = []
    public var segmentsChecked = 0
    public var sealedSegments = 0
    public var recordsChecked = 0
    public var firstSeq: UInt64?
    public var lastSeq: UInt64?
    /// Highest sequence number covered by a valid signature (manifest or checkpoint).
    public var authenticatedThroughSeq: UInt64?
    /// Records through this sequence number were removed by retention (a signed retention state says so).
    public var expiredThroughSeq: UInt64?
    public var checkpointSeq: UInt64?
    /// Set when `--expect-head` was given and the store contains and extends it.
    public var expectedHeadConfirmed: UInt64?
    public var checkpointTime: String?
    public var seconds: Double = 0

    public init() {}

    /// Whether a checkpoint document signs records in `segment` (unsigned parse; for deciding how to
    /// report an empty file, not for trusting anything).
    func checkpointCoversSegment(_ segment: UInt64, head: [UInt8]?) -> Bool {
        guard let head, let checkpoint = try? Checkpoint(bytes: head) else { return false }
        return checkpoint.segment == segment
    }

    /// True when no finding is an error.
    public var isIntact: Bool { !findings.contains { $0.severity == .error } }
}
