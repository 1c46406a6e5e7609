/// Why a JSON text was rejected, and where: byte offset, line and column (1-based).
///
/// The message never quotes the input beyond a short, bounded excerpt of a member name or number, so
/// a rejected line that happened to carry a secret does not leak it through the error.
public struct JSONParseError: Error, Hashable, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        public static let unexpectedEnd = Code("unexpectedEnd")
        public static let unexpectedCharacter = Code("unexpectedCharacter")
        public static let trailingData = Code("trailingData")
        public static let invalidUTF8 = Code("invalidUTF8")
        public static let controlCharacter = Code("controlCharacter")
        public static let invalidEscape = Code("invalidEscape")
        public static let invalidNumber = Code("invalidNumber")
        public static let unsafeInteger = Code("unsafeInteger")
        public static let duplicateKey = Code("duplicateKey")
        public static let tooDeep = Code("tooDeep")
        public static let tooLarge = Code("tooLarge")
    }

    public var code: Code
    public var message: String
    /// Byte offset of the problem from the start of the input.
    public var offset: Int
    /// 1-based line of the problem.
    public var line: Int
    /// 1-based column (in bytes) of the problem.
    public var column: Int

    init(_ code: Code, _ message: String, offset: Int, in bytes: UnsafeRawBufferPointer) {
        self.code = code
        self.message = message
        self.offset = offset
        var line = 1
        var lineStart = 0
        for i in 0..<min(offset, bytes.count) where bytes[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        self.line = line
        self.column = offset - lineStart + 1
    }

    public var description: String {
        "invalid JSON at line \(line), column \(column) (byte \(offset)): \(message)"
    }

    public static func == (lhs: JSONParseError, rhs: JSONParseError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
