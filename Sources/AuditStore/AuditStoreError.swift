/// Why a store operation failed: what, where (file, segment, sequence number) and what to do.
///
/// Integrity problems found while *verifying* are reported as findings, not thrown; this error is for
/// operations that cannot go on (a file that cannot be written, a store locked by another writer, a
/// store whose signed region is damaged so a writer must not touch it).
public struct AuditStoreError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A system call failed (see `message` for the errno text and path).
        public static let io = Code("io")
        /// Another process holds the store's writer lock.
        public static let locked = Code("locked")
        /// The directory is not a store, or a store file is not in a format this version reads.
        public static let notAStore = Code("notAStore")
        public static let unsupportedVersion = Code("unsupportedVersion")
        /// A file's content does not match what the format requires.
        public static let corrupt = Code("corrupt")
        /// Data covered by a signature or checkpoint is missing or altered: not a torn tail.
        public static let tampered = Code("tampered")
        /// A key file could not be used (wrong type, unsafe permissions, unreadable).
        public static let key = Code("key")
        /// An event was rejected (see `message`).
        public static let invalidEvent = Code("invalidEvent")
        /// The writer was closed, or failed earlier and refuses further appends.
        public static let closed = Code("closed")
        /// A request (to the running writer, or for an erasure or retention run) is not valid.
        public static let invalidRequest = Code("invalidRequest")
        /// A configuration value is out of range.
        public static let configuration = Code("configuration")
    }

    public var code: Code
    public var message: String
    /// The file the error concerns, when there is one.
    public var path: String?

    public init(_ code: Code, _ message: String, path: String? = nil) {
        self.code = code
        self.message = message
        self.path = path
    }

    public var description: String {
        if let path { return "\(path): \(message)" }
        return message
    }

    public static func == (lhs: AuditStoreError, rhs: AuditStoreError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
