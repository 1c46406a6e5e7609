/// An error thrown by `AuditCompression`.
///
/// Compare errors by ``code``: equality and hashing ignore ``message`` and
/// ``offset`` so that tests and callers can match on the kind of failure.
public struct CompressionError: Error, Hashable, CustomStringConvertible {
    /// The kind of failure. A struct rather than an enum so that new codes can be
    /// added without breaking exhaustive `switch`es in other modules.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case notGzip
            case corruptData
            case checksumMismatch
            case outputLimitExceeded
            case truncated
            case invalidArgument
            case zlibFailure
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// The bytes at the offset do not start a gzip member (bad magic, method, flags
        /// or header checksum).
        public static let notGzip = Code(.notGzip)
        /// The deflate data inside the member is invalid.
        public static let corruptData = Code(.corruptData)
        /// The member decompressed, but its CRC-32 or length trailer does not match:
        /// the data was altered or damaged.
        public static let checksumMismatch = Code(.checksumMismatch)
        /// Decompressing would produce more than the caller's `maxOutput` bytes.
        public static let outputLimitExceeded = Code(.outputLimitExceeded)
        /// The input ends inside a member where a complete one was required.
        public static let truncated = Code(.truncated)
        /// A parameter is out of range (for example a compression level above 9).
        public static let invalidArgument = Code(.invalidArgument)
        /// zlib reported an internal failure (for example out of memory).
        public static let zlibFailure = Code(.zlibFailure)

        public var description: String { base.rawValue }
    }

    /// The kind of failure; the only part that takes part in equality.
    public var code: Code
    /// What went wrong and, where it helps, what to do about it.
    public var message: String
    /// The byte offset of the gzip member that failed, when there is one.
    public var offset: Int?

    public init(code: Code, message: String, offset: Int? = nil) {
        self.code = code
        self.message = message
        self.offset = offset
    }

    public var description: String {
        if let offset {
            return "CompressionError.\(code): \(message) (member at byte offset \(offset))"
        }
        return "CompressionError.\(code): \(message)"
    }

    public static func == (lhs: CompressionError, rhs: CompressionError) -> Bool {
        lhs.code == rhs.code
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
    }
}
