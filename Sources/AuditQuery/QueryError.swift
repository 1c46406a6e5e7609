/// Why a lookup could not be answered: what, where, and what to do.
///
/// A missing or damaged index is not an error (the lookup scans that segment and says so in a
/// ``Finder/Note``); errors are for stores that cannot be read or, with trusted keys, cannot be
/// authenticated.
public struct QueryError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A file could not be read (see `message`).
        public static let io = Code("io")
        /// The directory is not a store, or a file is not in a format this build reads.
        public static let notAStore = Code("notAStore")
        /// A file's content does not follow the format.
        public static let corrupt = Code("corrupt")
        /// With trusted keys: a manifest is not signed by one of them.
        public static let unauthenticated = Code("unauthenticated")
        /// The query itself is invalid (no key, a bad value).
        public static let invalidQuery = Code("invalidQuery")
    }

    public var code: Code
    public var message: String
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

    public static func == (lhs: QueryError, rhs: QueryError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
