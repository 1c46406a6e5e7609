import AuditStore

/// Why an erasure or retention run could not go on: what, where, and what to do. Nothing is left
/// half-done by an error: every step commits atomically, and a rerun of the same request completes it.
public struct RetentionError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The request itself is not valid (an empty reference, a reference already used for another customer).
        public static let invalidRequest = Code("invalidRequest")
        /// The policy cannot be applied to this store (personal-data paths the store does not commit to).
        public static let policy = Code("policy")
        /// An earlier run was interrupted and must be completed first.
        public static let interrupted = Code("interrupted")
        /// The store refused (locked, damaged, unwritable): see the message.
        public static let store = Code("store")
    }

    public var code: Code
    public var message: String
    public var path: String?

    public init(_ code: Code, _ message: String, path: String? = nil) {
        self.code = code
        self.message = message
        self.path = path
    }

    init(_ error: AuditStoreError) {
        self.init(.store, error.message, path: error.path)
    }

    public var description: String {
        (path.map { "\($0): " } ?? "") + message
    }
}
