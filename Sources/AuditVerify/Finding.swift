/// One thing verification found: what, where, and a one-line explanation.
public struct Finding: Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem. Extensible: new kinds are not a breaking change.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The segment file's SHA-256 differs from its signed manifest (a byte changed, added or removed).
        public static let segmentDigestMismatch = Kind("segment-digest-mismatch")
        /// A segment file cannot be decompressed or parsed at some offset.
        public static let unreadable = Kind("unreadable")
        /// A record's content does not produce the signed chain hash (edited, removed, duplicated, reordered).
        public static let recordAltered = Kind("record-altered")
        /// Sequence numbers skip, repeat or go backwards.
        public static let sequenceBroken = Kind("sequence-broken")
        /// The chain does not continue from one segment to the next.
        public static let chainBroken = Kind("chain-broken")
        /// The Merkle root over the segment's records differs from the manifest.
        public static let merkleRootMismatch = Kind("merkle-root-mismatch")
        /// The manifest disagrees with the segment (counts, sequence range, header, block table).
        public static let manifestMismatch = Kind("manifest-mismatch")
        /// A signature does not verify with the key it names.
        public static let signatureInvalid = Kind("signature-invalid")
        /// A document is signed by a trusted key outside that key's validity period.
        public static let keyOutsideValidity = Kind("key-outside-validity")
        /// A document is signed by a key that is not in the trusted keyring.
        public static let untrustedKey = Kind("untrusted-key")
        /// A segment, manifest or signature is missing.
        public static let missingFile = Kind("missing-file")
        /// A file in the store that no manifest or the format accounts for.
        public static let unaccountedFile = Kind("unaccounted-file")
        /// A manifest or checkpoint that cannot be parsed.
        public static let malformedDocument = Kind("malformed-document")
        /// Records that a signed checkpoint covers are missing or differ.
        public static let checkpointMismatch = Kind("checkpoint-mismatch")
        /// A torn tail after a crash (a warning: not tampering).
        public static let tornTail = Kind("torn-tail")
        /// Records after the last signed checkpoint (a note: not yet authenticated).
        public static let unauthenticatedTail = Kind("unauthenticated-tail")
        /// The store does not contain, or does not extend, a head saved earlier (rollback, truncation, rewrite).
        public static let headNotExtended = Kind("head-not-extended")
        /// The newest checkpoint is older than the cadence allows and no clean shutdown was recorded.
        public static let staleCheckpoint = Kind("stale-checkpoint")
        /// A writer's temporary file (a write in progress, or left by a crash): a warning.
        public static let temporaryFile = Kind("temporary-file")
        /// The newest segment is being sealed (signature present, manifest not yet): a warning.
        public static let sealInProgress = Kind("seal-in-progress")
        /// A sealed segment's index file does not match the digest its signed manifest records, or the
        /// signed index does not describe the segment's records.
        public static let indexMismatch = Kind("index-mismatch")
        /// A sealed segment's index file is missing (a warning: lookups scan the segment; rebuild it).
        public static let indexMissing = Kind("index-missing")
        /// Records or whole segments removed under a retention policy, as a signed document states (a note).
        public static let expired = Kind("expired")
        /// Personal-data values erased under a request reference, as a signed rewrite states (a note).
        public static let erased = Kind("erased")
        /// A file that an erasure or retention run replaced or removed is still present: the run was
        /// interrupted (a warning: rerun it, so that the data it removes is gone from disk too).
        public static let staleFile = Kind("stale-file")
        /// A segment holds data that a record in the chain says an erasure or a retention run removed: an
        /// older copy of its files was restored over a rewrite, or a retention removal was rolled back.
        public static let removalUndone = Kind("removal-undone")
        /// Event time went backwards between consecutive records (a warning: order is by sequence number).
        public static let clockWentBackwards = Kind("clock-went-backwards")
    }

    public enum Severity: String, Sendable, Hashable {
        /// An integrity problem: verification fails.
        case error
        /// Worth knowing, not tampering.
        case warning
        case info
    }

    public var kind: Kind
    public var severity: Severity
    public var segment: UInt64?
    public var seqRange: ClosedRange<UInt64>?
    public var offset: Int?
    public var file: String?
    public var message: String

    public init(
        _ kind: Kind, _ severity: Severity = .error, segment: UInt64? = nil, seqRange: ClosedRange<UInt64>? = nil,
        offset: Int? = nil, file: String? = nil, _ message: String
    ) {
        self.kind = kind
        self.severity = severity
        self.segment = segment
        self.seqRange = seqRange
        self.offset = offset
        self.file = file
        self.message = message
    }

    public var description: String {
        var location: [String] = []
        if let segment { location.append("segment \(segment)") }
        if let seqRange { location.append(seqRange.count == 1 ? "seq \(seqRange.lowerBound)" : "seq \(seqRange.lowerBound)-\(seqRange.upperBound)") }
        if let offset { location.append("byte \(offset)") }
        let place = location.isEmpty ? "" : " [\(location.joined(separator: ", "))]"
        return "\(severity.rawValue.uppercased()) \(kind)\(place): \(message)"
    }
}
